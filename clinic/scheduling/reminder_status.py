"""What the front desk reads about a visit's reminders, in one line. Pure: plain values in,
text out, so the day view's wording is table-tested."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

WAITING = ("pending", "queued", "sending")


@dataclass(frozen=True)
class ReminderFact:
    status: str
    due_at: datetime.datetime
    sent_at: datetime.datetime | None = None
    error: str = ""
    skip_reason: str = ""


def _when(moment: datetime.datetime, zone: zoneinfo.ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %H:%M}"


def _reason(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:]


def visit_reminder_line(
    facts: list[ReminderFact],
    *,
    confirmed_at: datetime.datetime | None,
    opted_out: bool,
    zone: zoneinfo.ZoneInfo,
) -> str:
    """E.g. "Reminder sent 2 Dec 09:00 · Confirmed" or "Reminder failed: no mobile number".

    The latest settled reminder speaks: a failure after a successful send still shows, because
    the patient may not know about the latest change.
    """
    settled = sorted((fact for fact in facts if fact.status in ("sent", "failed")), key=lambda fact: fact.due_at)
    waiting = sorted((fact for fact in facts if fact.status in WAITING), key=lambda fact: fact.due_at)
    skipped = [fact for fact in facts if fact.status == "skipped"]
    if opted_out:
        line = "Reminders stopped by the patient"
    elif settled and settled[-1].status == "failed":
        line = f"Reminder failed: {_reason(settled[-1].error)}"
    elif settled:
        line = f"Reminder sent {_when(settled[-1].sent_at or settled[-1].due_at, zone)}"
    elif waiting:
        line = f"Reminder due {_when(waiting[0].due_at, zone)}"
    elif skipped:
        line = f"Reminder not sent: {_reason(skipped[-1].skip_reason)}"
    else:
        line = "No reminder"
    if confirmed_at is not None:
        line += " · Confirmed"
    return line
