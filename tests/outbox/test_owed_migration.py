"""What the old engines still owed on deploy becomes outbox rows (the data migrations' own
functions, run against today's models, which hold every field they read)."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.scheduling import services as scheduling
from clinic.scheduling.models import Appointment
from intake import services as intake
from intake.models import IntakeInvitation
from plans.models import Handout, HandoutDelivery
from tests.plans.handout_helpers import signed_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _migration(name: str):
    return importlib.import_module(f"clinic.outbox.migrations.{name}")


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
    PatientMessage.objects.all().delete()  # as before the outbox existed

    _migration("0002_owed_messages").forwards(apps, None)
    _migration("0004_owed_intake_links").forwards(apps, None)

    owed = set(PatientMessage.objects.values_list("kind", "subject_id", "status", "episode_id"))
    assert owed == {
        (MessageKind.HANDOUT_READY, owed_handout.pk, MessageStatus.PENDING, episode.pk),
        (MessageKind.VISIT_NOTICE, visit.pk, MessageStatus.PENDING, episode.pk),
        (MessageKind.INTAKE_LINK, invitation.pk, MessageStatus.PENDING, episode.pk),
    }
