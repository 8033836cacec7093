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
