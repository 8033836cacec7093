"""What the old engines still owed on deploy becomes outbox rows. The migrations written before
messages named their patient run on the schema of their time (the outbox migrated back, then
forward again, which fills in each row's patient); later ones run their own functions against
today's models, which hold every field they read."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from clinic.models import ContactChange, ContactChangeNotice, ContactChangeStatus
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.scheduling import services as scheduling
from clinic.scheduling.models import Appointment
from intake import services as intake
from intake.models import IntakeInvitation
from plans.models import Handout, HandoutDelivery
from tests.plans.handout_helpers import signed_version


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _migration(name: str):
    return importlib.import_module(f"clinic.outbox.migrations.{name}")


BEFORE_PATIENTS = ("outbox", "0004_owed_intake_links")


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(target or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_owed_messages_of_the_old_engines_become_pending_outbox_rows(episode, front_desk, clinician):
    owed_handout = signed_version(episode, []).handout
    Handout.objects.filter(pk=owed_handout.pk).update(delivery=HandoutDelivery.OWED)
    start = (timezone.now() + datetime.timedelta(days=2)).replace(second=0, microsecond=0)
    visit = scheduling.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
    )
    told = scheduling.appointment_book(
        actor=front_desk,
        episode=episode,
        clinician=clinician,
        starts_at=start + datetime.timedelta(hours=1),
        override_reason="test",
    )
    Appointment.objects.filter(pk=told.pk).update(notified_sequence=1)
    invitation = intake.invitation_send(actor=front_desk, episode=episode, channel="email")
    # An earlier link, sent and then revoked: nothing is owed for it.
    IntakeInvitation.objects.create(
        intake=invitation.intake,
        channel="email",
        created_by=front_desk,
        expires_at=timezone.now() + datetime.timedelta(days=1),
        sent_at=timezone.now(),
        revoked_at=timezone.now(),
    )
    # Committed for real here, so the messages went at once: owed again, as before the outbox.
    Appointment.objects.filter(pk=visit.pk).update(notified_sequence=0)
    IntakeInvitation.objects.filter(pk=invitation.pk).update(sent_at=None)
    PatientMessage.objects.all().delete()

    _migrate([BEFORE_PATIENTS])
    try:
        then = MigrationExecutor(connection).loader.project_state(BEFORE_PATIENTS).apps
        _migration("0002_owed_messages").forwards(then, None)
        _migration("0004_owed_intake_links").forwards(then, None)
    finally:
        _migrate(None)

    owed = set(PatientMessage.objects.values_list("kind", "subject_id", "status", "episode_id", "patient_id"))
    assert owed == {
        (MessageKind.HANDOUT_READY, owed_handout.pk, MessageStatus.PENDING, episode.pk, episode.patient_id),
        (MessageKind.VISIT_NOTICE, visit.pk, MessageStatus.PENDING, episode.pk, episode.patient_id),
        (MessageKind.INTAKE_LINK, invitation.pk, MessageStatus.PENDING, episode.pk, episode.patient_id),
    }


@pytest.mark.django_db
def test_owed_contact_change_notices_become_one_pending_row_per_address_left(patient, foreign_patient):
    def change(who, **fields) -> ContactChange:
        return ContactChange.objects.create(
            patient=who,
            email="new@example.test",
            preferred_contact_channel="email",
            old_email=who.email,
            old_mobile_phone=who.mobile_phone,
            old_preferred_contact_channel="email",
            **fields,
        )

    owed = change(patient, notice_channels=["email", "sms"])
    # Every address told by a worker that stopped before saying so.
    all_told = change(foreign_patient, notice_channels=[])
    done = change(
        patient,
        notice=ContactChangeNotice.SENT,
        notice_channels=["email"],
        status=ContactChangeStatus.REPLACED,
        decided_at=timezone.now(),
    )

    _migration("0011_owed_contact_change_notices").forwards(apps, None)

    rows = set(PatientMessage.objects.values_list("kind", "subject_id", "channel", "status", "patient_id", "episode"))
    assert rows == {
        (MessageKind.CONTACT_CHANGE, owed.pk, "email", MessageStatus.PENDING, patient.pk, None),
        (MessageKind.CONTACT_CHANGE, owed.pk, "sms", MessageStatus.PENDING, patient.pk, None),
    }
    assert ContactChange.objects.get(pk=all_told.pk).notice == ContactChangeNotice.SENT
    assert ContactChange.objects.get(pk=done.pk).notice == ContactChangeNotice.SENT
