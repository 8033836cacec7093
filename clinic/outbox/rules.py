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

REMINDER_KINDS = frozenset({"first", "second", "intake_nudge", "check_in", "reassessment", "follow_up", "run_morning"})


# Each kind of message in the patient's words. The page where a patient stops reminders lists, from
# these, what stops and what still arrives, so what it promises is exactly what ``refusal`` does.
PATIENT_WORDS = {
    "first": "reminders before your visits",
    "second": "reminders before your visits",
    "intake_nudge": "reminders to finish your form before your first visit",
    "check_in": "reminders to log your home program",
    "reassessment": "reminders that a check-up visit is due",
    "visit_notice": "confirmations when a visit is booked, moved or cancelled",
    "visit_series": "confirmations when a series of visits is booked",
    "handout_ready": "your home program, when your clinician gives you one or changes it",
    "intake_link": "the link to your form, when the clinic sends it",
    "contact_change": "a check when a change of your contact details is asked for",
    "follow_up": "questionnaires about how you are doing after your care ends",
    "run_morning": "the question about your pain on the morning after a run",
}


def opt_out_covers(kinds) -> tuple[list[str], list[str]]:
    """(what stopping reminders stops, what still arrives), each in the patient's words, once each."""
    stops = [PATIENT_WORDS[kind] for kind in kinds if refusal(kind=kind, consent=True, opted_out=True)]
    still = [PATIENT_WORDS[kind] for kind in kinds if not refusal(kind=kind, consent=True, opted_out=True)]
    return list(dict.fromkeys(stops)), list(dict.fromkeys(still))


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
