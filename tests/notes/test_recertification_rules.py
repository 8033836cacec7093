"""Re-certification of the plan of care (US Medicare Part B): the certified period, counted from the first
treatment and again from each re-certification, and when the dashboard lists it as due or overdue."""

from __future__ import annotations

import datetime

import pytest

from domain.facts import THRESHOLD_DEFAULTS
from notes import reports

D = datetime.date
FIRST = D(2026, 1, 1)


def test_the_default_period_is_ninety_days():
    assert THRESHOLD_DEFAULTS["plan_certification_days"] == 90
    # The first treatment is day one: 31 + 28 + 31 days, the 90th is 31 March.
    assert reports.certified_until(FIRST, None) == D(2026, 3, 31)


@pytest.mark.parametrize(
    ("first", "recertified", "period", "expected"),
    [
        (FIRST, None, 90, D(2026, 3, 31)),
        (FIRST, None, 30, D(2026, 1, 30)),
        (FIRST, None, 1, FIRST),
        # A re-certification starts a new period on its own day.
        (FIRST, D(2026, 3, 20), 90, D(2026, 6, 17)),
        # Even one recorded early: the new period is counted from its day, not added to the old one.
        (FIRST, D(2026, 1, 10), 90, D(2026, 4, 9)),
        # The initial certification, dated before (or on) the first treatment, leaves the period at it.
        (FIRST, D(2025, 12, 20), 90, D(2026, 3, 31)),
        (FIRST, FIRST, 90, D(2026, 3, 31)),
        (FIRST, None, 60.0, D(2026, 3, 1)),
    ],
)
def test_certified_until(first, recertified, period, expected):
    assert reports.certified_until(first, recertified, period) == expected


ENDS = D(2026, 3, 31)  # 90 days from FIRST


@pytest.mark.parametrize(
    ("today", "recertified", "expected"),
    [
        (FIRST, None, ""),
        (ENDS - datetime.timedelta(days=8), None, ""),
        # The warning window: the period ends within the next 7 days, today included.
        (ENDS - datetime.timedelta(days=7), None, reports.DUE),
        (ENDS - datetime.timedelta(days=1), None, reports.DUE),
        (ENDS, None, reports.DUE),
        # Past its last day: treatment today is beyond the certified period.
        (ENDS + datetime.timedelta(days=1), None, reports.OVERDUE),
        (D(2026, 9, 1), None, reports.OVERDUE),
        # A re-certification restarts the period.
        (ENDS + datetime.timedelta(days=1), ENDS, ""),
        (D(2026, 9, 1), D(2026, 6, 10), reports.DUE),
        (D(2026, 9, 10), D(2026, 6, 10), reports.OVERDUE),
    ],
)
def test_recertification_status(today, recertified, expected):
    assert reports.recertification_status(FIRST, recertified, today, 90) == expected


def test_the_status_follows_the_clinics_period():
    today = D(2026, 1, 25)
    assert reports.recertification_status(FIRST, None, today, 90) == ""
    assert reports.recertification_status(FIRST, None, today, 30) == reports.DUE
    assert reports.recertification_status(FIRST, None, today, 24) == reports.OVERDUE


def test_the_warning_window_is_a_week():
    assert reports.RECERTIFICATION_WARNING_DAYS == 7


@pytest.mark.parametrize(
    ("visits", "recertified", "today", "expected"),
    [
        ([], {}, D(2026, 6, 1), []),
        # The first treatment is the earliest completed visit, whatever the order the visits come in.
        (
            [(1, D(2026, 2, 1)), (1, FIRST), (1, D(2026, 3, 1))],
            {},
            D(2026, 3, 28),
            [reports.EpisodeCertification(episode=1, ends=ENDS, status=reports.DUE)],
        ),
        # Earliest end first; an episode re-certified in time is left out.
        (
            [(1, FIRST), (2, D(2025, 12, 1)), (3, D(2025, 11, 1))],
            {3: D(2026, 2, 1)},
            D(2026, 3, 28),
            [
                reports.EpisodeCertification(episode=2, ends=D(2026, 2, 28), status=reports.OVERDUE),
                reports.EpisodeCertification(episode=1, ends=ENDS, status=reports.DUE),
            ],
        ),
        # A certification of an episode with no completed visit counts nothing: no treatment yet.
        ([(1, FIRST)], {2: D(2025, 1, 1)}, D(2026, 1, 2), []),
    ],
)
def test_episodes_to_recertify(visits, recertified, today, expected):
    assert reports.episodes_to_recertify(visits, recertified, today, 90) == expected
