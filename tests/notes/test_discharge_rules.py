"""The pure rules of discharge: when an episode has lapsed, when follow-ups fall due."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from notes import discharge_rules

TODAY = datetime.date(2026, 12, 3)
OPENED = datetime.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("last_visit_on", "future_booking", "weeks", "expected"),
    [
        (TODAY - datetime.timedelta(weeks=6), False, 6, True),  # exactly the limit
        (TODAY - datetime.timedelta(weeks=6) + datetime.timedelta(days=1), False, 6, False),  # a day short
        (TODAY - datetime.timedelta(weeks=10), False, 6, True),
        (TODAY - datetime.timedelta(weeks=10), True, 6, False),  # a visit booked ahead
        (None, False, 6, True),  # never seen: counted from the opening day, months ago
        (TODAY - datetime.timedelta(weeks=3), False, 2, True),  # the clinic's own setting
        (TODAY - datetime.timedelta(weeks=3), False, Decimal("4"), False),  # a stored setting is a Decimal
        (TODAY, False, 1, False),
    ],
)
def test_lapsed(last_visit_on, future_booking, weeks, expected):
    assert (
        discharge_rules.lapsed(
            last_visit_on=last_visit_on, opened_on=OPENED, future_booking=future_booking, weeks=weeks, today=TODAY
        )
        is expected
    )


def test_an_episode_opened_recently_without_a_visit_is_not_lapsed():
    assert not discharge_rules.lapsed(
        last_visit_on=None, opened_on=TODAY - datetime.timedelta(days=3), future_booking=False, weeks=6, today=TODAY
    )


@pytest.mark.parametrize("weeks", [0, -1, Decimal("1.5"), True, "6", None, 521])
def test_lapsed_refuses_odd_settings(weeks):
    with pytest.raises(ValueError, match="whole number"):
        discharge_rules.lapsed(last_visit_on=None, opened_on=OPENED, future_booking=False, weeks=weeks, today=TODAY)


@pytest.mark.parametrize(
    ("discharged_on", "months", "consent", "expected"),
    [
        (datetime.date(2026, 12, 3), 3, True, [datetime.date(2027, 3, 3)]),
        (datetime.date(2026, 11, 30), 3, True, [datetime.date(2027, 2, 28)]),  # a shorter month: its last day
        (datetime.date(2027, 11, 30), 3, True, [datetime.date(2028, 2, 29)]),  # a leap year
        (datetime.date(2026, 1, 31), 1, True, [datetime.date(2026, 2, 28)]),
        (datetime.date(2026, 12, 3), Decimal("6"), True, [datetime.date(2027, 6, 3)]),
        (datetime.date(2026, 12, 3), 12, True, [datetime.date(2027, 12, 3)]),
        (datetime.date(2026, 12, 3), 3, False, []),  # no consent: nothing
        (datetime.date(2026, 12, 3), 0, True, []),  # the clinic turned follow-ups off
    ],
)
def test_follow_up_days(discharged_on, months, consent, expected):
    assert discharge_rules.follow_up_days(discharged_on=discharged_on, months=months, consent=consent) == expected


@pytest.mark.parametrize("months", [-1, Decimal("2.5"), False, "3", 121])
def test_follow_up_days_refuses_odd_settings(months):
    with pytest.raises(ValueError, match="whole number"):
        discharge_rules.follow_up_days(discharged_on=TODAY, months=months, consent=True)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, False),
        ({"nprs": {}}, False),
        ({"nprs": {"now": None, "least": None}, "odi": {"pain": None}}, False),
        ({"nprs": {"now": None, "least": 0}}, True),
        ({"nprs": {"now": None}, "odi": {"pain": 5}}, True),
    ],
)
def test_anything_answered(answers, expected):
    assert discharge_rules.anything_answered(answers) is expected
