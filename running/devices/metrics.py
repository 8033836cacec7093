"""What a device file's activity counts as: its distance, moving time, day and step rate.

Pure rules over a ``ParsedActivity`` (DOMAIN A "Session distance and duration", "Import
pitfalls"; B11.1-B11.2):

- distance: the device's own total when the file has one; otherwise the great-circle distances
  between consecutive points, summed per track segment, never across the gap between two
  segments (``gpxpy.geo.distance``, as ``gpxpy`` sums them). No positions and no total: the
  runner is asked for the distance.
- duration: timer (moving) time, pauses excluded; GPX, which has no timer, uses its moving time
  by speed. Elapsed time is kept beside it.
- indoor: a treadmill or indoor-running sub-sport, or no positions at all.
- step rate (FIT): 2 x (``cadence`` + ``fractional_cadence``), the median of the records.
- times: stored in UTC; the run counts towards the patient's local date. A file without times,
  a device clock that was never set (1989/1990) or a device system time is refused.
"""

from __future__ import annotations

import datetime
import itertools
import statistics
from dataclasses import asdict, dataclass

from running.devices.activity import DeviceFileError, ParsedActivity, Point

INDOOR_SUB_SPORTS = frozenset({"treadmill", "indoor_running"})
# DOMAIN B11.2: FIT's epoch is 1989-12-31; a date in 1989 or 1990 is a clock never set.
FIRST_PLAUSIBLE_YEAR = 1991
# The limits a run's row holds (running.models.Run): longer is not one run.
MAX_DISTANCE_M = 300_000
MAX_MOVING_S = 86_400
MAX_ELAPSED_S = 172_800
MAX_STEP_RATE = 300

NO_TIMES = (
    "This file has no times on its points, so the run's day and duration cannot be known. "
    "Export the run again with times, or log it by hand."
)
CLOCK_NOT_SET = (
    "The watch's clock was not set when this run was recorded (its date shows as 1989 or 1990), "
    "so the run's day cannot be known. Log it by hand instead."
)
SYSTEM_TIME = (
    "This file holds the watch's internal clock instead of the real time, so the run's day cannot "
    "be known. Log it by hand instead."
)
IN_FUTURE = "This file's run starts in the future. Check the watch's date, or log the run by hand."
NO_DURATION = "This file holds no time spent running. Choose the file of a run, or log it by hand."
TOO_LONG = "This file's run is longer than a day, so it is not one run. Choose the file of a single run."
TOO_FAR = "This file's distance is longer than any single run, so it was not used. Log the run by hand."


@dataclass(frozen=True)
class RunMetrics:
    """What the run counts as; ``distance_m`` None means the runner is asked for it."""

    started_at: datetime.datetime
    local_date: datetime.date
    distance_m: int | None
    distance_source: str  # "device", "gps" or "" (asked of the runner)
    moving_s: int
    elapsed_s: int | None
    indoor: bool
    step_rate: int | None
    local_offset_s: int | None

    @property
    def needs_distance(self) -> bool:
        return self.distance_m is None

    def as_json(self) -> dict:
        values = asdict(self)
        values["started_at"] = self.started_at.isoformat()
        values["local_date"] = self.local_date.isoformat()
        return values


def gps_distance(segments: tuple[tuple[Point, ...], ...]) -> float | None:
    """Metres along the points with positions, per segment, gaps between segments not
    bridged; None when no two consecutive points have positions."""
    # gpxpy (with lxml behind it, some 10 MiB) is imported when a run is first measured, in the
    # worker, not by every process that loads the upload views.
    from gpxpy.geo import distance as great_circle

    total, measured = 0.0, False
    for segment in segments:
        placed = [point for point in segment if point.lat is not None and point.lon is not None]
        for before, after in itertools.pairwise(placed):
            total += great_circle(before.lat, before.lon, None, after.lat, after.lon, None)
            measured = True
    return total if measured else None


def has_positions(activity: ParsedActivity) -> bool:
    return any(point.lat is not None and point.lon is not None for point in activity.points)


def step_rate(samples: tuple[float, ...]) -> int | None:
    """Steps per minute from FIT's per-foot cadence: 2 x the median sample. Samples of 0 (standing
    at a crossing, paused) are left out, as they are no step rate of running."""
    running = [sample for sample in samples if sample > 0]
    if not running:
        return None
    rate = round(2 * statistics.median(running))
    return rate if rate <= MAX_STEP_RATE else None


def _times(activity: ParsedActivity) -> list[datetime.datetime]:
    points = activity.points
    if any(point.time is None for point in points):
        raise DeviceFileError(NO_TIMES)
    return [point.time for point in points]


def compute(activity: ParsedActivity, *, zone: datetime.tzinfo, now: datetime.datetime) -> RunMetrics:
    """The run the activity counts as, in the patient's time zone ``zone``; ``DeviceFileError``
    for an activity that cannot count as a run."""
    if activity.system_time:
        raise DeviceFileError(SYSTEM_TIME)
    times = _times(activity)
    start = activity.start or (min(times) if times else None)
    if start is None:
        raise DeviceFileError(NO_TIMES)
    start = start.astimezone(datetime.UTC)
    if start.year < FIRST_PLAUSIBLE_YEAR or any(moment.year < FIRST_PLAUSIBLE_YEAR for moment in times):
        raise DeviceFileError(CLOCK_NOT_SET)
    if start > now + datetime.timedelta(days=1):
        raise DeviceFileError(IN_FUTURE)

    span = (max(times) - min(times)).total_seconds() if len(times) > 1 else None
    elapsed = activity.elapsed_s if activity.elapsed_s is not None else span
    moving = next(
        (value for value in (activity.timer_s, activity.moving_s, elapsed) if value is not None and value > 0), None
    )
    if moving is None or round(moving) < 1:
        raise DeviceFileError(NO_DURATION)
    moving_s = round(moving)
    elapsed_s = max(round(elapsed), moving_s) if elapsed is not None else None
    if moving_s > MAX_MOVING_S or (elapsed_s or 0) > MAX_ELAPSED_S:
        raise DeviceFileError(TOO_LONG)

    positions = has_positions(activity)
    if activity.device_distance_m is not None:
        distance, source = activity.device_distance_m, "device"
    else:
        distance = gps_distance(activity.segments)
        source = "gps" if distance is not None else ""
    if distance is not None and not 0 <= distance <= MAX_DISTANCE_M:
        raise DeviceFileError(TOO_FAR)
    return RunMetrics(
        started_at=start,
        local_date=start.astimezone(zone).date(),
        distance_m=round(distance) if distance is not None else None,
        distance_source=source,
        moving_s=moving_s,
        elapsed_s=elapsed_s,
        indoor=activity.sub_sport in INDOOR_SUB_SPORTS or not positions,
        step_rate=step_rate(activity.step_rate_samples),
        local_offset_s=activity.local_offset_s,
    )
