"""When an episode is due a progress report, counted in treatment days.

Source (DOMAIN B12.3 and Part A "Progress report / recertification", US Medicare Part B, S215): a progress
report at least once every 10 treatment days, counted from the first day of the episode; it assesses the
progress toward each goal and gives the plans and any changes to the goals. Medicare patients only: a clinic
turns the rule on (off by default), and the interval is a clinic setting (default 10).

Our reading where DOMAIN is silent, a product rule:
- a treatment day is a day (the clinic's calendar) with a completed visit of the episode; two visits on one
  day are one treatment day;
- after a progress report, the count starts again with the days after the report's day (the visit that
  produced the report does not count toward the next one);
- "at least once every N treatment days" lets the report fall on the N-th treatment day at the latest: with
  N - 1 days counted it is due at the next visit; with N or more it is overdue.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.facts import THRESHOLD_DEFAULTS

DUE = "due"
OVERDUE = "overdue"


def treatment_days(visit_days: Iterable[datetime.date], last_report: datetime.date | None) -> int:
    """Treatment days since the last progress report (since the episode's first day when there was none)."""
    return len({day for day in visit_days if last_report is None or day > last_report})


def report_status(days: int, every: int | float = THRESHOLD_DEFAULTS["progress_report_treatment_days"]) -> str:
    """DUE when the next visit is the last treatment day the report may fall on, OVERDUE past it, "" otherwise."""
    every = int(every)
    if days >= every:
        return OVERDUE
    if days == every - 1:
        return DUE
    return ""


@dataclass(frozen=True)
class EpisodeCount:
    episode: int
    days: int
    status: str


def episodes_due(
    visits: Iterable[tuple[int, datetime.date]],
    last_reports: Mapping[int, datetime.date],
    every: int | float = THRESHOLD_DEFAULTS["progress_report_treatment_days"],
) -> list[EpisodeCount]:
    """Of the episodes of ``visits`` (episode id, day of a completed visit), those due or overdue a report,
    most treatment days first. ``last_reports``: episode id -> the day of its last progress report."""
    days_by_episode: dict[int, set[datetime.date]] = {}
    for episode, day in visits:
        days_by_episode.setdefault(episode, set()).add(day)
    counts = []
    for episode, days in days_by_episode.items():
        count = treatment_days(days, last_reports.get(episode))
        status = report_status(count, every)
        if status:
            counts.append(EpisodeCount(episode=episode, days=count, status=status))
    return sorted(counts, key=lambda entry: (-entry.days, entry.episode))
