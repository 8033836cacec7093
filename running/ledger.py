"""The load ledger: the running-load facts of DOMAIN B8, computed per logged session. Pure.

For each run, in the order the runner lived them (local day, then id):

- weekly distance: the km of the 7 local days ending on the run's day, this run and the earlier
  ones of that day included;
- two-week progression: that weekly distance against the weekly distance two weeks before (the
  7 days ending 14 days earlier), as the intake's load rule compares them (``intake.rules``);
- share of the 30-day longest: the run against the longest run of the 30 days before its day.

The flags and their thresholds are the intake's (``load_progression_pct``, ``load_spike_pct``;
"above", never "at"); a missing or zero baseline raises no flag, as there. While a return-to-run
plan covers the run (it was logged in an active plan), its flags are information only and a run
that matched the prescribed phase is labelled protocol-planned; outside a plan they apply
unchanged (DOMAIN B10.4, a product decision). A run without a distance (a device file with no
positions, waiting for the runner's figure) counts as 0 km and gets no share.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from domain.facts import THRESHOLD_DEFAULTS
from intake.rules import load_facts, percent_change

PROGRESSION = "distance_progression"
SPIKE = "single_run_spike"
WEEK = 7
TWO_WEEKS = 14
LONGEST_WINDOW = 30
_KM = Decimal("0.01")
_PCT = Decimal("0.1")


@dataclass(frozen=True)
class Session:
    """One logged run, as the ledger needs it."""

    run_id: int
    local_date: datetime.date
    distance_m: int | None
    # Logged while a return-to-run plan was active.
    in_plan: bool = False
    protocol_planned: bool = False


@dataclass(frozen=True)
class LedgerRow:
    run_id: int
    local_date: datetime.date
    distance_km: Decimal | None
    weekly_km: Decimal
    weekly_km_two_weeks_before: Decimal
    progression_pct: Decimal | None
    longest_prior_km: Decimal | None
    share_of_longest_pct: Decimal | None
    flags: tuple[str, ...]
    # Flags shown as information only: a return-to-run plan covered the run.
    informational: bool
    protocol_planned: bool


def _km(metres: int) -> Decimal:
    return (Decimal(metres) / 1000).quantize(_KM, ROUND_HALF_UP)


def _between(sessions: Sequence[Session], first: datetime.date, last: datetime.date) -> list[Session]:
    return [session for session in sessions if first <= session.local_date <= last]


def ledger(
    sessions: Sequence[Session],
    *,
    progression_threshold_pct: int | Decimal = THRESHOLD_DEFAULTS["load_progression_pct"],
    spike_threshold_pct: int | Decimal = THRESHOLD_DEFAULTS["load_spike_pct"],
) -> list[LedgerRow]:
    """One row per session, oldest first. ``sessions`` must include the 30 days of runs before
    the first one a caller shows, or that row's baselines come out short."""
    ordered = sorted(sessions, key=lambda session: (session.local_date, session.run_id))
    rows = []
    for position, session in enumerate(ordered):
        day = session.local_date
        so_far = ordered[: position + 1]
        week = sum(s.distance_m or 0 for s in _between(so_far, day - datetime.timedelta(days=WEEK - 1), day))
        before_end = day - datetime.timedelta(days=TWO_WEEKS)
        two_weeks_before = sum(
            s.distance_m or 0 for s in _between(ordered, before_end - datetime.timedelta(days=WEEK - 1), before_end)
        )
        prior = _between(ordered, day - datetime.timedelta(days=LONGEST_WINDOW), day - datetime.timedelta(days=1))
        longest = max((s.distance_m or 0 for s in prior), default=0)
        facts = load_facts(
            weekly_km_now=_km(week),
            weekly_km_2_weeks_ago=_km(two_weeks_before),
            weekly_km_4_weeks_ago=None,
            longest_run_km_last_7_days=_km(session.distance_m) if session.distance_m is not None else None,
            longest_run_km_prior_30_days=_km(longest),
            progression_threshold_pct=progression_threshold_pct,
            spike_threshold_pct=spike_threshold_pct,
        )
        progression = percent_change(_km(two_weeks_before), _km(week))
        share = (
            (Decimal(session.distance_m) * 100 / longest).quantize(_PCT, ROUND_HALF_UP)
            if session.distance_m is not None and longest
            else None
        )
        rows.append(
            LedgerRow(
                run_id=session.run_id,
                local_date=day,
                distance_km=_km(session.distance_m) if session.distance_m is not None else None,
                weekly_km=_km(week),
                weekly_km_two_weeks_before=_km(two_weeks_before),
                progression_pct=progression.quantize(_PCT, ROUND_HALF_UP) if progression is not None else None,
                longest_prior_km=_km(longest) if longest else None,
                share_of_longest_pct=share,
                flags=tuple(fact.code for fact in facts),
                informational=session.in_plan,
                protocol_planned=session.in_plan and session.protocol_planned,
            )
        )
    return rows
