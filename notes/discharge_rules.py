"""When an episode counts as lapsed, and when follow-up questionnaires fall due. Pure Python.

DOMAIN.md is silent on both (it has no discharge or follow-up rule), so every number here is a
clinic setting with a product default (clinic/thresholds.py):

- Lapsed: an open episode with no visit booked ahead whose last attended visit (or, with none,
  its opening day) is at least ``lapsed_after_weeks`` weeks ago (clinic default 6).
- Follow-up: the outcome questionnaires go again ``follow_up_months`` calendar months after the
  discharge day (default 3, from the outcomes issue; 0 turns it off), only to a patient who
  agreed. A month that lacks the day (31 March + 1 month) falls on its last day.
"""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal


def _whole(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    if value != int(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number {low}-{high}, not {value}")
    return int(value)


def lapsed(
    *,
    last_visit_on: datetime.date | None,
    opened_on: datetime.date,
    future_booking: bool,
    weeks: int | Decimal,
    today: datetime.date,
) -> bool:
    """Whether an open episode has lapsed: nothing booked ahead, and no visit for ``weeks`` weeks."""
    weeks = _whole(weeks, "weeks", 1, 520)
    if future_booking:
        return False
    since = last_visit_on or opened_on
    return since <= lapsed_cutoff(today, weeks)


def lapsed_cutoff(today: datetime.date, weeks: int | Decimal) -> datetime.date:
    """The latest last-visit day that counts as lapsed today (what the list's query filters on)."""
    return today - datetime.timedelta(weeks=_whole(weeks, "weeks", 1, 520))


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus calendar months, on the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_days(*, discharged_on: datetime.date, months: int | Decimal, consent: bool) -> list[datetime.date]:
    """The days the follow-up questionnaires fall due after a discharge: none without consent or
    with the setting at 0."""
    months = _whole(months, "months", 0, 120)
    if not consent or months == 0:
        return []
    return [add_months(discharged_on, months)]


NOTHING_ANSWERED = "Answer at least one question before sending: none is answered yet."


def anything_answered(answers: dict[str, dict[str, int | None]]) -> bool:
    """Whether a patient's questionnaires ({instrument: {item: value}}) hold one answer: a form sent
    blank would close the link and tell the clinic nothing."""
    return any(value is not None for given in answers.values() for value in given.values())
