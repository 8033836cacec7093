"""Scheduling rules: intervals, working hours, free slots, daylight saving and proposed series (no database)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.scheduling.rules import (
    FOLLOW_UP,
    REASSESSMENT,
    Busy,
    PlanNeed,
    Preference,
    ProposedVisit,
    SeriesProposal,
    Slot,
    WorkingHours,
    conflicts,
    free_slots,
    is_within_working_hours,
    local_window,
    overlaps,
    propose_plan_series,
)

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = date(2026, 1, 5)  # January: Central Standard Time (UTC-6) throughout
SPRING_FORWARD = date(2026, 3, 8)  # Sunday; 02:00 CST -> 03:00 CDT
FALL_BACK = date(2026, 11, 1)  # Sunday; 02:00 CDT -> 01:00 CST
THIRTY, HOUR = timedelta(minutes=30), timedelta(hours=1)

WEEKDAYS = [WorkingHours(weekday, time(9), time(17)) for weekday in range(5)]
EVERY_DAY = [WorkingHours(weekday, time(9), time(17)) for weekday in range(7)]
SPLIT_MONDAY = [WorkingHours(0, time(8), time(12)), WorkingHours(0, time(13), time(17))]


def local(day: date | str, hh_mm: str, *, fold: int = 0, zone: ZoneInfo = CHICAGO) -> datetime:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime.combine(day, time.fromisoformat(hh_mm), tzinfo=zone).replace(fold=fold)


def hours_on(day: date, start: str, end: str) -> WorkingHours:
    return WorkingHours(day.weekday(), time.fromisoformat(start), time.fromisoformat(end))


def busy(day: date | str, start: str, end: str) -> Busy:
    return Busy(local(day, start), local(day, end))


def walls(slots: list[Slot]) -> list[str]:
    return [slot.start.strftime("%H:%M") for slot in slots]


# --- overlaps ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (("09:00", "10:00"), ("10:00", "11:00"), False),  # touching: a ends as b starts
        (("10:00", "11:00"), ("09:00", "10:00"), False),  # touching the other way round
        (("09:00", "12:00"), ("10:00", "11:00"), True),  # a contains b
        (("10:00", "11:00"), ("09:00", "12:00"), True),  # b contains a
        (("09:00", "10:00"), ("09:00", "10:00"), True),  # equal
        (("09:00", "10:00"), ("09:00", "09:01"), True),  # same start
        (("09:00", "10:00"), ("09:59", "10:30"), True),  # one minute in common
        (("09:00", "10:00"), ("10:01", "11:00"), False),  # disjoint
        (("13:00", "14:00"), ("09:00", "10:00"), False),  # disjoint, later first
    ],
)
def test_overlaps(a, b, expected):
    assert overlaps(local(MONDAY, a[0]), local(MONDAY, a[1]), local(MONDAY, b[0]), local(MONDAY, b[1])) is expected


@pytest.mark.parametrize(
    ("b_start_utc", "expected"),
    [
        ("2026-01-05T16:00:00+00:00", False),  # 10:00 CST exactly: touching
        ("2026-01-05T15:59:00+00:00", True),
    ],
)
def test_overlaps_compares_instants_across_zones(b_start_utc, expected):
    b_start = datetime.fromisoformat(b_start_utc)
    assert overlaps(local(MONDAY, "09:00"), local(MONDAY, "10:00"), b_start, b_start + HOUR) is expected


@pytest.mark.parametrize(
    "args",
    [
        (datetime(2026, 1, 5, 9), local(MONDAY, "10:00"), local(MONDAY, "09:00"), local(MONDAY, "10:00")),  # naive
        (local(MONDAY, "10:00"), local(MONDAY, "10:00"), local(MONDAY, "09:00"), local(MONDAY, "10:00")),  # empty
        (local(MONDAY, "10:00"), local(MONDAY, "09:00"), local(MONDAY, "09:00"), local(MONDAY, "10:00")),  # reversed
        (local(MONDAY, "09:00"), local(MONDAY, "10:00"), "09:00", local(MONDAY, "10:00")),  # not a datetime
    ],
)
def test_overlaps_refuses_impossible_intervals(args):
    with pytest.raises(ValueError, match=r"aware datetime|must end after"):
        overlaps(*args)


# --- working hours ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "start", "end", "expected"),
    [
        (SPLIT_MONDAY, "08:00", "09:00", True),  # starts as the window opens
        (SPLIT_MONDAY, "11:00", "12:00", True),  # ends as the window closes
        (SPLIT_MONDAY, "13:00", "17:00", True),  # the whole afternoon window
        (SPLIT_MONDAY, "07:45", "08:45", False),  # starts before opening
        (SPLIT_MONDAY, "16:30", "17:30", False),  # runs past closing
        (SPLIT_MONDAY, "11:30", "12:30", False),  # runs into lunch
        (SPLIT_MONDAY, "12:15", "12:45", False),  # inside lunch
        (SPLIT_MONDAY, "11:30", "13:30", False),  # spans the lunch gap
        (SPLIT_MONDAY, "08:00", "17:00", False),  # the whole day, lunch included
        ([WorkingHours(0, time(8), time(12)), WorkingHours(0, time(12), time(16))], "11:30", "12:30", True),  # touch
        ([WorkingHours(0, time(8), time(12)), WorkingHours(0, time(10), time(14))], "09:00", "13:30", True),  # overlap
        ([WorkingHours(1, time(8), time(17))], "09:00", "10:00", False),  # Tuesday hours, Monday visit
        ([], "09:00", "10:00", False),
    ],
)
def test_is_within_working_hours(hours, start, end, expected):
    assert is_within_working_hours(local(MONDAY, start), local(MONDAY, end), hours, CHICAGO) is expected


def test_is_within_working_hours_reads_a_utc_visit_in_the_clinic_zone():
    # 14:00-15:00 UTC is 08:00-09:00 CST on Monday 5 January.
    start = datetime(2026, 1, 5, 14, tzinfo=UTC)
    assert is_within_working_hours(start, start + HOUR, SPLIT_MONDAY, CHICAGO) is True
    assert is_within_working_hours(start - HOUR, start, SPLIT_MONDAY, CHICAGO) is False


# --- conflicts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("10:00", "11:00", []),  # fits exactly between the 09-10 visit and the 11-12 time off
        ("09:30", "10:30", [0]),
        ("10:30", "11:30", [1]),
        ("09:30", "11:30", [0, 1]),  # in the order given
        ("08:00", "13:00", [0, 1]),
        ("13:00", "14:00", []),
    ],
)
def test_conflicts(start, end, expected):
    entries = [busy(MONDAY, "09:00", "10:00"), busy(MONDAY, "11:00", "12:00")]
    assert conflicts(local(MONDAY, start), local(MONDAY, end), entries) == [entries[index] for index in expected]


def test_conflicts_with_busy_time_given_in_utc():
    off = Busy(datetime(2026, 1, 5, 15, tzinfo=UTC), datetime(2026, 1, 5, 16, tzinfo=UTC))  # 09:00-10:00 CST
    assert conflicts(local(MONDAY, "09:45"), local(MONDAY, "10:15"), [off]) == [off]
    assert conflicts(local(MONDAY, "10:00"), local(MONDAY, "10:30"), [off]) == []


# --- free slots -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "length", "busy_times", "kwargs", "expected"),
    [
        ([hours_on(MONDAY, "09:00", "11:00")], HOUR, [], {}, ["09:00", "09:15", "09:30", "09:45", "10:00"]),
        # Busy in the middle: no slot overlaps 10:00-10:30; touching it is fine.
        (
            [hours_on(MONDAY, "09:00", "12:00")],
            HOUR,
            [("10:00", "10:30")],
            {},
            ["09:00", "10:30", "10:45", "11:00"],
        ),
        # Steps run from the window's start, not from the hour.
        ([hours_on(MONDAY, "09:10", "10:30")], THIRTY, [], {}, ["09:10", "09:25", "09:40", "09:55"]),
        (
            [hours_on(MONDAY, "09:00", "11:00")],
            THIRTY,
            [],
            {"step": timedelta(minutes=40)},
            ["09:00", "09:40", "10:20"],
        ),
        # not_before drops earlier starts but does not move the grid.
        (
            [hours_on(MONDAY, "09:10", "10:30")],
            THIRTY,
            [],
            {"not_before": local(MONDAY, "09:20")},
            ["09:25", "09:40", "09:55"],
        ),
        ([hours_on(MONDAY, "09:00", "10:00")], HOUR, [], {"not_before": local(MONDAY, "09:00")}, ["09:00"]),
        ([hours_on(MONDAY, "09:00", "10:00")], HOUR, [], {"not_before": local(MONDAY, "09:01")}, []),
        ([hours_on(MONDAY, "09:00", "10:00")], HOUR, [], {"not_before": local("2026-01-04", "12:00")}, ["09:00"]),
        # Longer than the window: none.
        ([hours_on(MONDAY, "09:00", "10:00")], timedelta(minutes=61), [], {}, []),
        # Split shift: each window has its own grid and no slot spans lunch.
        (SPLIT_MONDAY, timedelta(hours=3), [], {"step": HOUR}, ["08:00", "09:00", "13:00", "14:00"]),
        # Busy all day, or hours on another weekday: none.
        ([hours_on(MONDAY, "09:00", "12:00")], THIRTY, [("00:00", "23:59")], {}, []),
        ([WorkingHours(1, time(9), time(12))], THIRTY, [], {}, []),
    ],
)
def test_free_slots(hours, length, busy_times, kwargs, expected):
    slots = free_slots(
        MONDAY, length=length, hours=hours, busy=[busy(MONDAY, *pair) for pair in busy_times], zone=CHICAGO, **kwargs
    )
    assert walls(slots) == expected
    for slot in slots:
        assert slot.start.tzinfo is CHICAGO
        assert slot.end - slot.start == length


def test_free_slots_busy_in_another_zone():
    # 16:00-17:00 UTC is 10:00-11:00 CST.
    off = Busy(datetime(2026, 1, 5, 16, tzinfo=UTC), datetime(2026, 1, 5, 17, tzinfo=UTC))
    slots = free_slots(MONDAY, length=HOUR, hours=[hours_on(MONDAY, "09:00", "12:00")], busy=[off], zone=CHICAGO)
    assert walls(slots) == ["09:00", "11:00"]


# --- daylight saving --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "start", "end", "expected_start", "expected_end", "real"),
    [
        # Spring forward, 2026-03-08: 02:00-02:59 does not exist; such a time moves to 03:00 CDT (the change).
        (CHICAGO, SPRING_FORWARD, "01:00", "04:00", "2026-03-08T01:00:00-06:00", "2026-03-08T04:00:00-05:00", 120),
        (CHICAGO, SPRING_FORWARD, "02:30", "04:00", "2026-03-08T03:00:00-05:00", "2026-03-08T04:00:00-05:00", 60),
        (CHICAGO, SPRING_FORWARD, "00:00", "02:30", "2026-03-08T00:00:00-06:00", "2026-03-08T03:00:00-05:00", 120),
        (CHICAGO, SPRING_FORWARD, "02:00", "02:45", "2026-03-08T03:00:00-05:00", "2026-03-08T03:00:00-05:00", 0),
        (CHICAGO, SPRING_FORWARD, "09:00", "17:00", "2026-03-08T09:00:00-05:00", "2026-03-08T17:00:00-05:00", 480),
        # Fall back, 2026-11-01: 01:00-01:59 happens twice; a time there takes its first occurrence (CDT).
        (CHICAGO, FALL_BACK, "01:00", "02:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-06:00", 120),
        (CHICAGO, FALL_BACK, "00:00", "01:30", "2026-11-01T00:00:00-05:00", "2026-11-01T01:30:00-05:00", 90),
        (CHICAGO, FALL_BACK, "01:30", "03:00", "2026-11-01T01:30:00-05:00", "2026-11-01T03:00:00-06:00", 150),
        (CHICAGO, FALL_BACK, "09:00", "17:00", "2026-11-01T09:00:00-06:00", "2026-11-01T17:00:00-06:00", 480),
        # The days after keep the same wall-clock hours.
        (CHICAGO, date(2026, 3, 9), "09:00", "17:00", "2026-03-09T09:00:00-05:00", "2026-03-09T17:00:00-05:00", 480),
        (CHICAGO, date(2026, 11, 2), "09:00", "17:00", "2026-11-02T09:00:00-06:00", "2026-11-02T17:00:00-06:00", 480),
        # A 30-minute change (Lord Howe Island, 2026-10-04: 02:00 -> 02:30).
        (
            ZoneInfo("Australia/Lord_Howe"),
            date(2026, 10, 4),
            "02:10",
            "03:00",
            "2026-10-04T02:30:00+11:00",
            "2026-10-04T03:00:00+11:00",
            30,
        ),
    ],
)
def test_local_window(zone, day, start, end, expected_start, expected_end, real):
    window_start, window_end = local_window(day, hours_on(day, start, end), zone)
    assert (window_start.isoformat(), window_end.isoformat()) == (expected_start, expected_end)
    assert window_start.tzinfo is zone
    assert window_end.astimezone(UTC) - window_start.astimezone(UTC) == timedelta(minutes=real)


def test_spring_forward_window_has_two_real_hours_of_slots():
    hours = [hours_on(SPRING_FORWARD, "01:00", "04:00")]
    hourly = free_slots(SPRING_FORWARD, length=HOUR, hours=hours, busy=[], zone=CHICAGO, step=HOUR)
    assert [slot.start.isoformat() for slot in hourly] == ["2026-03-08T01:00:00-06:00", "2026-03-08T03:00:00-05:00"]
    quarterly = free_slots(SPRING_FORWARD, length=HOUR, hours=hours, busy=[], zone=CHICAGO)
    assert walls(quarterly) == ["01:00", "01:15", "01:30", "01:45", "03:00"]
    # A visit lasts 60 real minutes: 01:30 CST + 1 h is 03:30 CDT on the wall clock.
    assert quarterly[2].end.isoformat() == "2026-03-08T03:30:00-05:00"
    assert all(slot.end.astimezone(UTC) - slot.start.astimezone(UTC) == HOUR for slot in quarterly)


def test_spring_forward_window_inside_the_gap_has_no_slots():
    hours = [hours_on(SPRING_FORWARD, "02:00", "02:45")]
    assert free_slots(SPRING_FORWARD, length=THIRTY, hours=hours, busy=[], zone=CHICAGO) == []


def test_fall_back_window_reads_01_00_twice():
    # Decision: "01:00-02:00" covers every instant the clock reads 01:xx, which on this day is 2 real hours.
    hours = [hours_on(FALL_BACK, "01:00", "02:00")]
    slots = free_slots(FALL_BACK, length=HOUR, hours=hours, busy=[], zone=CHICAGO, step=HOUR)
    assert [(slot.start.isoformat(), slot.start.fold) for slot in slots] == [
        ("2026-11-01T01:00:00-05:00", 0),
        ("2026-11-01T01:00:00-06:00", 1),
    ]
    # The second 01:00 survives a round trip through UTC.
    again = slots[1].start.astimezone(UTC).astimezone(CHICAGO)
    assert (again.isoformat(), again.fold) == ("2026-11-01T01:00:00-06:00", 1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (local(FALL_BACK, "01:30", fold=1), local(FALL_BACK, "02:00"), True),  # second 01:30 (CST) - 02:00
        (local(FALL_BACK, "01:00"), local(FALL_BACK, "01:00", fold=1), True),  # the whole first 01:xx hour
        (local(FALL_BACK, "00:30"), local(FALL_BACK, "01:30"), False),  # starts before 01:00
        (local(FALL_BACK, "01:30", fold=1), local(FALL_BACK, "02:30"), False),  # ends after 02:00
    ],
)
def test_is_within_working_hours_on_fall_back(start, end, expected):
    hours = [hours_on(FALL_BACK, "01:00", "02:00")]
    assert is_within_working_hours(start, end, hours, CHICAGO) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 7), "2026-03-07T09:00:00-06:00"),  # before spring forward
        (date(2026, 3, 9), "2026-03-09T09:00:00-05:00"),  # the day after
        (date(2026, 10, 31), "2026-10-31T09:00:00-05:00"),  # before fall back
        (date(2026, 11, 2), "2026-11-02T09:00:00-06:00"),  # the day after
    ],
)
def test_nine_o_clock_stays_nine_o_clock(day, expected):
    slots = free_slots(day, length=HOUR, hours=EVERY_DAY, busy=[], zone=CHICAGO)
    assert slots[0].start.isoformat() == expected
    stored = slots[0].start.astimezone(UTC)  # what the database keeps
    assert stored.astimezone(CHICAGO).time() == time(9)


@pytest.mark.parametrize(
    ("first_day", "expected"),
    [
        (date(2026, 3, 2), ["2026-03-02T09:00:00-06:00", "2026-03-09T09:00:00-05:00"]),
        (date(2026, 10, 26), ["2026-10-26T09:00:00-05:00", "2026-11-02T09:00:00-06:00"]),
    ],
)
def test_series_across_a_change_keeps_the_wall_clock_time(first_day, expected):
    proposal = propose_plan_series(
        need=PlanNeed(visits_per_week=1, weeks=2, reassessment=False),
        existing=[],
        first_day=first_day,
        length=HOUR,
        reassessment_length=HOUR,
        hours=[WorkingHours(0, time(9), time(10))],
        clinician_busy=[],
        patient_busy=[],
        zone=CHICAGO,
    )
    visits = proposal.proposed
    assert ([visit.start.isoformat() for visit in visits], proposal.messages) == (expected, ())
    assert [visit.start.astimezone(UTC).astimezone(CHICAGO).time() for visit in visits] == [time(9), time(9)]


# --- propose_plan_series with nothing booked yet: how a series is laid out -------------------------------


def need(visits_per_week: int = 2, weeks: int = 3, reassessment: bool = False) -> PlanNeed:
    return PlanNeed(visits_per_week=visits_per_week, weeks=weeks, reassessment=reassessment)


def propose(**overrides) -> tuple[tuple[ProposedVisit, ...], list[str]]:
    """The proposal for a plan with no visits yet, as (visits in time order, messages)."""
    arguments = {
        "need": need(),
        "existing": [],
        "first_day": MONDAY,
        "length": THIRTY,
        "reassessment_length": HOUR,
        "hours": WEEKDAYS,
        "clinician_busy": [],
        "patient_busy": [],
        "zone": CHICAGO,
    }
    proposal = propose_plan_series(**(arguments | overrides))
    assert isinstance(proposal, SeriesProposal)
    return proposal.proposed, list(proposal.messages)


def summary(visits: tuple[ProposedVisit, ...]) -> list[tuple[int, str, str, bool]]:
    return [(visit.week, visit.start.strftime("%a %m-%d %H:%M"), visit.kind, visit.preferred) for visit in visits]


def test_two_a_week_for_three_weeks():
    visits, messages = propose()
    assert summary(visits) == [
        (1, "Mon 01-05 09:00", FOLLOW_UP, True),
        (1, "Wed 01-07 09:00", FOLLOW_UP, True),  # spread: not Tuesday
        (2, "Mon 01-12 09:00", FOLLOW_UP, True),
        (2, "Wed 01-14 09:00", FOLLOW_UP, True),
        (3, "Mon 01-19 09:00", FOLLOW_UP, True),
        (3, "Wed 01-21 09:00", FOLLOW_UP, True),
    ]
    assert messages == []
    assert all(visit.start.tzinfo is CHICAGO and visit.end - visit.start == THIRTY for visit in visits)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # Three a week spread to Mon, Wed, Fri.
        ({"need": need(3, weeks=1)}, ["Mon 01-05 09:00", "Wed 01-07 09:00", "Fri 01-09 09:00"]),
        # Five in five working days cannot be spread; all are taken.
        (
            {"need": need(5, weeks=1)},
            ["Mon 01-05 09:00", "Tue 01-06 09:00", "Wed 01-07 09:00", "Thu 01-08 09:00", "Fri 01-09 09:00"],
        ),
        # A busy Monday morning: Monday afternoon is still earlier than any other day.
        (
            {"need": need(weeks=1), "clinician_busy": [busy(MONDAY, "09:00", "12:00")]},
            ["Mon 01-05 12:00", "Wed 01-07 09:00"],
        ),
        # not_before Wednesday noon: Wednesday afternoon and Friday.
        ({"need": need(weeks=1), "not_before": local("2026-01-07", "12:00")}, ["Wed 01-07 12:00", "Fri 01-09 09:00"]),
    ],
)
def test_series_spread_busy_and_not_before(overrides, expected):
    visits, messages = propose(**overrides)
    assert [visit.start.strftime("%a %m-%d %H:%M") for visit in visits] == expected
    assert messages == []


def test_spread_counts_the_previous_weeks_last_visit():
    # Week 1 (Mon 5 - Sun 11 January) is free only on Sunday 11; week 2 then skips Monday 12, the next day.
    week_one_busy = [busy(date(2026, 1, day), "00:00", "23:59") for day in range(5, 11)]
    visits, _ = propose(need=need(1, weeks=2), hours=EVERY_DAY, clinician_busy=week_one_busy)
    assert [visit.start.strftime("%a %m-%d %H:%M") for visit in visits] == ["Sun 01-11 09:00", "Tue 01-13 09:00"]


@pytest.mark.parametrize(
    ("preference", "expected"),
    [
        # Met: Tuesday and Thursday at 16:00.
        (
            Preference(weekdays=frozenset({1, 3}), earliest=time(16), latest=time(16)),
            [("Tue 01-06 16:00", True), ("Thu 01-08 16:00", True)],
        ),
        # Met even when the days are next to each other: the patient's availability outranks spreading.
        (Preference(weekdays=frozenset({0, 1})), [("Mon 01-05 09:00", True), ("Tue 01-06 09:00", True)]),
        # A time window only: the earliest start inside it.
        (Preference(earliest=time(13), latest=time(15)), [("Mon 01-05 13:00", True), ("Wed 01-07 13:00", True)]),
        # Half met: Tuesday preferred, the other visit spread to Thursday.
        (Preference(weekdays=frozenset({1})), [("Tue 01-06 09:00", True), ("Thu 01-08 09:00", False)]),
        # Impossible (the clinic is closed on Saturday, or after 17:00): any free slot, preferred=False.
        (Preference(weekdays=frozenset({5})), [("Mon 01-05 09:00", False), ("Wed 01-07 09:00", False)]),
        (Preference(earliest=time(18)), [("Mon 01-05 09:00", False), ("Wed 01-07 09:00", False)]),
        # The default Preference is met by any slot.
        (Preference(), [("Mon 01-05 09:00", True), ("Wed 01-07 09:00", True)]),
    ],
)
def test_series_preference(preference, expected):
    visits, messages = propose(need=need(weeks=1), preference=preference)
    assert [(visit.start.strftime("%a %m-%d %H:%M"), visit.preferred) for visit in visits] == expected
    assert messages == []


def test_preference_with_a_busy_preferred_slot_takes_the_next_preferred_one():
    preference = Preference(weekdays=frozenset({1, 3}), earliest=time(16), latest=time(16, 30))
    visits, _ = propose(
        need=need(weeks=1), preference=preference, clinician_busy=[busy("2026-01-06", "16:00", "16:20")]
    )
    assert [(visit.start.strftime("%a %H:%M"), visit.preferred) for visit in visits] == [
        ("Tue 16:30", True),
        ("Thu 16:00", True),
    ]


# A plan has one re-assessment, its last visit: the re-assessment every n weeks that the older series rule
# placed (weeks 3 and 6 of 6, ...) is gone, so these cases expect it in the final week only.
@pytest.mark.parametrize(
    ("weeks", "reassessment", "reassessment_weeks"),
    [
        (6, True, [6]),
        (7, True, [7]),
        (2, True, [2]),
        (1, True, [1]),
        (4, False, []),
    ],
)
def test_reassessment_placement(weeks, reassessment, reassessment_weeks):
    visits, messages = propose(need=need(weeks=weeks, reassessment=reassessment))
    assert messages == []
    assert len(visits) == 2 * weeks
    for week in range(1, weeks + 1):
        first, last = [visit for visit in visits if visit.week == week]
        assert first.kind == FOLLOW_UP
        assert first.end - first.start == THIRTY
        if week in reassessment_weeks:
            assert (last.kind, last.end - last.start) == (REASSESSMENT, HOUR)
        else:
            assert (last.kind, last.end - last.start) == (FOLLOW_UP, THIRTY)


def test_reassessment_is_the_last_visit_of_the_week():
    visits, _ = propose(need=need(3, weeks=1, reassessment=True))
    assert [(visit.start.strftime("%a %H:%M"), visit.kind) for visit in visits] == [
        ("Mon 09:00", FOLLOW_UP),
        ("Wed 09:00", FOLLOW_UP),
        ("Fri 09:00", REASSESSMENT),
    ]


def test_reassessment_goes_where_it_fits():
    # Only 45 minutes free on Wednesday: the 60-minute reassessment moves to Thursday.
    wednesday = [busy("2026-01-07", "09:00", "16:15")]
    visits, _ = propose(need=need(weeks=1, reassessment=True), clinician_busy=wednesday)
    assert [(visit.start.strftime("%a %H:%M"), visit.kind) for visit in visits] == [
        ("Mon 09:00", FOLLOW_UP),
        ("Thu 09:00", REASSESSMENT),
    ]


def test_reassessment_that_fits_nowhere_leaves_follow_ups_and_a_message():
    short_days = [WorkingHours(weekday, time(9), time(9, 45)) for weekday in range(5)]
    visits, messages = propose(need=need(weeks=1, reassessment=True), hours=short_days)
    assert [(visit.start.strftime("%a %H:%M"), visit.kind) for visit in visits] == [
        ("Mon 09:00", FOLLOW_UP),
        ("Wed 09:00", FOLLOW_UP),
    ]
    assert messages == ["Week 1: no free time is long enough for the reassessment (60 min)"]


# The plan rule also says how many of the plan's visits are left over in the end (the last message).
@pytest.mark.parametrize(
    ("busy_days", "expected_weeks", "expected_messages"),
    [
        # Week 2 (12-16 January) fully booked.
        (
            range(12, 17),
            [1, 1, 3, 3],
            [
                "Week 2: no visit fits the clinician's free time (2 visits wanted)",
                "2 visits of the plan did not fit in its 3 weeks",
            ],
        ),
        # Week 3 (19-23 January) free only on Thursday 22.
        (
            [19, 20, 21, 23],
            [1, 1, 2, 2, 3],
            [
                "Week 3: only 1 of 2 visits fit the clinician's free time",
                "1 visit of the plan did not fit in its 3 weeks",
            ],
        ),
    ],
)
def test_booked_weeks_give_messages(busy_days, expected_weeks, expected_messages):
    booked = [busy(date(2026, 1, day), "08:00", "18:00") for day in busy_days]
    visits, messages = propose(clinician_busy=booked)
    assert [visit.week for visit in visits] == expected_weeks
    assert messages == expected_messages
    assert all(not conflicts(visit.start, visit.end, booked) for visit in visits)


def test_booked_reassessment_week_says_both():
    booked = [busy(date(2026, 1, day), "08:00", "18:00") for day in range(5, 10)]
    visits, messages = propose(need=need(weeks=1, reassessment=True), clinician_busy=booked)
    assert visits == ()
    assert messages == [
        "Week 1: no visit fits the clinician's free time (2 visits wanted)",
        "Week 1: no free time is long enough for the reassessment (60 min)",
        "2 visits of the plan did not fit in its 1 weeks",
    ]


def test_series_is_deterministic_whatever_the_input_order():
    booked = [busy(date(2026, 1, day), "09:00", hh) for day, hh in ((5, "11:00"), (7, "10:00"), (13, "17:00"))]
    hours = [*WEEKDAYS, WorkingHours(2, time(18), time(20))]
    arguments = {
        "hours": hours,
        "clinician_busy": booked,
        "need": need(reassessment=True),
        "preference": Preference(latest=time(12)),
    }
    expected = propose(**arguments)
    shuffler = random.Random(7)
    for _ in range(5):
        hours_shuffled, busy_shuffled = hours[:], booked[:]
        shuffler.shuffle(hours_shuffled)
        shuffler.shuffle(busy_shuffled)
        assert propose(**(arguments | {"hours": hours_shuffled, "clinician_busy": busy_shuffled})) == expected


def test_series_visits_never_overlap_each_other_or_busy_time():
    booked = [busy(date(2026, 1, day), "09:00", "13:00") for day in range(5, 31)]
    visits, _ = propose(need=need(4, weeks=3, reassessment=True), clinician_busy=booked)
    for index, visit in enumerate(visits):
        assert is_within_working_hours(visit.start, visit.end, WEEKDAYS, CHICAGO)
        assert conflicts(visit.start, visit.end, booked) == []
        for other in visits[index + 1 :]:
            assert not overlaps(visit.start, visit.end, other.start, other.end)
            assert visit.start.date() != other.start.date()


# --- input validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"need": lambda: need(visits_per_week=0)}, "visits_per_week"),
        ({"need": lambda: need(visits_per_week=8)}, "visits_per_week"),
        ({"need": lambda: need(visits_per_week=True)}, "visits_per_week"),
        ({"need": lambda: need(visits_per_week=2.0)}, "visits_per_week"),
        ({"need": lambda: need(weeks=0)}, "weeks"),
        ({"need": lambda: need(weeks=53)}, "weeks"),
        ({"need": lambda: (2, 3)}, "need"),
        ({"length": timedelta(0)}, "length"),
        ({"length": -THIRTY}, "length"),
        ({"length": 30}, "length"),
        ({"reassessment_length": timedelta(0)}, "reassessment_length"),
        ({"first_day": datetime(2026, 1, 5, 9, tzinfo=CHICAGO)}, "first_day"),
        ({"first_day": "2026-01-05"}, "first_day"),
        ({"not_before": datetime(2026, 1, 5, 9)}, "not_before"),
        ({"zone": "America/Chicago"}, "zone"),
        ({"hours": [(0, time(9), time(17))]}, "hours"),
        ({"clinician_busy": [(local(MONDAY, "09:00"), local(MONDAY, "10:00"))]}, "clinician_busy"),
        ({"patient_busy": [(local(MONDAY, "09:00"), local(MONDAY, "10:00"))]}, "patient_busy"),
        ({"existing": [(local(MONDAY, "09:00"), local(MONDAY, "10:00"))]}, "existing"),
        ({"preference": {"weekdays": {1}}}, "preference"),
    ],
)
def test_series_proposal_refuses_impossible_input(overrides, match):
    # A PlanNeed is checked when it is made, so it is built inside the raises block.
    with pytest.raises(ValueError, match=match):
        propose(**{name: value() if callable(value) else value for name, value in overrides.items()})


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: WorkingHours(7, time(9), time(17)), "weekday"),
        (lambda: WorkingHours(-1, time(9), time(17)), "weekday"),
        (lambda: WorkingHours(0, time(17), time(9)), "end after"),
        (lambda: WorkingHours(0, time(9), time(9)), "end after"),
        (lambda: WorkingHours(0, time(9, tzinfo=UTC), time(17)), "without a time zone"),
        (lambda: WorkingHours(0, "09:00", time(17)), "without a time zone"),
        (lambda: Busy(datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 10)), "aware"),
        (lambda: Busy(local(MONDAY, "10:00"), local(MONDAY, "09:00")), "end after"),
        (lambda: Slot(local(MONDAY, "10:00"), local(MONDAY, "10:00")), "end after"),
        (lambda: Preference(weekdays=frozenset({7})), "weekday"),
        (lambda: Preference(weekdays="Mon"), "weekdays"),
        (lambda: Preference(earliest=time(15), latest=time(9)), "before earliest"),
        (lambda: ProposedVisit(local(MONDAY, "09:00"), local(MONDAY, "10:00"), "initial", 1, True), "kind"),
        (lambda: ProposedVisit(local(MONDAY, "09:00"), local(MONDAY, "10:00"), FOLLOW_UP, 0, True), "week"),
        (lambda: local_window(MONDAY, WorkingHours(1, time(9), time(17)), CHICAGO), "do not apply"),
        (lambda: local_window(MONDAY, WorkingHours(0, time(9), time(17)), UTC), "zone"),
        (lambda: free_slots(MONDAY, length=HOUR, hours=WEEKDAYS, busy=[], zone=CHICAGO, step=timedelta(0)), "step"),
        (lambda: free_slots(MONDAY, length=timedelta(0), hours=WEEKDAYS, busy=[], zone=CHICAGO), "length"),
        (lambda: is_within_working_hours(local(MONDAY, "10:00"), local(MONDAY, "09:00"), WEEKDAYS, CHICAGO), "end"),
        (lambda: conflicts(datetime(2026, 1, 5, 9), local(MONDAY, "10:00"), []), "aware"),
    ],
)
def test_values_and_functions_refuse_impossible_input(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_preference_weekdays_become_a_frozenset():
    preference = Preference(weekdays={1, 3})  # a set is accepted and frozen
    assert preference.weekdays == frozenset({1, 3})
    assert isinstance(preference.weekdays, frozenset)
    assert hash(preference) == hash(Preference(weekdays=frozenset({3, 1})))
