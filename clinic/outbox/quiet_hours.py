"""Quiet hours: no reminder goes out while the clinic's patients are asleep. Pure.

The window is local wall-clock time in the clinic's zone, from ``start`` (inclusive) to
``end`` (exclusive); when ``start`` is later than ``end`` it runs overnight (the default
21:00–08:00), and equal times mean no quiet hours. A due time inside the window moves
forward to the window's end. A reminder is about something that happens at ``latest`` (the
visit start): if moving forward would reach it, the reminder moves back instead, to a
quarter of an hour before the window begins, so it is never sent after the visit has
started, and a send that runs a few minutes late (beat sweeps once a minute, a queue may be
behind) still goes out before the window rather than being skipped inside it. Times are
placed on each day's own calendar, so daylight-saving changes never shift the window.
"""

from __future__ import annotations

import datetime
import zoneinfo

UTC = datetime.UTC
BEFORE_WINDOW = datetime.timedelta(minutes=15)


def _at(day: datetime.date, clock: datetime.time, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    # A wall time inside a spring-forward gap maps to the instant just after the gap.
    return datetime.datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def window_around(
    moment: datetime.datetime, start: datetime.time, end: datetime.time, zone: zoneinfo.ZoneInfo
) -> tuple[datetime.datetime, datetime.datetime] | None:
    """The quiet window (UTC start, UTC end) that contains ``moment``, or None."""
    if start == end:
        return None
    local = moment.astimezone(zone)
    day, clock = local.date(), local.timetz().replace(tzinfo=None)
    one_day = datetime.timedelta(days=1)
    if start < end:
        if start <= clock < end:
            return _at(day, start, zone), _at(day, end, zone)
        return None
    if clock >= start:
        return _at(day, start, zone), _at(day + one_day, end, zone)
    if clock < end:
        return _at(day - one_day, start, zone), _at(day, end, zone)
    return None


def outside_quiet_hours(
    due_at: datetime.datetime,
    *,
    start: datetime.time,
    end: datetime.time,
    zone: zoneinfo.ZoneInfo,
    latest: datetime.datetime | None = None,
) -> datetime.datetime:
    """``due_at`` moved out of the quiet window (see the module docstring), in UTC."""
    window = window_around(due_at, start, end, zone)
    if window is None:
        return due_at.astimezone(UTC)
    window_start, window_end = window
    if latest is None or window_end < latest:
        return window_end
    return window_start - BEFORE_WINDOW
