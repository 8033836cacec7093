"""The migrations that move reminders onto the outbox, run for real: every old reminder row, of
every kind and status, becomes the outbox message of the same subject, and its links keep
opening what they opened (the raw tokens in messages patients already have stay good)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.outbox.models import REMINDERS, MessageKind, MessageLink, MessageStatus, PatientMessage
from clinic.outbox.reminders import LINKS
from clinic.scheduling.models import Appointment
from intake import services as intake
from tests import migrating
from tests.factories import AppointmentFactory, EpisodeFactory
from tests.plans.handout_helpers import signed_version

BEFORE = [("outbox", "0007_reminders_join_the_outbox"), ("scheduling", "0017_wording_for_intake_links")]
MINUTE = datetime.timedelta(minutes=1)
STATUSES = ("pending", "queued", "sending", "sent", "skipped", "failed", "cancelled")
FIELDS = ("episode_id", "status", "due_at", "attempts", "queued_at", "sending_at", "sent_at", "channel", "reason")
SUBJECT_OF = {
    MessageKind.FIRST: "appointment",
    MessageKind.SECOND: "appointment",
    MessageKind.INTAKE_NUDGE: "invitation",
    MessageKind.CHECK_IN: "plan_version",
    MessageKind.REASSESSMENT: "plan_version",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _old_row(status: str, now: datetime.datetime) -> dict:
    """The fields an old reminder of the status had set."""
    return {
        "due_at": now - datetime.timedelta(hours=1),
        **{
            "pending": {},
            "queued": {"queued_at": now - MINUTE},
            "sending": {
                "queued_at": now - 3 * MINUTE,
                "sending_at": now - 2 * MINUTE,
                "attempts": 1,
                "channel": "email",
            },
            "sent": {
                "queued_at": now - 3 * MINUTE,
                "sending_at": now - 2 * MINUTE,
                "sent_at": now - MINUTE,
                "attempts": 1,
                "channel": "email",
            },
            "skipped": {"skip_reason": "The patient stopped reminders."},
            "failed": {"attempts": 6, "channel": "sms", "error": "Gave up after 6 attempts: provider down"},
            "cancelled": {"skip_reason": "The visit is no longer booked."},
        }[status],
    }


def _subjects(clinic, clinician, front_desk, starts_at) -> tuple[int, dict[str, int]]:
    """An episode with a visit, a live intake link and a signed plan version: what reminders are about."""
    episode = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    visit = AppointmentFactory(episode=episode, clinician=clinician, starts_at=starts_at)
    invitation = intake.invitation_send(actor=front_desk, episode=episode, channel="email")
    version = signed_version(episode, [])
    return episode.pk, {"appointment": visit.pk, "invitation": invitation.pk, "plan_version": version.pk}


def _moved(row: dict, status: str) -> dict:
    """The outbox message an old reminder becomes: only a queued one changes (its task named the
    old engine, so it is owed again rather than queued); the two reasons are one field."""
    queued = status == "queued"
    return {
        "status": MessageStatus.PENDING if queued else status,
        "due_at": row["due_at"],
        "attempts": row.get("attempts", 0),
        "queued_at": None if queued else row.get("queued_at"),
        "sending_at": row.get("sending_at"),
        "sent_at": row.get("sent_at"),
        "channel": row.get("channel", ""),
        "reason": row.get("error") or row.get("skip_reason", ""),
    }


@pytest.mark.django_db(transaction=True)
def test_every_reminder_and_link_moves_to_the_outbox_and_the_links_still_open(client, clinic, clinician, front_desk):
    now = timezone.now().replace(microsecond=0)
    subjects = {
        status: _subjects(clinic, clinician, front_desk, now + datetime.timedelta(days=2, hours=hour))
        for hour, status in enumerate(STATUSES)
    }
    try:
        old = migrating.migrate(BEFORE)
        Reminder = old.get_model("scheduling", "Reminder")
        ReminderLink = old.get_model("scheduling", "ReminderLink")
        expected, reminder_of = {}, {}
        for status, (episode_id, ids) in subjects.items():
            for kind, subject in SUBJECT_OF.items():
                row = _old_row(status, now)
                reminder = Reminder.objects.create(
                    episode_id=episode_id, kind=kind, status=status, **{f"{subject}_id": ids[subject]}, **row
                )
                expected[(kind, ids[subject])] = {"episode_id": episode_id, **_moved(row, status)}
                reminder_of[(kind, status)] = reminder
        # The sent first reminder's links, as the patient holds them; and a used "stop reminders"
        # link of a sent check-in.
        sent = reminder_of[(MessageKind.FIRST, "sent")]
        # The visit as the old schema has it: fields added since do not exist yet.
        visit = old.get_model("scheduling", "Appointment").objects.get(pk=sent.appointment_id)
        raw, links = {}, []
        for action in ("confirm", "cancel", "opt_out"):
            raw[action], token_hash = LINKS[action].new()
            links.append((sent, action, token_hash, visit.starts_at, None))
        used_raw, used_hash = LINKS["opt_out"].new()
        month = now + datetime.timedelta(days=30)
        links.append((reminder_of[(MessageKind.CHECK_IN, "sent")], "opt_out", used_hash, month, now - MINUTE))
        for reminder, action, token_hash, expires_at, used in links:
            ReminderLink.objects.create(
                reminder=reminder, action=action, token_hash=token_hash, expires_at=expires_at, used_at=used
            )

        migrating.migrate()

        moved = PatientMessage.objects.filter(kind__in=REMINDERS)
        assert moved.count() == len(STATUSES) * len(SUBJECT_OF)
        assert {(row.kind, row.subject_id): {name: getattr(row, name) for name in FIELDS} for row in moved} == expected
        message_of = {(row.kind, row.subject_id): row.pk for row in moved}

        def subject_of(reminder) -> tuple[str, int]:
            return reminder.kind, getattr(reminder, f"{SUBJECT_OF[reminder.kind]}_id")

        assert set(MessageLink.objects.values_list("message_id", "action", "token_hash", "expires_at", "used_at")) == {
            (message_of[subject_of(reminder)], action, token_hash, expires_at, used)
            for reminder, action, token_hash, expires_at, used in links
        }

        # The links in messages already sent open what they opened.
        page = client.get(reverse("reminder_confirm", args=[raw["confirm"]]))
        assert page.status_code == 200
        assert '<form method="post">' in page.content.decode()
        assert client.get(reverse("reminder_cancel", args=[raw["cancel"]])).status_code == 200
        assert client.get(reverse("reminder_opt_out", args=[raw["opt_out"]])).status_code == 200
        assert client.post(reverse("reminder_confirm", args=[raw["confirm"]])).status_code == 200
        assert Appointment.objects.get(pk=visit.pk).confirmed_at is not None
        used = client.get(reverse("reminder_opt_out", args=[used_raw]))
        assert used.status_code == 410
        assert "already been used" in used.content.decode()
    finally:
        migrating.migrate()
