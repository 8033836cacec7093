"""Counting treatment days toward a progress report (notes/reports.py)."""

from __future__ import annotations

import datetime

import pytest

from notes.reports import DUE, OVERDUE, EpisodeCount, episodes_due, report_status, treatment_days

D = datetime.date(2026, 3, 1)


def day(n: int) -> datetime.date:
    return D + datetime.timedelta(days=n)


@pytest.mark.parametrize(
    ("days", "last", "expected"),
    [
        ([], None, 0),
        ([day(0)], None, 1),
        # Two visits on one day are one treatment day.
        ([day(0), day(0), day(2)], None, 2),
        # Counted from the first day when there was no report.
        ([day(n) for n in range(12)], None, 12),
        # After a report, only the days after its day.
        ([day(n) for n in range(12)], day(5), 6),
        ([day(5)], day(5), 0),
        ([day(4), day(6)], day(5), 1),
    ],
)
def test_treatment_days(days, last, expected):
    assert treatment_days(days, last) == expected


@pytest.mark.parametrize(
    ("days", "every", "expected"),
    [
        (0, 10, ""),
        (8, 10, ""),
        (9, 10, DUE),  # the next visit is the 10th treatment day: the report falls on it at the latest
        (10, 10, OVERDUE),
        (25, 10, OVERDUE),
        (4, 5, DUE),
        (5, 5, OVERDUE),
        (1, 2, DUE),
    ],
)
def test_report_status(days, every, expected):
    assert report_status(days, every) == expected


def test_report_status_defaults_to_ten_treatment_days():
    assert report_status(9) == DUE
    assert report_status(8) == ""


def test_episodes_due_counts_each_episode_from_its_own_last_report():
    visits = [(1, day(n)) for n in range(10)] + [(2, day(n)) for n in range(12)] + [(3, day(n)) for n in range(3)]
    assert episodes_due(visits, {2: day(2)}, 10) == [
        EpisodeCount(episode=1, days=10, status=OVERDUE),
        EpisodeCount(episode=2, days=9, status=DUE),
    ]


def test_episodes_due_with_no_visits():
    assert episodes_due([], {}, 10) == []
