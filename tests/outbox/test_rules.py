"""Consent, opt-out and quiet hours decided in one place for every kind of message."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from clinic.outbox import rules

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
CLOCK = rules.Clock(start=datetime.time(21), end=datetime.time(8), zone=CHICAGO)
NOON = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=CHICAGO)
NIGHT = datetime.datetime(2026, 12, 2, 23, 0, tzinfo=CHICAGO)
MORNING = datetime.datetime(2026, 12, 3, 8, 0, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("kind", "consent", "opted_out", "now", "latest", "expected"),
    [
        ("visit_notice", True, False, NOON, None, None),
        ("visit_notice", False, False, NOON, None, rules.Skip(rules.NO_CONSENT)),
        ("handout_ready", False, True, NOON, None, rules.Skip(rules.NO_CONSENT)),
        # The opt-out stops reminders, not notices of a change; notices ignore quiet hours.
        ("visit_notice", True, True, NIGHT, None, None),
        ("handout_ready", True, True, NIGHT, None, None),
        ("first", True, True, NOON, None, rules.Skip(rules.OPTED_OUT)),
        ("check_in", False, True, NOON, None, rules.Skip(rules.NO_CONSENT)),
        ("check_in", True, False, NOON, None, None),
        ("check_in", True, False, NIGHT, None, rules.Wait(MORNING.astimezone(datetime.UTC))),
        ("first", True, False, NIGHT, MORNING + datetime.timedelta(hours=1), rules.Wait(MORNING)),
        ("first", True, False, NIGHT, MORNING, rules.Skip(rules.QUIET_UNTIL_TOO_LATE)),
    ],
)
def test_refusal_then_timing(kind, consent, opted_out, now, latest, expected):
    # The dispatcher's order: a refusal first, then (once the subject still wants it) quiet hours.
    decision = rules.refusal(kind=kind, consent=consent, opted_out=opted_out) or rules.timing(
        kind=kind, now=now, clock=CLOCK, latest=latest
    )
    assert decision == expected
