"""Probable duplicates (DOMAIN B11.2): the same patient's runs whose times overlap and whose
distances are close, or the same FIT file identity."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from running.devices.duplicates import RunSpan, overlaps, probable_duplicates, similar_distance

T0 = datetime.datetime(2026, 11, 2, 7, 0, tzinfo=datetime.UTC)


def span(key=1, minutes_after=0, seconds=1800, distance=5000, identity=None):
    return RunSpan(key, T0 + datetime.timedelta(minutes=minutes_after), seconds, distance, identity)


@pytest.mark.parametrize(
    ("other_start", "other_seconds", "tolerance_min", "expected"),
    [
        (0, 1800, 0, True),  # the same run
        (29, 600, 0, True),  # starts before the first ends
        (31, 600, 0, False),  # starts after the first ended
        (31, 600, 2, True),  # within the tolerance
        (-40, 600, 0, False),  # ended 30 minutes before
        (-40, 600, 30, True),
    ],
)
def test_overlaps(other_start, other_seconds, tolerance_min, expected):
    tolerance = datetime.timedelta(minutes=tolerance_min)
    assert overlaps(span(), span(2, other_start, other_seconds), tolerance=tolerance) is expected
    assert overlaps(span(2, other_start, other_seconds), span(), tolerance=tolerance) is expected


@pytest.mark.parametrize(
    ("a", "b", "pct", "expected"),
    [
        (5000, 5000, 0, True),
        (5000, 5400, 10, True),  # 400 of 5400: 7.4 %
        (5000, 5600, 10, False),  # 600 of 5600: 10.7 %
        (5000, None, 10, True),  # no distance: time alone decides
        (0, 0, 10, True),
        (0, 100, 10, False),
    ],
)
def test_similar_distance(a, b, pct, expected):
    assert similar_distance(a, b, tolerance_pct=Decimal(pct)) is expected


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], []),
        ([span(7)], [7]),  # the same run, as GPX after the FIT
        ([span(7, distance=9000)], []),  # overlapping but much farther: another activity
        ([span(7, minutes_after=120)], []),  # later the same day
        ([span(7, minutes_after=120, identity=("a",))], [7]),  # but the same FIT file identity
        ([span(7), span(8, minutes_after=5, distance=5100), span(9, minutes_after=300)], [7, 8]),
    ],
)
def test_probable_duplicates(existing, expected):
    new = span(0, identity=("a",))
    found = probable_duplicates(new, existing, start_tolerance_minutes=Decimal(10), distance_tolerance_pct=Decimal(10))
    assert found == expected
