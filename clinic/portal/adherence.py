"""The adherence loop's rules, over plain values: which days a patient may log, how many
home-program sessions were prescribed and done, and how their pain moved.

DOMAIN.md says nothing about adherence or daily pain logs, so these are product rules:

* A plan's days run from the day it was signed (the clinic's date) for its ``weeks``.
* Each home-program item's ``frequency`` (free text in the snapshot, e.g. "daily",
  "2–3 times a week") is read as sessions per period: a day for daily items, a week for
  weekly ones, taking the lower end of a range, the least the clinician asked for. One tick
  a day is one session, so "twice a day" counts as daily. An item whose frequency cannot be
  read is left out of the percentage and counted separately, so the page can say so.
* A period falls due when it ends: a past day or week counts in full, while the period that
  holds today counts only the sessions already done (the patient is not behind yet).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from plans.signed import plan_last_day

# How far back a patient may fix their log: a product default (DOMAIN.md is silent).
CHECK_IN_WINDOW_DAYS = 7

_WORDS = {"once": 1, "twice": 2, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_NUMBER = r"\d+|" + "|".join(_WORDS)
_RANGE_AND_TIMES = r"(?:\s*(?:–|-|to|or)\s*\d+)?(?:\s+times?)?"
# "3", "2–3 times", "twice": the lower end of a range is the least the clinician asked for.
_PER_WEEK = re.compile(rf"^(?P<count>{_NUMBER}){_RANGE_AND_TIMES}\s+(?:a|per|each)\s+week$")
_TIMES = rf"(?:{_NUMBER}){_RANGE_AND_TIMES}"
_DAILY = re.compile(rf"^(?:(?:{_TIMES}\s+)?daily|every day|each day|{_TIMES}\s+(?:a|per|each)\s+day)$")


def check_in_days(first_day: datetime.date, weeks: int, today: datetime.date) -> list[datetime.date]:
    """The days a patient may log today, newest first: the last week, inside the plan."""
    earliest = max(first_day, today - datetime.timedelta(days=CHECK_IN_WINDOW_DAYS - 1))
    latest = min(today, plan_last_day(first_day, weeks))
    return [latest - datetime.timedelta(days=offset) for offset in range((latest - earliest).days + 1)]


def check_in_day_problem(day: datetime.date, first_day: datetime.date, weeks: int, today: datetime.date) -> str:
    """Why ``day`` cannot be logged today, in the patient's words; empty when it can."""
    if day > today:
        return "You cannot log a day that has not happened yet."
    if day < first_day:
        return "This home program started later than that day."
    if day > plan_last_day(first_day, weeks):
        return "This home program had ended by that day."
    if day < today - datetime.timedelta(days=CHECK_IN_WINDOW_DAYS - 1):
        return f"You can fix your log for the last {CHECK_IN_WINDOW_DAYS} days only."
    return ""


NOTHING_ANSWERED = "Tick the exercises you did, or “I did none of them”, or choose your pain score."
NONE_AND_SOME = "You ticked exercises you did and “I did none of them”; untick one of them."


def check_in_answers_problem(done_items: list[int], pain: int | None, did_none: bool) -> tuple[str, str] | None:
    """(field, message) when a day's log says nothing or contradicts itself; None when it is
    fine. A blank log is no answer, not "none done": only an explicit "none" counts as zero."""
    if did_none and done_items:
        return "did_none", NONE_AND_SOME
    if not done_items and pain is None and not did_none:
        return "done_items", NOTHING_ANSWERED
    return None


def sessions_per_period(frequency: str) -> tuple[int, int] | None:
    """(sessions, period in days) for a frequency text, or None when it cannot be read."""
    text = " ".join(frequency.lower().replace("×", "x").split())
    if _DAILY.match(text):
        return 1, 1
    if text in {"every other day", "every second day"}:
        return 1, 2
    if text in {"weekly", "once weekly"}:
        return 1, 7
    match = _PER_WEEK.match(text)
    if match is None:
        return None
    count = match["count"]
    sessions = int(count) if count.isdigit() else _WORDS.get(count)
    if not sessions or sessions > 7:
        return None
    return (1, 1) if sessions == 7 else (sessions, 7)


@dataclass(frozen=True)
class Adherence:
    done: int
    due: int
    unread_items: int  # items whose frequency could not be read, not counted

    @property
    def percent(self) -> int | None:
        """Whole per cent of due sessions done; None while nothing has fallen due."""
        return round(100 * self.done / self.due) if self.due else None


def adherence(
    frequencies: Sequence[str],
    done_by_day: Mapping[datetime.date, Sequence[int]],
    first_day: datetime.date,
    weeks: int,
    today: datetime.date,
) -> Adherence:
    """Sessions done against sessions prescribed, from the first day up to today.

    ``frequencies`` holds each home-program item's frequency, in order; ``done_by_day`` the
    indexes of the items ticked on each logged day.
    """
    last_day = min(today, plan_last_day(first_day, weeks))
    done_total = due_total = unread = 0
    for index, frequency in enumerate(frequencies):
        rate = sessions_per_period(frequency)
        if rate is None:
            unread += 1
            continue
        sessions, period = rate
        start = first_day
        while start <= last_day:
            end = min(start + datetime.timedelta(days=period - 1), plan_last_day(first_day, weeks))
            done = sum(
                1
                for offset in range((min(end, last_day) - start).days + 1)
                if index in done_by_day.get(start + datetime.timedelta(days=offset), ())
            )
            credited = min(done, sessions)
            done_total += credited
            due_total += sessions if end < today else credited
            start = end + datetime.timedelta(days=1)
    return Adherence(done=done_total, due=due_total, unread_items=unread)


@dataclass(frozen=True)
class PainTrend:
    points: tuple[tuple[datetime.date, int], ...]
    first_average: float | None  # mean of the first week's ratings
    recent_average: float | None  # mean of the latest week's ratings

    @property
    def change(self) -> float | None:
        """Recent minus first average (negative: less pain); None without two weeks of ratings."""
        if self.first_average is None or self.recent_average is None:
            return None
        return round(self.recent_average - self.first_average, 1)


def pain_trend(points: Sequence[tuple[datetime.date, int | None]], *, week_days: int = 7) -> PainTrend:
    """The pain ratings in day order, with the first and the latest week's averages.

    Only numbers are given: DOMAIN.md sets no threshold for a change in daily home ratings,
    so the clinician judges it. The two weeks must not overlap, or the change would compare
    a day with itself.
    """
    rated = tuple(sorted((day, pain) for day, pain in points if pain is not None))
    if not rated:
        return PainTrend(points=(), first_average=None, recent_average=None)
    first_end = rated[0][0] + datetime.timedelta(days=week_days - 1)
    recent_start = rated[-1][0] - datetime.timedelta(days=week_days - 1)
    if recent_start <= first_end:
        return PainTrend(points=rated, first_average=None, recent_average=None)
    first = [pain for day, pain in rated if day <= first_end]
    recent = [pain for day, pain in rated if day >= recent_start]
    return PainTrend(
        points=rated,
        first_average=round(sum(first) / len(first), 1),
        recent_average=round(sum(recent) / len(recent), 1),
    )
