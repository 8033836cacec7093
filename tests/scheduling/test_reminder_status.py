"""The front desk's one-line reminder status of a visit."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from clinic.scheduling.reminder_status import ReminderFact, visit_reminder_line

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
UTC = datetime.UTC
EARLY = datetime.datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 09:00 in Chicago
LATE = datetime.datetime(2026, 12, 3, 19, 0, tzinfo=UTC)  # 13:00 in Chicago
SENT = ReminderFact("sent", EARLY, sent_at=EARLY)
FAILED = ReminderFact("failed", LATE, error="The patient has no mobile phone number.")
PENDING = ReminderFact("pending", LATE)
SKIPPED = ReminderFact("skipped", EARLY, skip_reason="No consent to messages.")


@pytest.mark.parametrize(
    ("facts", "confirmed", "opted_out", "expected"),
    [
        ([SENT], False, False, "Reminder sent 2 Dec 09:00"),
        ([SENT], True, False, "Reminder sent 2 Dec 09:00 · Confirmed"),
        ([SENT, FAILED], False, False, "Reminder failed: the patient has no mobile phone number"),
        ([SENT, PENDING], False, False, "Reminder sent 2 Dec 09:00"),
        ([PENDING], False, False, "Reminder due 3 Dec 13:00"),
        ([SKIPPED], False, False, "Reminder not sent: no consent to messages"),
        ([PENDING], False, True, "Reminders stopped by the patient"),
        ([], False, False, "No reminder"),
        ([ReminderFact("cancelled", EARLY)], False, False, "No reminder"),
    ],
)
def test_visit_reminder_line(facts, confirmed, opted_out, expected):
    confirmed_at = EARLY if confirmed else None
    assert visit_reminder_line(facts, confirmed_at=confirmed_at, opted_out=opted_out, zone=CHICAGO) == expected


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (
            "failed",
            "The patient has no mobile phone number.",
            "Reminder failed: the patient has no mobile phone number",
        ),
        (
            "skipped",
            "The patient has not agreed to messages.",
            "Reminder not sent: the patient has not agreed to messages",
        ),
    ],
)
def test_the_day_view_reads_why_from_the_messages_reason(front_desk, episode, clinician, status, reason, expected):
    """A reminder is an outbox message now: its one ``reason`` says why it failed or was skipped."""
    from django.utils import timezone

    from clinic.scheduling import selectors, services, visit_reminders

    start = (timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    visit = services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
    )
    visit_reminders.of_visit(visit).update(status=status, reason=reason)
    [visit] = selectors.with_reminders([visit])
    assert [row.reason for row in visit.reminder_rows] == [reason]
    assert selectors.visit_reminder_line(visit, CHICAGO) == expected
