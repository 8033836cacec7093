"""What the old engines still owed on deploy becomes outbox rows. The migrations written before
messages named their patient run on the schema of their time (the outbox migrated back, then
forward again, which fills in each row's patient); later ones run their own functions against
today's models, which hold every field they read.

The same trip back carries the clinic's wording from scheduling to the outbox and back without
moving its rows: the rows, the content type and the permissions granted on it are the same ones.
"""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.utils import timezone

from clinic.models import ContactChange, ContactChangeNotice, ContactChangeStatus
from clinic.outbox.models import MessageKind, MessageStatus, MessageWording, PatientMessage
from clinic.permissions import Role
from clinic.scheduling import services as scheduling
from clinic.scheduling.models import Appointment
from clinic.services import sync_role_groups
from intake import services as intake
from intake.models import IntakeInvitation
from plans.models import Handout, HandoutDelivery
from tests import migrating
from tests.factories import ClinicFactory, UserFactory
from tests.plans.handout_helpers import signed_version


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _migration(name: str):
    return importlib.import_module(f"clinic.outbox.migrations.{name}")


# Before messages named their patient, and before the wording moved to the outbox.
BEFORE = [("outbox", "0004_owed_intake_links"), ("scheduling", "0017_wording_for_intake_links")]
AFTER = [("outbox", "0005_message_wording"), ("scheduling", "0018_wording_moves_to_outbox")]
ACTIONS = ("add", "change", "delete", "view")


def _grants(apps, app_label: str, model: str) -> dict[str, set[str]]:
    """Codename -> who holds it (role groups by name, people by e-mail)."""
    permissions = apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label=app_label, content_type__model=model
    )
    return {
        permission.codename: {group.name for group in permission.group_set.all()}
        | {user.email for user in permission.user_set.all()}
        for permission in permissions
    }


def _wording_moves_there_and_back(old, clinic, person) -> None:
    """On the schema of ``BEFORE`` (``old``): a wording row and a permission on it granted to
    ``person`` move to the outbox with the wording, and back."""
    content_type = old.get_model("contenttypes", "ContentType").objects.get(
        app_label="scheduling", model="remindertemplate"
    )
    row = old.get_model("scheduling", "ReminderTemplate").objects.create(
        clinic_id=clinic.pk, kind="check_in", subject="Ours", body="Our body", sms_body="Our text"
    )
    change = old.get_model("auth", "Permission").objects.get(
        content_type=content_type, codename="change_remindertemplate"
    )
    old.get_model("clinic", "User").objects.get(pk=person.pk).user_permissions.add(change)
    before = _grants(old, "scheduling", "remindertemplate")
    assert before["change_remindertemplate"] == {Role.CLINIC_ADMIN.value, person.email}

    new = migrating.migrate(AFTER)
    moved = new.get_model("contenttypes", "ContentType").objects.get(app_label="outbox", model="messagewording")
    assert moved.pk == content_type.pk
    assert not new.get_model("contenttypes", "ContentType").objects.filter(model="remindertemplate").exists()
    assert _grants(new, "outbox", "messagewording") == {
        codename.replace("remindertemplate", "messagewording"): holders for codename, holders in before.items()
    }
    assert {p.name for p in Permission.objects.filter(content_type_id=moved.pk)} == {
        f"Can {action} message wording" for action in ACTIONS
    }
    assert MessageWording.objects.get(pk=row.pk).subject == "Ours"

    back = migrating.migrate(BEFORE)
    assert back.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk).app_label == "scheduling"
    assert _grants(back, "scheduling", "remindertemplate") == before
    assert back.get_model("scheduling", "ReminderTemplate").objects.get(pk=row.pk).subject == "Ours"


@pytest.mark.django_db(transaction=True)
def test_owed_messages_of_the_old_engines_become_pending_outbox_rows_and_the_wording_moves_with_its_grants(
    episode, front_desk, clinician
):
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
    sync_role_groups()
    wording_clinic = ClinicFactory()
    wording_editor = UserFactory(clinic=wording_clinic, email="wording.editor@example.test")

    then = migrating.migrate(BEFORE)
    try:
        _migration("0002_owed_messages").forwards(then, None)
        _migration("0004_owed_intake_links").forwards(then, None)
        _wording_moves_there_and_back(then, wording_clinic, wording_editor)
    finally:
        migrating.migrate()

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
