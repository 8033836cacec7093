"""The adherence loop's pure rules: the log window, sessions per frequency, adherence, pain trend."""

from __future__ import annotations

import datetime

import pytest

from clinic.portal.adherence import (
    NONE_AND_SOME,
    NOTHING_ANSWERED,
    Adherence,
    adherence,
    check_in_answers_problem,
    check_in_day_problem,
    check_in_days,
    pain_trend,
    sessions_per_period,
)

FIRST = datetime.date(2026, 3, 2)  # a Monday; the plan runs 2 weeks, to Sunday 15 March


def day(offset: int) -> datetime.date:
    return FIRST + datetime.timedelta(days=offset)


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        ("daily", (1, 1)),
        ("Daily", (1, 1)),
        ("twice daily", (1, 1)),
        ("every day", (1, 1)),
        ("3 times a day", (1, 1)),
        ("2–3 times a week", (2, 7)),
        ("3-4 times per week", (3, 7)),
        ("twice a week", (2, 7)),
        ("once a week", (1, 7)),
        ("weekly", (1, 7)),
        ("7 times a week", (1, 1)),
        ("every other day", (1, 2)),
        ("8 times a week", None),
        ("0 times a week", None),
        ("as needed", None),
        ("banana daily", None),
        ("", None),
    ],
)
def test_sessions_per_period(frequency, expected):
    assert sessions_per_period(frequency) == expected


@pytest.mark.parametrize(
    ("today", "weeks", "expected"),
    [
        (day(0), 2, [day(0)]),  # signed today: only today
        (day(3), 2, [day(3), day(2), day(1), day(0)]),  # not before signing
        (day(10), 2, [day(offset) for offset in range(10, 3, -1)]),  # the last 7 days
        (day(16), 2, [day(13), day(12), day(11), day(10)]),  # nothing after the plan's weeks
        (day(30), 2, []),  # long over
        (day(-1), 2, []),  # not started (signed later in the clinic's day)
    ],
)
def test_check_in_days(today, weeks, expected):
    assert check_in_days(FIRST, weeks, today) == expected


@pytest.mark.parametrize(
    ("logged", "today", "problem"),
    [
        (day(5), day(5), ""),
        (day(0), day(6), ""),
        (day(6), day(5), "You cannot log a day that has not happened yet."),
        (day(-1), day(3), "This home program started later than that day."),
        (day(14), day(15), "This home program had ended by that day."),
        (day(2), day(9), "You can fix your log for the last 7 days only."),
        (day(3), day(9), ""),
    ],
)
def test_check_in_day_problem(logged, today, problem):
    assert check_in_day_problem(logged, FIRST, 2, today) == problem


DAILY_AND_TWICE_WEEKLY = ["daily", "2–3 times a week"]


@pytest.mark.parametrize(
    ("frequencies", "done_by_day", "today", "expected"),
    [
        # Signed today, nothing done: nothing has fallen due yet.
        (["daily"], {}, day(0), Adherence(done=0, due=0, unread_items=0)),
        # Today counts only once done.
        (["daily"], {day(0): [0]}, day(0), Adherence(done=1, due=1, unread_items=0)),
        # Three past days, two done; today not yet done.
        (["daily"], {day(0): [0], day(2): [0]}, day(3), Adherence(done=2, due=3, unread_items=0)),
        # A weekly item is not behind before its week ends ...
        (["2–3 times a week"], {day(1): [0]}, day(4), Adherence(done=1, due=1, unread_items=0)),
        # ... and extra sessions in a week are not credited beyond the prescription.
        (["twice a week"], {day(0): [0], day(1): [0], day(2): [0]}, day(8), Adherence(done=2, due=2, unread_items=0)),
        # After week one: week one due in full (2), week two only what is done.
        (["twice a week"], {day(1): [0]}, day(7), Adherence(done=1, due=2, unread_items=0)),
        # Both kinds together; index 1 is the weekly item.
        (
            DAILY_AND_TWICE_WEEKLY,
            {day(0): [0, 1], day(1): [0], day(3): [1]},
            day(7),
            Adherence(done=4, due=7 + 2, unread_items=0),
        ),
        # After the plan ends every period is due: 14 daily sessions.
        (["daily"], {day(offset): [0] for offset in range(14)}, day(40), Adherence(done=14, due=14, unread_items=0)),
        # Days logged after the plan's end do not count.
        (["daily"], {day(14): [0], day(15): [0]}, day(16), Adherence(done=0, due=14, unread_items=0)),
        # An unreadable frequency is left out and counted.
        (["as needed", "daily"], {day(0): [0, 1]}, day(1), Adherence(done=1, due=1, unread_items=1)),
        # Every other day: two-day periods.
        (["every other day"], {day(0): [0], day(1): [0]}, day(4), Adherence(done=1, due=2, unread_items=0)),
    ],
)
def test_adherence(frequencies, done_by_day, today, expected):
    assert adherence(frequencies, done_by_day, FIRST, 2, today) == expected


@pytest.mark.parametrize(
    ("done", "due", "percent"),
    [(0, 0, None), (0, 4, 0), (1, 3, 33), (2, 3, 67), (9, 9, 100)],
)
def test_adherence_percent(done, due, percent):
    assert Adherence(done=done, due=due, unread_items=0).percent == percent


@pytest.mark.parametrize(
    ("points", "first_average", "recent_average", "change"),
    [
        ([], None, None, None),
        ([(day(0), 6)], None, None, None),
        # Less than two separate weeks of ratings: no change is computed.
        ([(day(0), 6), (day(12), 2)], None, None, None),
        ([(day(0), 6), (day(2), 5), (day(13), 3), (day(10), 2)], 5.5, 2.5, -3.0),
        ([(day(0), 2), (day(14), 5), (day(3), None)], 2.0, 5.0, 3.0),
    ],
)
def test_pain_trend(points, first_average, recent_average, change):
    trend = pain_trend(points)
    assert (trend.first_average, trend.recent_average, trend.change) == (first_average, recent_average, change)
    assert [day for day, _ in trend.points] == sorted(day for day, pain in points if pain is not None)


@pytest.mark.parametrize(
    ("done_items", "pain", "did_none", "problem"),
    [
        ([], None, False, ("done_items", NOTHING_ANSWERED)),
        ([], None, True, None),
        ([], 0, False, None),
        ([0], None, False, None),
        ([0, 2], 3, False, None),
        ([1], None, True, ("did_none", NONE_AND_SOME)),
        ([1], 5, True, ("did_none", NONE_AND_SOME)),
    ],
)
def test_check_in_answers_problem(done_items, pain, did_none, problem):
    assert check_in_answers_problem(done_items, pain, did_none) == problem
