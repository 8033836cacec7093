"""The load ledger, table-tested: weekly distance, two-week progression, the run against the
30-day longest, the intake's thresholds ("above", never "at"), and flags informational while a
return-to-run plan covers the run."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from running.ledger import PROGRESSION, SPIKE, Session, ledger

D0 = datetime.date(2026, 11, 1)


def day(offset: int) -> datetime.date:
    return D0 + datetime.timedelta(days=offset)


def s(run_id: int, offset: int, metres: int | None, *, in_plan: bool = False, planned: bool = False) -> Session:
    return Session(run_id, day(offset), metres, in_plan=in_plan, protocol_planned=planned)


def last(sessions, **thresholds):
    return ledger(sessions, **thresholds)[-1]


@pytest.mark.parametrize(
    ("sessions", "weekly", "before", "progression"),
    [
        # One run: no baseline.
        ([s(1, 14, 5000)], Decimal("5.00"), Decimal("0.00"), None),
        # Same-day runs add up; the window is the 7 days ending on the run's day.
        ([s(1, 8, 3000), s(2, 14, 2000), s(3, 14, 1000)], Decimal("6.00"), Decimal("0.00"), None),
        ([s(1, 0, 3000), s(2, 14, 2000)], Decimal("2.00"), Decimal("3.00"), Decimal("-33.3")),
        # Two weeks before: the 7 days ending 14 days earlier (days 1..7 for day 21).
        ([s(1, 1, 10_000), s(2, 7, 0), s(3, 21, 13_000)], Decimal("13.00"), Decimal("10.00"), Decimal("30.0")),
        ([s(1, 0, 10_000), s(2, 21, 13_000)], Decimal("13.00"), Decimal("0.00"), None),
        # A run without a distance counts as 0 km.
        ([s(1, 7, 4000), s(2, 20, None), s(3, 21, 2000)], Decimal("2.00"), Decimal("4.00"), Decimal("-50.0")),
    ],
)
def test_weekly_distance_and_two_week_progression(sessions, weekly, before, progression):
    row = last(sessions)
    assert (row.weekly_km, row.weekly_km_two_weeks_before, row.progression_pct) == (weekly, before, progression)


@pytest.mark.parametrize(
    ("sessions", "longest", "share"),
    [
        ([s(1, 10, 5000)], None, None),
        ([s(1, 0, 4000), s(2, 10, 5000)], Decimal("4.00"), Decimal("125.0")),
        # Exactly 30 days before is in the window; 31 is not.
        ([s(1, 0, 4000), s(2, 30, 4400)], Decimal("4.00"), Decimal("110.0")),
        ([s(1, 0, 4000), s(2, 31, 4400)], None, None),
        # An earlier run of the same day is not "the previous 30 days".
        ([s(1, 10, 4000), s(2, 10, 5000)], None, None),
        ([s(1, 0, 4000), s(2, 5, 2000), s(3, 10, None)], Decimal("4.00"), None),
    ],
)
def test_run_against_the_30_day_longest(sessions, longest, share):
    row = last(sessions)
    assert (row.longest_prior_km, row.share_of_longest_pct) == (longest, share)


@pytest.mark.parametrize(
    ("sessions", "thresholds", "flags"),
    [
        # 30 % in two weeks is not above 30 %; 30.1 % is.
        ([s(1, 1, 10_000), s(2, 15, 6500), s(3, 21, 6500)], {}, ()),
        ([s(1, 1, 10_000), s(2, 15, 6500), s(3, 21, 6510)], {}, (PROGRESSION,)),
        ([s(1, 1, 10_000), s(2, 21, 13_010)], {}, (PROGRESSION, SPIKE)),
        # 110 % of the 30-day longest is not above 110 %; 110.1 % is.
        ([s(1, 10, 10_000), s(2, 20, 11_000)], {}, ()),
        ([s(1, 10, 10_000), s(2, 20, 11_010)], {}, (SPIKE,)),
        # The clinic's own thresholds.
        ([s(1, 10, 10_000), s(2, 20, 11_010)], {"spike_threshold_pct": 120}, ()),
        (
            [s(1, 1, 10_000), s(2, 21, 12_000)],
            {"progression_threshold_pct": 10, "spike_threshold_pct": 150},
            (PROGRESSION,),
        ),
        # No baseline, no flag (as the intake's rule).
        ([s(1, 20, 20_000)], {}, ()),
    ],
)
def test_flags_use_the_intakes_thresholds(sessions, thresholds, flags):
    assert last(sessions, **thresholds).flags == flags


@pytest.mark.parametrize(
    ("in_plan", "planned", "informational", "label"),
    [
        (True, True, True, True),
        (True, False, True, False),
        # After the plan: the flags apply, and no run is protocol-planned.
        (False, False, False, False),
        (False, True, False, False),
    ],
)
def test_flags_are_information_only_while_a_plan_covers_the_run(in_plan, planned, informational, label):
    # Phase 1 to phase 2 of the published program: +50 %, the spike flag fires on a planned session.
    row = last([s(1, 0, 1610, in_plan=True, planned=True), s(2, 3, 2410, in_plan=in_plan, planned=planned)])
    assert row.flags == (SPIKE,)
    assert (row.informational, row.protocol_planned) == (informational, label)


def test_one_row_per_session_oldest_first_whatever_the_order_given():
    rows = ledger([s(3, 5, 1000), s(1, 1, 1000), s(2, 1, 1000)])
    assert [row.run_id for row in rows] == [1, 2, 3]
    assert [row.weekly_km for row in rows] == [Decimal("1.00"), Decimal("2.00"), Decimal("3.00")]


def test_no_sessions_no_rows():
    assert ledger([]) == []
