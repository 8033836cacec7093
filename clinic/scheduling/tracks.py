"""The calendar's tracks: one clinician on one day, as the day and week grids draw it, made from
rows already loaded (no queries here)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from clinic.scheduling import grid, rules
from clinic.scheduling.models import AppointmentStatus


@dataclass(frozen=True)
class Band:
    """Shaded time: outside working hours, or time off."""

    kind: str  # "closed" or "time-off"
    row: int
    span: int
    start: datetime.datetime
    end: datetime.datetime
    reason: str = ""


@dataclass(frozen=True)
class Block:
    kind = "visit"
    visit: object
    row: int
    span: int
    lane: int
    start: datetime.datetime
    end: datetime.datetime

    @property
    def movable(self) -> bool:
        return self.visit.status == AppointmentStatus.BOOKED


@dataclass(frozen=True)
class Opening:
    """A free time where a visit fits: a "Book hh:mm" link."""

    kind = "free"
    row: int
    start: datetime.datetime

    # Written here rather than with template filters: a day of five clinicians has some 200.
    @property
    def iso(self) -> str:
        return self.start.isoformat()

    @property
    def clock(self) -> str:
        return f"{self.start:%H:%M}"


@dataclass
class Track:
    clinician: object
    day: datetime.date
    label: str
    today: bool
    windows: list[grid.Span]
    has_hours: bool
    blocks: list[Block] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    openings: list[Opening] = field(default_factory=list)
    lanes: int = 1

    def items(self):
        """Everything on the track in time order: the order a screen reader, or a browser without
        the stylesheet, reads it in."""
        kinds = {Band: 0, Block: 1, Opening: 2}
        return sorted(
            [*self.bands, *self.blocks, *self.openings], key=lambda item: (item.row, kinds[type(item)], item.start)
        )


def local_windows(day: datetime.date, hours: list[rules.WorkingHours], zone) -> list[grid.Span]:
    """The day's working time as the booking rules read it (a date's own hours replace its weekly ones)."""
    return [
        (grid.minute_of(start, day), grid.minute_of(end, day)) for start, end in rules.working_windows(day, hours, zone)
    ]


def track(
    clinician,
    day: datetime.date,
    *,
    label: str,
    today: datetime.date,
    hours: list[rules.WorkingHours],
    zone,
) -> Track:
    windows = local_windows(day, hours, zone)
    return Track(clinician, day, label, day == today, windows, rules.keeps_hours(day, hours))


def spans_of(tracks: list[Track], visits_by_track: list[list]) -> list[grid.Span]:
    """Working windows and visits of every track: what the shared rows must show."""
    spans = [window for one in tracks for window in one.windows]
    for one, visits in zip(tracks, visits_by_track, strict=True):
        for visit in visits:
            start = visit.starts_at.astimezone(visit_zone(one))
            end = visit.ends_at.astimezone(visit_zone(one))
            spans.append((grid.minute_of(start, one.day), grid.minute_of(end, one.day)))
    return spans


def visit_zone(one: Track):
    return one.clinician.clinic.zone


def fill(
    one: Track,
    rows: grid.Rows,
    *,
    visits: list,
    time_off: list,
    free: list[rules.Slot],
) -> Track:
    """Place the track's visits (cancelled ones side by side with what replaced them), its shaded
    time and its free times on the rows."""
    zone = visit_zone(one)
    placed = []
    for visit in visits:
        start, end = visit.starts_at.astimezone(zone), visit.ends_at.astimezone(zone)
        placed.append((visit, start, end, grid.minute_of(start, one.day), grid.minute_of(end, one.day)))
    chosen, one.lanes = grid.lanes([(first, last) for _, _, _, first, last in placed])
    one.blocks = [
        Block(visit, rows.row(first), rows.span(first, last), lane, start, end)
        for (visit, start, end, first, last), lane in zip(placed, chosen, strict=True)
    ]
    midnight = datetime.datetime.combine(one.day, datetime.time.min, tzinfo=zone)
    for first, last in grid.gaps(one.windows, rows.first, rows.last):
        one.bands.append(
            Band(
                "closed",
                rows.row(first),
                rows.span(first, last),
                midnight + datetime.timedelta(minutes=first),
                midnight + datetime.timedelta(minutes=last),
            )
        )
    for row in time_off:
        start, end = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
        first, last = max(grid.minute_of(start, one.day), rows.first), min(grid.minute_of(end, one.day), rows.last)
        if last > first:
            one.bands.append(Band("time-off", rows.row(first), rows.span(first, last), start, end, row.reason))
    one.openings = [Opening(rows.row(grid.minute_of(slot.start, one.day)), slot.start) for slot in free]
    return one
