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


# Re-certification of the plan of care (DOMAIN B12.3 and Part A "Progress report / recertification", US Medicare
# Part B, S216): the plan is certified for at most 90 calendar days from the initial treatment (a clinic setting,
# default 90); treatment beyond the certified duration needs a re-certification by the physician or
# non-physician practitioner (a chiropractor may not certify or recertify a therapy plan of care). Same switch
# as the progress reports.
#
# Our reading where DOMAIN is silent, product rules:
# - the initial treatment is the episode's first completed visit (its day on the clinic's calendar), and it is
#   day one of the period: a 90-day period ends on the 89th day after it;
# - a re-certification starts a new period on its own day (day one again), even when it is recorded before the
#   running period ends; one dated on or before the first treatment (the initial certification) leaves the
#   period at the first treatment;
# - the dashboard warns RECERTIFICATION_WARNING_DAYS (7) before the period ends: DOMAIN gives no warning window.
RECERTIFICATION_WARNING_DAYS = 7


def certified_until(
    first_treatment: datetime.date,
    last_recertification: datetime.date | None,
    period_days: int | float = THRESHOLD_DEFAULTS["plan_certification_days"],
) -> datetime.date:
    """The last day of the certified period: ``period_days`` calendar days counted from the first treatment,
    or from the last re-certification when it came after it."""
    start = first_treatment
    if last_recertification is not None and last_recertification > first_treatment:
        start = last_recertification
    return start + datetime.timedelta(days=int(period_days) - 1)


def recertification_status(
    first_treatment: datetime.date,
    last_recertification: datetime.date | None,
    today: datetime.date,
    period_days: int | float = THRESHOLD_DEFAULTS["plan_certification_days"],
) -> str:
    """OVERDUE once the certified period has ended (treatment today is beyond it), DUE when it ends within the
    next ``RECERTIFICATION_WARNING_DAYS`` days (today included), "" otherwise."""
    ends = certified_until(first_treatment, last_recertification, period_days)
    if ends < today:
        return OVERDUE
    if ends <= today + datetime.timedelta(days=RECERTIFICATION_WARNING_DAYS):
        return DUE
    return ""


@dataclass(frozen=True)
class EpisodeCertification:
    episode: int
    ends: datetime.date
    status: str


def episodes_to_recertify(
    visits: Iterable[tuple[int, datetime.date]],
    last_recertifications: Mapping[int, datetime.date],
    today: datetime.date,
    period_days: int | float = THRESHOLD_DEFAULTS["plan_certification_days"],
) -> list[EpisodeCertification]:
    """Of the episodes of ``visits`` (episode id, day of a completed visit), those whose plan of care is due or
    overdue a re-certification, the earliest end of period first. ``last_recertifications``: episode id -> the
    day of its last recorded certification."""
    first_treatments: dict[int, datetime.date] = {}
    for episode, day in visits:
        if episode not in first_treatments or day < first_treatments[episode]:
            first_treatments[episode] = day
    found = []
    for episode, first in first_treatments.items():
        last = last_recertifications.get(episode)
        status = recertification_status(first, last, today, period_days)
        if status:
            ends = certified_until(first, last, period_days)
            found.append(EpisodeCertification(episode=episode, ends=ends, status=status))
    return sorted(found, key=lambda entry: (entry.ends, entry.episode))
