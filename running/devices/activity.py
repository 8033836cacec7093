"""One activity as a device file states it, whatever its format (DOMAIN B11.1)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from enum import StrEnum

# More points than a day of running at one a second: a file this long is not one run, and
# reading it would hold the worker for nothing.
MAX_POINTS = 200_000


class FileKind(StrEnum):
    FIT = "fit"
    GPX = "gpx"
    TCX = "tcx"


class DeviceFileError(ValueError):
    """A file that gives no run, with what to tell the runner in plain words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Point:
    """One sample: its UTC time (None when the file gave none) and position in degrees (None
    on a treadmill, or wherever the device had no fix)."""

    time: datetime.datetime | None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class ParsedActivity:
    """What the file says, unchanged: no totals computed, no rules applied.

    Durations are in seconds; ``device_distance_m`` is the device's own total (FIT
    ``session.total_distance``, TCX sum of ``Lap/DistanceMeters``), None where the format has
    none. ``segments`` are the track segments in order; distance is never bridged between
    them. ``step_rate_samples`` are FIT ``cadence + fractional_cadence`` per record, in the
    file's per-foot unit (DOMAIN B11.1). ``local_offset_s`` is FIT ``activity.local_timestamp``
    minus ``activity.timestamp``. ``system_time`` is true when the FIT start time was a device
    system time (below 0x10000000), not UTC.
    """

    kind: FileKind
    start: datetime.datetime | None
    sport: str = ""
    sub_sport: str = ""
    device_distance_m: float | None = None
    segments: tuple[tuple[Point, ...], ...] = ()
    timer_s: float | None = None
    elapsed_s: float | None = None
    moving_s: float | None = None
    step_rate_samples: tuple[float, ...] = ()
    file_identity: tuple | None = None
    local_offset_s: int | None = None
    system_time: bool = False
    warnings: tuple[str, ...] = field(default=())

    @property
    def points(self) -> list[Point]:
        return [point for segment in self.segments for point in segment]


_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(gpx|TrainingCenterDatabase)[\s>/]")


def sniff(head: bytes) -> FileKind | None:
    """The kind a file's first bytes show it to be, or None: FIT by its header (size 12 or 14,
    ".FIT" at byte 8), GPX and TCX by their XML root element."""
    if len(head) >= 12 and head[0] in (12, 14) and head[8:12] == b".FIT":
        return FileKind.FIT
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):
        return None
    found = _XML_ROOT.search(head)
    if found is None:
        return None
    return FileKind.GPX if found.group(1) == b"gpx" else FileKind.TCX


def as_utc(moment: datetime.datetime) -> datetime.datetime:
    """TCX and GPX times without an offset are UTC (DOMAIN B11.1)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)
