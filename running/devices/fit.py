"""FIT files, read with ``fitdecode`` (MIT; DOMAIN B11.3), CRCs checked.

Where the fields live (DOMAIN B11.1): ``session`` holds the device's totals and sport,
``record`` the samples, ``activity.local_timestamp`` the local clock, ``file_id`` the file's
identity. Times below 0x10000000 are the device's own system time, not UTC; ``fitdecode``
leaves them as integers, which is how they are told apart here.
"""

from __future__ import annotations

import datetime
import io

import fitdecode

from running.devices.activity import MAX_POINTS, DeviceFileError, FileKind, ParsedActivity, Point

_SEMICIRCLE_DEGREES = 180 / 2**31
# Timer events after which the device recorded nothing until the runner started it again.
_TIMER_STOPS = {"stop", "stop_all", "stop_disable", "stop_disable_all"}
DAMAGED = "This FIT file is damaged or incomplete, so it could not be read. Export it again from your watch's app."


def _value(message, name: str):
    return message.get_value(name, fallback=None)


def _degrees(value) -> float | None:
    if not isinstance(value, int | float):
        return None
    degrees = value * _SEMICIRCLE_DEGREES
    return degrees if -180 <= degrees <= 180 else None


def _time(value) -> datetime.datetime | None:
    return value if isinstance(value, datetime.datetime) else None


def _seconds(value) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _read(data: bytes):
    with fitdecode.FitReader(
        io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE, error_handling=fitdecode.ErrorHandling.RAISE
    ) as reader:
        yield from reader


def parse(data: bytes) -> ParsedActivity:
    sessions, records_seen = [], 0
    segments: list[list[Point]] = [[]]
    cadence: list[float] = []
    identity = None
    activity_times: tuple | None = None
    system_time = False
    try:
        for frame in _read(data):
            if not isinstance(frame, fitdecode.FitDataMessage):
                continue
            name = frame.name
            if name == "file_id" and identity is None:
                identity = tuple(
                    str(_value(frame, field))
                    for field in ("type", "manufacturer", "product", "serial_number", "time_created")
                )
            elif name == "session":
                sessions.append(frame)
            elif name == "record":
                records_seen += 1
                if records_seen > MAX_POINTS:
                    raise DeviceFileError("This file holds far more samples than one run has, so it was not read.")
                stamp = _value(frame, "timestamp")
                if isinstance(stamp, int):
                    system_time = True
                segments[-1].append(
                    Point(
                        _time(stamp),
                        _degrees(_value(frame, "position_lat")),
                        _degrees(_value(frame, "position_long")),
                    )
                )
                whole = _value(frame, "cadence")
                if isinstance(whole, int | float):
                    fraction = _value(frame, "fractional_cadence")
                    cadence.append(float(whole) + (float(fraction) if isinstance(fraction, int | float) else 0.0))
            elif name == "event":
                if _value(frame, "event") == "timer" and _value(frame, "event_type") in _TIMER_STOPS and segments[-1]:
                    segments.append([])
            elif name == "activity":
                activity_times = (_value(frame, "timestamp"), _value(frame, "local_timestamp"))
    except DeviceFileError:
        raise
    except fitdecode.FitError as error:
        raise DeviceFileError(DAMAGED) from error
    if not sessions and not records_seen:
        raise DeviceFileError("This FIT file holds no activity. Choose the file of a run.")
    return _activity(sessions, segments, cadence, identity, activity_times, system_time)


def _activity(sessions, segments, cadence, identity, activity_times, system_time) -> ParsedActivity:
    starts = [_value(session, "start_time") for session in sessions]
    if any(isinstance(start, int) for start in starts):
        system_time = True
    starts = [start for start in starts if isinstance(start, datetime.datetime)]
    first_point = next((point.time for segment in segments for point in segment if point.time), None)
    start = min(starts) if starts else first_point

    def total(name: str) -> float | None:
        values = [_seconds(_value(session, name)) for session in sessions]
        values = [value for value in values if value is not None]
        return sum(values) if values else None

    offset = None
    if activity_times is not None:
        stamp, local = activity_times
        if isinstance(stamp, datetime.datetime) and isinstance(local, datetime.datetime):
            offset = round((local - stamp).total_seconds())
    first = sessions[0] if sessions else None
    return ParsedActivity(
        kind=FileKind.FIT,
        start=start,
        sport=str(_value(first, "sport") or "") if first else "",
        sub_sport=str(_value(first, "sub_sport") or "") if first else "",
        device_distance_m=total("total_distance"),
        segments=tuple(tuple(segment) for segment in segments if segment),
        timer_s=total("total_timer_time"),
        elapsed_s=total("total_elapsed_time"),
        moving_s=total("total_moving_time"),
        step_rate_samples=tuple(cadence),
        file_identity=identity,
        local_offset_s=offset,
        system_time=system_time,
    )
