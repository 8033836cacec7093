"""The rules that turn a device file's activity into a run (DOMAIN B11.1-B11.2), as tables."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import replace

import pytest

from running import devices
from running.devices import DeviceFileError, FileKind, ParsedActivity, Point, metrics
from running.devices.fit_writer import run_fit
from tests.running.files_fixtures import gpx, tcx

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 1, tzinfo=UTC)
T0 = datetime.datetime(2026, 11, 2, 7, 0, tzinfo=UTC)


def at(seconds: int) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def activity(**changes) -> ParsedActivity:
    """A 10-minute street run along two segments 1 km apart, no device totals."""
    base = ParsedActivity(
        kind=FileKind.GPX,
        start=T0,
        segments=(
            (Point(at(0), 51.5, -0.12), Point(at(300), 51.5 + 900 / 111_195, -0.12)),
            (Point(at(310), 51.6, -0.12), Point(at(600), 51.6 + 900 / 111_195, -0.12)),
        ),
    )
    return replace(base, **changes)


def compute(parsed, zone=UTC):
    return metrics.compute(parsed, zone=zone, now=NOW)


@pytest.mark.parametrize(
    ("changes", "distance", "source"),
    [
        ({}, 1800, "gps"),  # two segments of 900 m: the ~11 km between them is not bridged
        ({"device_distance_m": 2345.4}, 2345, "device"),  # the device's total first
        ({"device_distance_m": 0.0}, 0, "device"),
        ({"segments": ((Point(at(0)), Point(at(600))),)}, None, ""),  # no positions: ask the runner
    ],
)
def test_distance(changes, distance, source):
    result = compute(activity(**changes))
    # gpxpy's Earth (radius 6 378.137 km) is a little larger than the fixture's metres per degree.
    assert result.distance_m == (distance if distance is None else pytest.approx(distance, rel=0.002))
    assert result.distance_source == source
    assert result.needs_distance is (distance is None)


@pytest.mark.parametrize(
    ("changes", "moving", "elapsed"),
    [
        ({}, 600, 600),  # GPX without a moving time: first to last point
        ({"moving_s": 540.4}, 540, 600),  # GPX moving time by speed
        ({"timer_s": 500.0, "elapsed_s": 720.0, "moving_s": 480.0}, 500, 720),  # timer first
        ({"timer_s": 700.0, "elapsed_s": 600.0}, 700, 700),  # elapsed never below moving
        ({"timer_s": 0.0}, 600, 600),  # a zero timer is no timer
    ],
)
def test_duration(changes, moving, elapsed):
    result = compute(activity(**changes))
    assert (result.moving_s, result.elapsed_s) == (moving, elapsed)


@pytest.mark.parametrize(
    ("changes", "indoor"),
    [
        ({}, False),
        ({"sub_sport": "treadmill"}, True),
        ({"sub_sport": "indoor_running"}, True),
        ({"sub_sport": "trail"}, False),
        ({"segments": ((Point(at(0)), Point(at(600))),), "device_distance_m": 1500.0}, True),
    ],
)
def test_indoor(changes, indoor):
    assert compute(activity(**changes)).indoor is indoor


@pytest.mark.parametrize(
    ("samples", "rate"),
    [
        ((), None),
        ((85.5, 85.5, 85.5), 171),
        ((80.0, 85.0, 90.0, 0.0, 0.0), 170),  # standing still (0) is no running step rate
        ((0.0,), None),
        ((200.0,), None),  # 400 steps a minute: not a running step rate
    ],
)
def test_step_rate_is_twice_the_median_per_foot_cadence(samples, rate):
    assert metrics.step_rate(samples) == rate


@pytest.mark.parametrize(
    ("start", "zone", "day"),
    [
        (datetime.datetime(2026, 11, 2, 23, 30, tzinfo=UTC), "UTC", datetime.date(2026, 11, 2)),
        (datetime.datetime(2026, 11, 2, 23, 30, tzinfo=UTC), "Europe/Berlin", datetime.date(2026, 11, 3)),
        (datetime.datetime(2026, 11, 3, 3, 0, tzinfo=UTC), "America/Chicago", datetime.date(2026, 11, 2)),
    ],
)
def test_the_run_counts_towards_the_patients_local_date(start, zone, day):
    parsed = activity(
        start=start, segments=((Point(start, 51.5, -0.1), Point(start + datetime.timedelta(minutes=5), 51.51, -0.1)),)
    )
    result = compute(parsed, zone=zoneinfo.ZoneInfo(zone))
    assert result.local_date == day
    assert result.started_at == start


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"segments": ((Point(None, 51.5, -0.1), Point(None, 51.6, -0.1)),), "start": None}, metrics.NO_TIMES),
        ({"segments": ((Point(at(0), 51.5, -0.1), Point(None, 51.6, -0.1)),)}, metrics.NO_TIMES),
        ({"segments": (), "start": None}, metrics.NO_TIMES),
        ({"start": datetime.datetime(1989, 12, 31, 0, 10, tzinfo=UTC), "segments": ()}, metrics.CLOCK_NOT_SET),
        ({"start": datetime.datetime(1990, 6, 1, tzinfo=UTC), "segments": ()}, metrics.CLOCK_NOT_SET),
        ({"system_time": True}, metrics.SYSTEM_TIME),
        ({"start": datetime.datetime(2027, 1, 1, tzinfo=UTC), "segments": ()}, metrics.IN_FUTURE),
        ({"segments": (), "timer_s": None}, metrics.NO_DURATION),
        ({"timer_s": 90_000.0}, metrics.TOO_LONG),
        ({"device_distance_m": 400_000.0}, metrics.TOO_FAR),
    ],
)
def test_refused(changes, message):
    with pytest.raises(DeviceFileError) as refused:
        compute(activity(**changes))
    assert refused.value.message == message


@pytest.mark.parametrize(
    ("content", "kind", "expected"),
    [
        # A paused FIT run: timer 600 s, elapsed 720 s, the device's distance, step rate 2 x 85.5.
        (run_fit(pause=(300, 120)), "fit", {"moving_s": 600, "elapsed_s": 720, "distance_m": 1800, "step_rate": 171}),
        # A treadmill: no positions, the device's estimate, indoor.
        (run_fit(positions=False, sub_sport="treadmill"), "fit", {"indoor": True, "distance_m": 1800}),
        (gpx(seconds=600, step_s=10), "gpx", {"distance_m": 1772, "distance_source": "gps", "indoor": False}),
        (gpx(positions=False), "gpx", {"distance_m": None, "indoor": True}),
        (tcx(), "tcx", {"distance_m": 1800, "moving_s": 600, "distance_source": "device"}),
    ],
)
def test_whole_files(content, kind, expected):
    result = compute(devices.parse(kind, content))
    assert {key: getattr(result, key) for key in expected} == expected


@pytest.mark.parametrize(
    ("content", "kind", "message"),
    [
        (gpx(times=False), "gpx", metrics.NO_TIMES),
        (run_fit(start=1000), "fit", metrics.SYSTEM_TIME),
        # Every FIT time in 1989-1990 is below 0x10000000 (1998): a device system time.
        (run_fit(start=datetime.datetime(1990, 1, 5, tzinfo=UTC)), "fit", metrics.SYSTEM_TIME),
        (gpx(start=datetime.datetime(1990, 1, 5, tzinfo=UTC)), "gpx", metrics.CLOCK_NOT_SET),
    ],
)
def test_whole_files_refused(content, kind, message):
    with pytest.raises(DeviceFileError) as refused:
        compute(devices.parse(kind, content))
    assert refused.value.message == message
