"""Each format's reader: what it takes from a file, and what it refuses in plain words."""

from __future__ import annotations

import datetime

import pytest

from running import devices
from running.devices import DeviceFileError, sniff
from running.devices.fit_writer import run_fit
from tests.running.files_fixtures import START, gpx, tcx


def test_fit_gives_the_session_totals_identity_local_offset_and_cadence():
    activity = devices.parse("fit", run_fit(seconds=600, speed_m_s=3.0, pause=(300, 120), cadence=85.5))
    assert activity.start == START
    assert (activity.sport, activity.sub_sport) == ("running", "street")
    assert activity.device_distance_m == pytest.approx(1800)
    assert (activity.timer_s, activity.elapsed_s) == (600, 720)
    assert len(activity.segments) == 2  # the pause ends a segment
    assert activity.local_offset_s == 3600
    assert activity.file_identity[3] == "3900000001"
    assert set(activity.step_rate_samples) == {85.5}


def test_fit_treadmill_has_no_positions():
    activity = devices.parse("fit", run_fit(positions=False, sub_sport="treadmill"))
    assert activity.sub_sport == "treadmill"
    assert all(point.lat is None for point in activity.points)


def test_fit_system_time_is_marked():
    assert devices.parse("fit", run_fit(start=1000)).system_time


def test_gpx_gives_segments_and_moving_time():
    activity = devices.parse("gpx", gpx(segments=2))
    assert len(activity.segments) == 2
    assert activity.device_distance_m is None
    assert activity.moving_s > 0
    assert activity.start == START


def test_gpx_points_without_positions_keep_their_times():
    activity = devices.parse("gpx", gpx(positions=False))
    assert activity.start == START
    assert all(point.lat is None and point.time is not None for point in activity.points)


def test_tcx_gives_lap_distance_and_time():
    activity = devices.parse("tcx", tcx(seconds=600))
    assert activity.device_distance_m == pytest.approx(1800)
    assert activity.timer_s == 600
    assert activity.start == START


@pytest.mark.parametrize(
    ("kind", "content", "words"),
    [
        ("fit", run_fit()[:-40], "damaged or incomplete"),
        ("fit", b"not a fit file at all, only text", "could not be read"),
        ("gpx", b"<gpx><trk><trkseg><trkpt lat='1' lon='2'>", "damaged"),
        (
            "gpx",
            b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaa">]><gpx>&a;</gpx>',
            "not allowed",
        ),
        ("tcx", b"<TrainingCenterDatabase xmlns='http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2'><Activities><Activity><Lap><Track><Trackpoint><Time>yesterday"
         b"</Time></Trackpoint></Track></Lap></Activity></Activities></TrainingCenterDatabase>", "could not be read"),
        ("tcx", b"<other/>", "not a TCX file"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_in_plain_words(kind, content, words):
    with pytest.raises(DeviceFileError) as refused:
        devices.parse(kind, content)
    assert words in refused.value.message


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (run_fit()[:64], "fit"),
        (gpx()[:200], "gpx"),
        (tcx()[:300], "tcx"),
        (b"\xef\xbb\xbf  <gpx version='1.1'>", "gpx"),
        (b"PK\x03\x04 a zip file", None),
        (b"<html><body>.FIT</body></html>", None),
        (b"", None),
    ],
)
def test_sniff_tells_the_kind_from_the_first_bytes(head, kind):
    assert sniff(head) == kind


def test_fit_with_a_local_time_but_no_activity_message_has_no_offset():
    assert devices.parse("fit", run_fit(local_offset_s=None)).local_offset_s is None


def test_start_is_utc():
    assert devices.parse("gpx", gpx()).start.utcoffset() == datetime.timedelta(0)
