"""GPX files, read with ``gpxpy`` (Apache-2.0; DOMAIN B11.3).

GPX holds no distance and no pause markers (DOMAIN B11.1, B11.2): distance comes from the
points, moving time from ``gpxpy``'s speed threshold (its default, 1 km/h, counts slower
stretches as stopped), elapsed time from the first and last point.
"""

from __future__ import annotations

import datetime

import gpxpy
import gpxpy.gpx

from running.devices.activity import MAX_POINTS, DeviceFileError, FileKind, ParsedActivity, Point, as_utc
from running.devices.xml import NOT_XML, local_name, safe_tree


def parse(data: bytes) -> ParsedActivity:
    tree = safe_tree(data, "GPX")
    if local_name(tree) != "gpx":
        raise DeviceFileError(NOT_XML.format(kind="GPX"))
    if sum(1 for element in tree.iter() if local_name(element) == "trkpt") > MAX_POINTS:
        raise DeviceFileError("This file holds far more points than one run has, so it was not read.")
    try:
        gpx = gpxpy.parse(data.decode("utf-8", errors="replace"))
    except gpxpy.gpx.GPXException as error:
        if "is mandatory" in str(error) and ("latitude" in str(error) or "longitude" in str(error)):
            return _times_only(tree)
        raise DeviceFileError(NOT_XML.format(kind="GPX")) from error
    segments = tuple(
        tuple(
            Point(as_utc(point.time) if point.time else None, point.latitude, point.longitude)
            for point in segment.points
        )
        for track in gpx.tracks
        for segment in track.segments
        if segment.points
    )
    moving = gpx.get_moving_data()
    start = next((point.time for segment in segments for point in segment if point.time), None)
    if start is None and gpx.time is not None and not segments:
        start = as_utc(gpx.time)
    return ParsedActivity(
        kind=FileKind.GPX,
        start=start,
        sport=(gpx.tracks[0].type or "") if gpx.tracks else "",
        segments=segments,
        moving_s=moving.moving_time if moving and moving.moving_time else None,
    )


def _time(text: str | None) -> datetime.datetime | None:
    try:
        return as_utc(datetime.datetime.fromisoformat((text or "").strip()))
    except ValueError:
        return None


def _times_only(tree) -> ParsedActivity:
    """A track whose points carry times but no positions (an indoor run's export), which
    ``gpxpy`` refuses whole: its times, without positions."""
    segments = []
    for segment in (element for element in tree.iter() if local_name(element) == "trkseg"):
        points = []
        for trkpt in (child for child in segment if local_name(child) == "trkpt"):
            text = next((child.text for child in trkpt if local_name(child) == "time"), None)
            points.append(Point(_time(text)))
        if points:
            segments.append(tuple(points))
    start = next((point.time for segment in segments for point in segment if point.time), None)
    return ParsedActivity(kind=FileKind.GPX, start=start, segments=tuple(segments))
