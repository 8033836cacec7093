"""Small device files for the tests, built here: GPX and TCX text, FIT bytes (``fit_writer``)."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from running.devices.fit_writer import run_fit

START = datetime.datetime(2026, 11, 2, 7, 0, tzinfo=datetime.UTC)


def _z(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def gpx(
    *,
    seconds: int = 600,
    step_s: int = 10,
    speed_m_s: float = 3.0,
    times: bool = True,
    positions: bool = True,
    segments: int = 1,
    start: datetime.datetime = START,
    lat0: float = 51.5,
) -> bytes:
    """A GPX track heading north at ``speed_m_s``, split into ``segments`` equal segments."""
    per_segment = seconds // step_s // segments
    rows, index = [], 0
    for _ in range(segments):
        points = []
        for _ in range(per_segment):
            moment = start + datetime.timedelta(seconds=index * step_s)
            position = f' lat="{lat0 + index * step_s * speed_m_s / 111_195:.7f}" lon="-0.1200000"' if positions else ""
            time = f"<time>{_z(moment)}</time>" if times else ""
            points.append(f"<trkpt{position}><ele>10</ele>{time}</trkpt>")
            index += 1
        rows.append(f"<trkseg>{''.join(points)}</trkseg>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<gpx version="1.1" creator="tests" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<metadata><time>{_z(start)}</time></metadata>"
        f"<trk><name>Morning run</name><type>running</type>{''.join(rows)}</trk></gpx>"
    ).encode()


def tcx(*, seconds: int = 600, step_s: int = 10, speed_m_s: float = 3.0, lap_distance: bool = True) -> bytes:
    points = []
    for index in range(seconds // step_s):
        moment = START + datetime.timedelta(seconds=index * step_s)
        points.append(
            f"<Trackpoint><Time>{_z(moment)}</Time><Position>"
            f"<LatitudeDegrees>{51.5 + index * step_s * speed_m_s / 111_195:.7f}</LatitudeDegrees>"
            "<LongitudeDegrees>-0.12</LongitudeDegrees></Position>"
            f"<DistanceMeters>{index * step_s * speed_m_s:.1f}</DistanceMeters></Trackpoint>"
        )
    distance = f"<DistanceMeters>{seconds * speed_m_s:.1f}</DistanceMeters>" if lap_distance else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
        f'<Activities><Activity Sport="Running"><Id>{_z(START)}</Id><Lap StartTime="{_z(START)}">'
        f"<TotalTimeSeconds>{seconds}</TotalTimeSeconds>{distance}<Track>{''.join(points)}</Track></Lap>"
        "</Activity></Activities></TrainingCenterDatabase>"
    ).encode()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def fit_upload(name: str = "run.fit", **options) -> SimpleUploadedFile:
    return upload(name, run_fit(**options))
