"""Where things sit on the calendar's time grid: rows of the clinic's slot size, one track per
clinician (day view) or per day (one clinician's week).

Pure Python (no Django). Times are wall-clock minutes since local midnight in the clinic zone,
so a 09:00 visit sits on the 09:00 row on a daylight-saving day too; rows are 1-based, as CSS
grid lines are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

DAY_MINUTES = 24 * 60
# Shown when nobody works that day and nothing is booked: a usual clinic day.
DEFAULT_FIRST = 8 * 60
DEFAULT_LAST = 18 * 60
# Visits side by side in one track (a cancelled visit and the one booked in its place); more
# than this share the last lane rather than becoming too narrow to read.
MAX_LANES = 4

Span = tuple[int, int]  # [start, end) in minutes since local midnight


def minute_of(moment: datetime, day: date) -> int:
    """Minutes since ``day``'s local midnight of an aware ``moment`` already in the clinic zone,
    clipped to the day (a visit from the evening before starts at 0, one running past midnight
    ends at 24:00)."""
    if moment.date() < day:
        return 0
    if moment.date() > day:
        return DAY_MINUTES
    return moment.hour * 60 + moment.minute


def minute_of_time(value: time) -> int:
    return value.hour * 60 + value.minute


@dataclass(frozen=True)
class Rows:
    """The shown stretch of the day: ``first`` to ``last`` minute in rows of ``slot`` minutes."""

    first: int
    last: int
    slot: int

    @property
    def count(self) -> int:
        return (self.last - self.first) // self.slot

    def row(self, minute: int) -> int:
        """The row a minute falls in (a visit at 09:10 on 15-minute rows sits on the 09:00 row)."""
        return 1 + (min(max(minute, self.first), self.last - 1) - self.first) // self.slot

    def span(self, start: int, end: int) -> int:
        """How many rows [start, end) covers: a 45-minute visit spans three 15-minute rows."""
        start, end = max(start, self.first), min(end, self.last)
        return max(1, math.ceil((end - self.first) / self.slot) - (start - self.first) // self.slot)

    def at(self, row: int) -> int:
        return self.first + (row - 1) * self.slot

    def hours(self) -> list[tuple[int, str]]:
        """(row, "hh:00") of each full hour shown: the time axis's labels."""
        return [(self.row(minute), f"{minute // 60:02}:00") for minute in range(self.first, self.last, 60)]


def rows_for(spans: Sequence[Span], slot: int) -> Rows:
    """Rows from the earliest to the latest of the spans (working windows and visits), widened to
    whole hours; a usual clinic day when there are none."""
    if slot <= 0 or 60 % slot:
        raise ValueError(f"slot must divide an hour, not {slot!r}")
    spans = [(start, end) for start, end in spans if end > start]
    if not spans:
        return Rows(DEFAULT_FIRST, DEFAULT_LAST, slot)
    first = min(start for start, _ in spans) // 60 * 60
    last = min(DAY_MINUTES, math.ceil(max(end for _, end in spans) / 60) * 60)
    return Rows(first, last, slot)


def gaps(spans: Sequence[Span], first: int, last: int) -> list[Span]:
    """The parts of [first, last) no span covers: time outside the working windows."""
    found, cursor = [], first
    for start, end in sorted(spans):
        if start > cursor:
            found.append((cursor, min(start, last)))
        cursor = max(cursor, end)
        if cursor >= last:
            break
    if cursor < last:
        found.append((cursor, last))
    return [(start, end) for start, end in found if end > start]


def lanes(spans: Sequence[Span]) -> tuple[list[int], int]:
    """A lane (1-based) for each span, in the order given, so overlapping spans sit side by side;
    and the number of lanes the track needs (at most ``MAX_LANES``)."""
    order = sorted(range(len(spans)), key=lambda index: (spans[index][0], spans[index][1]))
    lane_ends: list[int] = []
    chosen = [1] * len(spans)
    for index in order:
        start, end = spans[index]
        lane = next((number for number, lane_end in enumerate(lane_ends) if lane_end <= start), None)
        if lane is None:
            lane = len(lane_ends)
            lane_ends.append(end)
        else:
            lane_ends[lane] = end
        chosen[index] = min(lane + 1, MAX_LANES)
    return chosen, min(max(len(lane_ends), 1), MAX_LANES)
