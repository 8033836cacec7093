"""TCX files, read with ``tcxreader`` (MIT; DOMAIN B11.3).

The device's distance is the sum of ``Lap/DistanceMeters`` and its duration the sum of
``Lap/TotalTimeSeconds`` (whether that excludes pauses is not documented: DOMAIN B11.1);
``tcxreader`` reads the points; the laps' times are read from the same
(already checked) tree, which ``tcxreader`` does not keep.
"""

from __future__ import annotations

import os
import tempfile

from tcxreader.tcxreader import TCXReader

from running.devices.activity import MAX_POINTS, DeviceFileError, FileKind, ParsedActivity, Point, as_utc
from running.devices.xml import NOT_XML, local_name, safe_tree


def _number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if value >= 0 and value == value and value != float("inf") else None


def parse(data: bytes) -> ParsedActivity:
    tree = safe_tree(data, "TCX")
    if local_name(tree) != "TrainingCenterDatabase":
        raise DeviceFileError(NOT_XML.format(kind="TCX"))
    if sum(1 for element in tree.iter() if local_name(element) == "Trackpoint") > MAX_POINTS:
        raise DeviceFileError("This file holds far more points than one run has, so it was not read.")
    laps = [element for element in tree.iter() if local_name(element) == "Lap"]
    lap_distances = [_number(child.text) for lap in laps for child in lap if local_name(child) == "DistanceMeters"]
    lap_times = [_number(child.text) for lap in laps for child in lap if local_name(child) == "TotalTimeSeconds"]
    sport = next((element.get("Sport", "") for element in tree.iter() if local_name(element) == "Activity"), "")
    # tcxreader reads from a path only.
    handle, path = tempfile.mkstemp(suffix=".tcx")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        exercise = TCXReader().read(path, only_gps=False)
    except ValueError as error:
        raise DeviceFileError(
            "Some times in this TCX file could not be read. Export it again from your watch's app."
        ) from error
    finally:
        os.unlink(path)
    points = tuple(
        Point(as_utc(point.time) if point.time else None, point.latitude, point.longitude)
        for point in exercise.trackpoints or []
    )
    start = next((point.time for point in points if point.time), None)
    known_distances = [value for value in lap_distances if value is not None]
    known_times = [value for value in lap_times if value is not None]
    return ParsedActivity(
        kind=FileKind.TCX,
        start=start,
        sport=sport,
        device_distance_m=sum(known_distances) if known_distances else None,
        segments=(points,) if points else (),
        timer_s=sum(known_times) if known_times else None,
    )
