"""Scheduling rules: a date's own hours (WorkingHours.on) replace the weekly ones (no database)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.scheduling.rules import (
    PlanNeed,
    WorkingHours,
    clashing_windows,
    free_slots,
    is_within_working_hours,
    keeps_hours,
    local_window,
    propose_plan_series,
    working_windows,
)

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = date(2026, 1, 5)
CHRISTMAS_EVE = date(2026, 12, 24)  # a Thursday
SPRING_FORWARD = date(2026, 3, 8)  # Sunday; 02:00 CST -> 03:00 CDT
FALL_BACK = date(2026, 11, 1)  # Sunday; 02:00 CDT -> 01:00 CST
HOUR = timedelta(hours=1)

EVERY_DAY = [WorkingHours(weekday, time(9), time(17)) for weekday in range(7)]


def local(day: date, hh_mm: str, *, fold: int = 0) -> datetime:
    return datetime.combine(day, time.fromisoformat(hh_mm), tzinfo=CHICAGO).replace(fold=fold)


def hours_of(day: date, *changes: tuple[str, str] | None) -> list[WorkingHours]:
    """The weekly 09:00–17:00 plus ``day``'s changes (None: a day off)."""
    rows = [
        WorkingHours.day_off(day)
        if change is None
        else WorkingHours.on_date(day, time.fromisoformat(change[0]), time.fromisoformat(change[1]))
        for change in changes
    ]
    return EVERY_DAY + rows


def windows(day: date, hours: list[WorkingHours]) -> list[tuple[str, str]]:
    return [(start.isoformat(), end.isoformat()) for start, end in working_windows(day, hours, CHICAGO)]


@pytest.mark.parametrize(
    ("day", "changes", "expected"),
    [
        # No change: the weekly hours.
        (CHRISTMAS_EVE, (), [("2026-12-24T09:00:00-06:00", "2026-12-24T17:00:00-06:00")]),
        # A shorter day replaces the weekly window, it does not add to it.
        (CHRISTMAS_EVE, (("12:00", "16:00"),), [("2026-12-24T12:00:00-06:00", "2026-12-24T16:00:00-06:00")]),
        # Later than the weekly hours: only the change counts.
        (CHRISTMAS_EVE, (("18:00", "20:00"),), [("2026-12-24T18:00:00-06:00", "2026-12-24T20:00:00-06:00")]),
        # Two windows make a split day; touching ones merge, as weekly rows do.
        (
            CHRISTMAS_EVE,
            (("08:00", "10:00"), ("14:00", "15:00")),
            [
                ("2026-12-24T08:00:00-06:00", "2026-12-24T10:00:00-06:00"),
                ("2026-12-24T14:00:00-06:00", "2026-12-24T15:00:00-06:00"),
            ],
        ),
        (
            CHRISTMAS_EVE,
            (("08:00", "10:00"), ("10:00", "11:00")),
            [("2026-12-24T08:00:00-06:00", "2026-12-24T11:00:00-06:00")],
        ),
        # A day off: nothing.
        (CHRISTMAS_EVE, (None,), []),
        # Daylight saving days: the change follows the module's time rules.
        (SPRING_FORWARD, (("01:00", "04:00"),), [("2026-03-08T01:00:00-06:00", "2026-03-08T04:00:00-05:00")]),
        (SPRING_FORWARD, (("02:00", "02:45"),), []),  # wholly in the gap: no working time that day
        (FALL_BACK, (("01:00", "02:00"),), [("2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-06:00")]),
        (FALL_BACK, (None,), []),
    ],
)
def test_a_dates_changes_replace_its_weekly_hours(day, changes, expected):
    assert windows(day, hours_of(day, *changes)) == expected


def test_a_change_leaves_the_other_days_alone():
    hours = hours_of(CHRISTMAS_EVE, None)
    next_week = CHRISTMAS_EVE + timedelta(days=7)
    assert windows(next_week, hours) == [("2026-12-31T09:00:00-06:00", "2026-12-31T17:00:00-06:00")]
    assert windows(CHRISTMAS_EVE - timedelta(days=1), hours) != []


@pytest.mark.parametrize(
    ("changes", "start", "end", "expected"),
    [
        ((), "09:00", "10:00", True),
        ((("12:00", "16:00"),), "09:00", "10:00", False),
        ((("12:00", "16:00"),), "12:00", "13:00", True),
        ((("12:00", "16:00"),), "15:30", "16:30", False),
        ((None,), "12:00", "13:00", False),
    ],
)
def test_is_within_working_hours_on_a_changed_day(changes, start, end, expected):
    hours = hours_of(CHRISTMAS_EVE, *changes)
    assert is_within_working_hours(local(CHRISTMAS_EVE, start), local(CHRISTMAS_EVE, end), hours, CHICAGO) is expected


def test_is_within_working_hours_on_a_changed_fall_back_day():
    # 01:00–02:00 on the fall-back day is two real hours: 01:30 CST (the second 01:30) is inside.
    hours = hours_of(FALL_BACK, ("01:00", "02:00"))
    second = local(FALL_BACK, "01:30", fold=1)
    assert is_within_working_hours(second, second + timedelta(minutes=30), hours, CHICAGO)
    assert not is_within_working_hours(local(FALL_BACK, "09:00"), local(FALL_BACK, "10:00"), hours, CHICAGO)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ((), ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]),
        ((("12:00", "16:00"),), ["12:00", "13:00", "14:00", "15:00"]),
        ((None,), []),
    ],
)
def test_free_slots_on_a_changed_day(changes, expected):
    slots = free_slots(
        CHRISTMAS_EVE, length=HOUR, hours=hours_of(CHRISTMAS_EVE, *changes), busy=[], zone=CHICAGO, step=HOUR
    )
    assert [f"{slot.start:%H:%M}" for slot in slots] == expected


def test_free_slots_on_a_changed_spring_forward_day():
    slots = free_slots(
        SPRING_FORWARD,
        length=HOUR,
        hours=hours_of(SPRING_FORWARD, ("01:00", "04:00")),
        busy=[],
        zone=CHICAGO,
        step=HOUR,
    )
    assert [slot.start.isoformat() for slot in slots] == ["2026-03-08T01:00:00-06:00", "2026-03-08T03:00:00-05:00"]


def test_a_series_skips_a_day_off():
    monday_only = [WorkingHours(0, time(9), time(10))]
    proposal = propose_plan_series(
        need=PlanNeed(visits_per_week=1, weeks=2, reassessment=False),
        existing=[],
        first_day=MONDAY,
        length=HOUR,
        reassessment_length=HOUR,
        hours=[*monday_only, WorkingHours.day_off(MONDAY + timedelta(days=7))],
        clinician_busy=[],
        patient_busy=[],
        zone=CHICAGO,
    )
    assert [visit.start.date() for visit in proposal.proposed] == [MONDAY]
    # The plan rule closes with what is left over of the plan.
    assert list(proposal.messages) == [
        "Week 2: no visit fits the clinician's free time (1 visit wanted)",
        "1 visit of the plan did not fit in its 2 weeks",
    ]


def test_a_series_uses_a_changed_day():
    proposal = propose_plan_series(
        need=PlanNeed(visits_per_week=1, weeks=1, reassessment=False),
        existing=[],
        first_day=MONDAY,
        length=HOUR,
        reassessment_length=HOUR,
        hours=[WorkingHours(0, time(9), time(10)), WorkingHours.on_date(MONDAY, time(15), time(16))],
        clinician_busy=[],
        patient_busy=[],
        zone=CHICAGO,
    )
    assert [visit.start.isoformat() for visit in proposal.proposed] == ["2026-01-05T15:00:00-06:00"]


def test_local_window_of_a_dated_row_only_on_its_date():
    row = WorkingHours.on_date(CHRISTMAS_EVE, time(12), time(16))
    assert local_window(CHRISTMAS_EVE, row, CHICAGO)[0].isoformat() == "2026-12-24T12:00:00-06:00"
    with pytest.raises(ValueError, match="do not apply"):
        local_window(CHRISTMAS_EVE + timedelta(days=7), row, CHICAGO)


@pytest.mark.parametrize(
    "make",
    [
        lambda: WorkingHours(0, time(12), time(12)),  # an empty weekly window means nothing
        lambda: WorkingHours(3, time(12), time(11), CHRISTMAS_EVE),
        lambda: WorkingHours(0, time(12), time(16), CHRISTMAS_EVE),  # the 24th is a Thursday
        lambda: WorkingHours(3, time(12), time(16), datetime(2026, 12, 24, 12)),
        lambda: WorkingHours(3, time(12), time(16), "2026-12-24"),
    ],
)
def test_impossible_rows_are_refused(make):
    with pytest.raises(ValueError, match=r"must|not on weekday"):
        make()


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([("08:00", "12:00"), ("13:00", "17:00")], []),  # a lunch break
        ([("08:00", "12:00"), ("12:00", "17:00")], []),  # touching
        ([("08:00", "12:00"), ("11:00", "17:00")], [(0, 1)]),
        ([("08:00", "17:00"), ("10:00", "11:00"), ("16:00", "18:00")], [(0, 1), (0, 2)]),
        ([("10:00", "11:00"), ("10:00", "11:00")], [(0, 1)]),
        ([], []),
    ],
)
def test_clashing_windows(rows, expected):
    parsed = [(time.fromisoformat(start), time.fromisoformat(end)) for start, end in rows]
    assert clashing_windows(parsed) == expected


@pytest.mark.parametrize(
    ("hours", "day", "expected"),
    [
        ([], CHRISTMAS_EVE, False),
        (EVERY_DAY, CHRISTMAS_EVE, True),
        ([WorkingHours(0, time(9), time(17))], CHRISTMAS_EVE, True),  # weekly hours kept, none that weekday
        ([WorkingHours.day_off(CHRISTMAS_EVE)], CHRISTMAS_EVE, True),
        ([WorkingHours.day_off(CHRISTMAS_EVE)], CHRISTMAS_EVE + timedelta(days=1), False),
    ],
)
def test_keeps_hours(hours, day, expected):
    assert keeps_hours(day, hours) is expected
