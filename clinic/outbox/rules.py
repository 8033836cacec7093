"""Whether a message to a patient may go now: consent, the patient's opt-out and the clinic's
quiet hours, decided here for every kind. Pure: plain values in, a decision out.

Consent covers every message: without it nothing is sent and the row says so (skipped, with
the one reason below), whatever the kind. The opt-out a patient chooses from a reminder stops
reminders only, not the notices of a change they must know about (a visit moved or
cancelled, the home program they were given). Quiet hours hold reminders, which are sent on
the clinic's clock; notices follow a member of staff's action and go at once.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from clinic.outbox import quiet_hours

NO_CONSENT = "The patient has not agreed to messages."
OPTED_OUT = "The patient stopped reminders."
QUIET_UNTIL_TOO_LATE = "Quiet hours lasted until the visit."

REMINDER_KINDS = frozenset({"first", "second", "intake_nudge", "check_in", "reassessment"})


@dataclass(frozen=True)
class Clock:
    """The clinic's quiet window (local wall-clock times in its zone)."""

    start: datetime.time
    end: datetime.time
    zone: zoneinfo.ZoneInfo


@dataclass(frozen=True)
class Skip:
    reason: str


@dataclass(frozen=True)
class Wait:
    until: datetime.datetime


def refusal(*, kind: str, consent: bool, opted_out: bool) -> Skip | None:
    """Why the patient is not to get this message at all, or None."""
    if not consent:
        return Skip(NO_CONSENT)
    if kind in REMINDER_KINDS and opted_out:
        return Skip(OPTED_OUT)
    return None


def timing(
    *, kind: str, now: datetime.datetime, clock: Clock, latest: datetime.datetime | None = None
) -> Skip | Wait | None:
    """Whether quiet hours hold the message now: None when it may go, else wait (until when)
    or skip it, when the quiet hours last until ``latest`` (when it stops making sense: a
    reminder's visit)."""
    if kind not in REMINDER_KINDS:
        return None
    allowed = quiet_hours.outside_quiet_hours(now, start=clock.start, end=clock.end, zone=clock.zone, latest=latest)
    if allowed > now:
        return Wait(allowed)
    if allowed < now:
        return Skip(QUIET_UNTIL_TOO_LATE)
    return None
