"""Scheduling rules: working windows, conflicts, free slots and a proposed series of visits.

Pure Python (no Django). The services layer reads a clinician's working hours, booked visits and time off, calls
these functions and shows or books the result. Impossible input (naive datetimes, a window that ends before it
starts, a non-positive length, ...) raises ValueError.

Time, the one thing that is easy to get wrong here:
* Working hours are wall-clock times in the clinic zone. Each day's windows are placed on that day's own calendar,
  so a 09:00 visit is at 09:00 local before and after a daylight-saving change (never "the same UTC time a week on").
* Arithmetic and comparison happen in UTC, i.e. in real elapsed time: a 60-minute visit lasts 60 real minutes even
  across a change. (Python compares and subtracts two datetimes that share a tzinfo by their wall clocks, ignoring
  ``fold``; working in UTC avoids that trap.)
* Every returned datetime is aware in the clinic zone, with ``fold`` set where the wall time is ambiguous, so a
  round trip through UTC (how the database stores it) gives back the same wall-clock time.
* A working window is the set of real instants whose local wall-clock time lies within [start, end):
  - a wall time that does not exist (the spring-forward gap) moves forward to the first valid instant, the moment
    of the change: 02:30 on 2026-03-08 in America/Chicago becomes 03:00 CDT. A window 01:00–04:00 that day holds
    2 real hours; a window lying wholly inside the gap (02:00–02:45) is empty that day;
  - a wall time that occurs twice (the fall-back fold) takes its first occurrence (fold=0). A window 01:00–02:00 on
    2026-11-01 in America/Chicago therefore runs from 01:00 CDT to 02:00 CST: 2 real hours, because the clock reads
    01:xx twice. A window that ends at an ambiguous time ends at its first occurrence.
* Rows of the same weekday that overlap or touch (08:00–12:00 and 12:00–16:00) are one continuous window: working
  time is their union. A gap between rows (a lunch break) splits the day into separate windows.
* A window cannot cross midnight (start < end); a night shift is two rows.
* A row with a date (``on``) is an exception for that date: when any row names a date, that date's windows are
  those rows and the weekly rows of its weekday are ignored. A dated row with start == end holds no time: it
  marks a day off (``WorkingHours.day_off``). The dated windows follow the same time rules as weekly ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations, pairwise
from zoneinfo import ZoneInfo

INITIAL = "initial"
FOLLOW_UP = "follow_up"
REASSESSMENT = "reassessment"
VISIT_KINDS = (FOLLOW_UP, REASSESSMENT)

DEFAULT_STEP = timedelta(minutes=15)
MAX_WEEKS = 52

# Two visits less than this many calendar days apart are "close together" (the spread rule of _best_week).
SPREAD_DAYS = 2

# A UTC interval [start, end): the internal form of every window, busy time and slot.
_Interval = tuple[datetime, datetime]


# --- Validation -------------------------------------------------------------------------------------------


def _utc(value: object, name: str) -> datetime:
    """An aware datetime, as UTC. Naive datetimes are refused: their instant is unknown."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, not {value!r}")
    return value.astimezone(UTC)


def _interval(start: object, end: object, what: str) -> _Interval:
    start_utc, end_utc = _utc(start, f"{what} start"), _utc(end, f"{what} end")
    if end_utc <= start_utc:
        raise ValueError(f"{what} must end after it starts, not {start} – {end}")
    return start_utc, end_utc


def _day(value: object, name: str) -> date:
    # datetime is a subclass of date; a datetime here is almost always a caller's mistake.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{name} must be a date, not {value!r}")
    return value


def _wall_time(value: object, name: str) -> time:
    """A naive time of day: working hours and preferences are wall-clock times in the clinic zone."""
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ValueError(f"{name} must be a time of day without a time zone, not {value!r}")
    return value


def _positive(value: object, name: str) -> timedelta:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValueError(f"{name} must be a positive timedelta, not {value!r}")
    return value


def _whole(value: object, name: str, low: int, high: int) -> int:
    # bool is an int in Python; True must not pass as 1.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number {low}-{high}, not {value!r}")
    return value


def _weekday(value: object, name: str) -> int:
    return _whole(value, name, 0, 6)


def _zone(value: object) -> ZoneInfo:
    if not isinstance(value, ZoneInfo):
        raise ValueError(f"zone must be a zoneinfo.ZoneInfo, not {value!r}")
    return value


def _all_of(values: Iterable[object], kind: type, name: str) -> list:
    values = list(values)
    for value in values:
        if not isinstance(value, kind):
            raise ValueError(f"{name} must hold {kind.__name__} values, not {value!r}")
    return values


# --- Values -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingHours:
    """One working window on a weekday, in local clinic time. Several rows per weekday make a split shift."""

    weekday: int  # 0 = Monday ... 6 = Sunday
    start: time
    end: time  # exclusive; after start (no window crosses midnight), or equal to it on a day off
    on: date | None = None  # set: an exception for this date only, replacing the weekly rows of that date

    def __post_init__(self) -> None:
        _weekday(self.weekday, "weekday")
        _wall_time(self.start, "start")
        _wall_time(self.end, "end")
        if self.on is not None and _day(self.on, "on").weekday() != self.weekday:
            raise ValueError(f"{self.on} is not on weekday {self.weekday}")
        if self.end < self.start or (self.end == self.start and self.on is None):
            raise ValueError(f"Working hours must end after they start, not {self.start} – {self.end}")

    @classmethod
    def on_date(cls, on: date, start: time, end: time) -> WorkingHours:
        """A window for one date only."""
        return cls(_day(on, "on").weekday(), start, end, on)

    @classmethod
    def day_off(cls, on: date) -> WorkingHours:
        """No working time at all on ``on``, whatever the weekly hours say."""
        return cls.on_date(on, time.min, time.min)


@dataclass(frozen=True)
class Busy:
    """Time the clinician cannot see a patient: a booked visit or time off. Aware datetimes, any zone."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _interval(self.start, self.end, "Busy time")


@dataclass(frozen=True)
class Slot:
    """A free stretch a visit fits into: [start, end), aware, in the clinic zone."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _interval(self.start, self.end, "Slot")


@dataclass(frozen=True)
class Preference:
    """When the patient would like to come: weekdays (empty = any day) and the earliest and latest start time."""

    weekdays: frozenset[int] = frozenset()
    earliest: time | None = None  # earliest start, local clinic time
    latest: time | None = None  # latest start (not end), local clinic time

    def __post_init__(self) -> None:
        # Accept any iterable of weekdays, but keep a frozenset so the value stays hashable and immutable.
        if isinstance(self.weekdays, str | bytes) or not isinstance(self.weekdays, Iterable):
            raise ValueError(f"weekdays must be a set of weekday numbers 0-6, not {self.weekdays!r}")
        weekdays = frozenset(self.weekdays)
        for weekday in weekdays:
            _weekday(weekday, "Preferred weekday")
        object.__setattr__(self, "weekdays", weekdays)
        if self.earliest is not None:
            _wall_time(self.earliest, "earliest")
        if self.latest is not None:
            _wall_time(self.latest, "latest")
        if self.earliest is not None and self.latest is not None and self.latest < self.earliest:
            raise ValueError(f"latest ({self.latest}) is before earliest ({self.earliest})")

    def is_met_by(self, start: datetime, zone: ZoneInfo) -> bool:
        """Whether a visit starting at ``start`` (aware) matches: weekday and start time read in ``zone``."""
        local = _utc(start, "start").astimezone(_zone(zone))
        if self.weekdays and local.weekday() not in self.weekdays:
            return False
        if self.earliest is not None and local.time() < self.earliest:
            return False
        return self.latest is None or local.time() <= self.latest


@dataclass(frozen=True)
class ProposedVisit:
    start: datetime  # aware, in the clinic zone
    end: datetime
    kind: str  # FOLLOW_UP | REASSESSMENT
    week: int  # 1-based week of the series
    preferred: bool  # the slot met the patient's Preference

    def __post_init__(self) -> None:
        _interval(self.start, self.end, "Visit")
        if self.kind not in VISIT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(VISIT_KINDS)}, not {self.kind!r}")
        _whole(self.week, "week", 1, MAX_WEEKS)


# --- Local time -------------------------------------------------------------------------------------------


def _transition(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The instant the zone's UTC offset changes between ``before`` and ``after`` (UTC, at most one change between).

    zoneinfo does not expose its transitions, so bisect; tz database transitions fall on whole seconds.
    """
    old_offset = before.astimezone(zone).utcoffset()
    low, high = math.floor(before.timestamp()), math.ceil(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == old_offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time: first occurrence if ambiguous, the change itself if skipped."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first occurrence of an ambiguous time
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In a gap, fold=1 reads the time with the offset after the change (an instant before it) and fold=0 with the
    # offset before (an instant after it); the change lies between the two.
    return _transition(naive.replace(tzinfo=zone, fold=1).astimezone(UTC), first, zone)


def _window(day: date, hours: WorkingHours, zone: ZoneInfo) -> _Interval:
    # Both ends resolve by the same monotone rule, so start <= end; equal only when the window lies in a gap.
    return _instant(day, hours.start, zone), _instant(day, hours.end, zone)


def _rows_of(day: date, hours: Sequence[WorkingHours]) -> list[WorkingHours]:
    """The rows that make ``day``: its dated rows when it has any, else the weekly rows of its weekday."""
    dated = [row for row in hours if row.on == day]
    return dated or [row for row in hours if row.on is None and row.weekday == day.weekday()]


def _windows(day: date, hours: Sequence[WorkingHours], zone: ZoneInfo) -> list[_Interval]:
    """The day's working windows in UTC, sorted; overlapping or touching rows merged, empty ones dropped."""
    merged: list[_Interval] = []
    for start, end in sorted(_window(day, row, zone) for row in _rows_of(day, hours)):
        if start == end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def local_window(day: date, hours: WorkingHours, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The working window ``hours`` gives on ``day``: aware datetimes in ``zone``.

    A wall time that does not exist on ``day`` (spring-forward gap) moves forward to the first valid instant (the
    moment of the change); an ambiguous one (fall-back) takes its first occurrence (fold=0). See the module
    docstring for what this means for a whole window. start == end when the window lies wholly in a gap.
    ``hours.weekday`` must be ``day``'s weekday.
    """
    _day(day, "day")
    if not isinstance(hours, WorkingHours):
        raise ValueError(f"hours must be WorkingHours, not {hours!r}")
    zone = _zone(zone)
    if hours.weekday != day.weekday() or hours.on not in (None, day):
        raise ValueError(f"Working hours for weekday {hours.weekday} do not apply to {day} (weekday {day.weekday()})")
    start, end = _window(day, hours, zone)
    return start.astimezone(zone), end.astimezone(zone)


def keeps_hours(day: date, hours: Sequence[WorkingHours]) -> bool:
    """Whether ``hours`` say anything about ``day``: some weekly rows are kept, or the date has its own.
    A clinician with no weekly hours can be booked at any time, except on a date given its own hours."""
    _day(day, "day")
    return any(row.on is None or row.on == day for row in _all_of(hours, WorkingHours, "hours"))


def working_windows(day: date, hours: Sequence[WorkingHours], zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The working time of ``day`` as ``free_slots`` reads it: the date's exceptions if it has any, else the
    weekday's rows; merged where they touch or overlap, aware in ``zone``, in time order."""
    _day(day, "day")
    zone = _zone(zone)
    return [
        (start.astimezone(zone), end.astimezone(zone))
        for start, end in _windows(day, _all_of(hours, WorkingHours, "hours"), zone)
    ]


def clashing_windows(rows: Sequence[tuple[time, time]]) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of windows of one day that share a moment; touching (12:00–13:00 and 13:00–17:00)
    is not clashing. For the forms that edit hours: the rules merge such rows, but a person typing two
    overlapping windows has almost always mistyped one."""
    for index, (start, end) in enumerate(rows):
        _wall_time(start, f"start of window {index + 1}")
        _wall_time(end, f"end of window {index + 1}")
    return [(i, j) for (i, a), (j, b) in combinations(enumerate(rows), 2) if a[0] < b[1] and b[0] < a[1]]


# --- Intervals --------------------------------------------------------------------------------------------


def _overlap(a: _Interval, b: _Interval) -> bool:
    # Half-open: a visit ending at 10:00 and one starting at 10:00 do not overlap.
    return a[0] < b[1] and b[0] < a[1]


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether [a_start, a_end) and [b_start, b_end) share an instant; touching is not overlapping.

    Aware datetimes, in any zones (compared as instants).
    """
    return _overlap(_interval(a_start, a_end, "Interval a"), _interval(b_start, b_end, "Interval b"))


def conflicts(start: datetime, end: datetime, busy: Sequence[Busy]) -> list[Busy]:
    """The busy entries that overlap [start, end), in the order given. Touching is not a conflict."""
    visit = _interval(start, end, "Visit")
    return [entry for entry in _all_of(busy, Busy, "busy") if _overlap(visit, (entry.start, entry.end))]


def is_within_working_hours(start: datetime, end: datetime, hours: Sequence[WorkingHours], zone: ZoneInfo) -> bool:
    """Whether the whole visit [start, end) lies inside one working window of the local day it starts on.

    Edges count: a visit may start when a window opens and end when it closes. A visit that runs into a gap between
    rows (a lunch break) is outside; rows that touch or overlap form one window.
    """
    visit = _interval(start, end, "Visit")
    zone = _zone(zone)
    day = visit[0].astimezone(zone).date()
    windows = _windows(day, _all_of(hours, WorkingHours, "hours"), zone)
    return any(window_start <= visit[0] and visit[1] <= window_end for window_start, window_end in windows)


# --- Free slots -------------------------------------------------------------------------------------------


def _free(
    windows: Sequence[_Interval],
    length: timedelta,
    busy: Sequence[_Interval],
    step: timedelta,
    not_before: datetime | None,
) -> list[_Interval]:
    """Free [start, start + length) in UTC: starts every ``step`` of real time from each window's start."""
    found: list[_Interval] = []
    for window in windows:
        # Only busy time touching this window can block a slot in it; filter once, not once per candidate.
        nearby = [entry for entry in busy if _overlap(entry, window)]
        start = window[0]
        while start + length <= window[1]:
            slot = (start, start + length)
            if (not_before is None or start >= not_before) and not any(_overlap(slot, entry) for entry in nearby):
                found.append(slot)
            start += step
    return found


def free_slots(
    day: date,
    *,
    length: timedelta,
    hours: Sequence[WorkingHours],
    busy: Sequence[Busy],
    zone: ZoneInfo,
    step: timedelta = DEFAULT_STEP,
    not_before: datetime | None = None,
) -> list[Slot]:
    """Every slot of ``length`` on ``day`` that is free, in start order.

    Candidate starts run every ``step`` (real time) from each window's start; a candidate is kept when
    [start, start + length) fits in the window, overlaps no busy interval and does not start before ``not_before``.
    Slots may overlap one another (they are alternatives, not a plan). Aware, in ``zone``.
    """
    _day(day, "day")
    length = _positive(length, "length")
    step = _positive(step, "step")
    zone = _zone(zone)
    taken = [(entry.start, entry.end) for entry in _all_of(busy, Busy, "busy")]
    earliest = None if not_before is None else _utc(not_before, "not_before")
    windows = _windows(day, _all_of(hours, WorkingHours, "hours"), zone)
    return [
        Slot(start.astimezone(zone), end.astimezone(zone))
        for start, end in _free(windows, length, taken, step, earliest)
    ]


# --- Booking one visit -------------------------------------------------------------------------------------


def default_visit_kind(visits_in_episode: int) -> str:
    """The visit type a booking form starts with, for an episode holding this many visits not
    cancelled. The first visit of an episode is where the clinician reviews the intake and
    records the first assessment (the product's flow from intake to assessment to plan), so it
    starts as an initial evaluation; any later visit as a follow-up. The front desk changes it
    for a re-assessment, which only the plan's timing tells.
    """
    _whole(visits_in_episode, "visits_in_episode", 0, 10**9)
    return INITIAL if visits_in_episode == 0 else FOLLOW_UP


# --- A series of visits -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pick:
    start: datetime  # UTC
    end: datetime
    preferred: bool


def _best_pick(slots: Sequence[_Interval], preference: Preference, zone: ZoneInfo) -> _Pick | None:
    """The earliest slot that meets the preference, else the earliest slot; None when there is none."""
    for start, end in slots:
        if preference.is_met_by(start, zone):
            return _Pick(start, end, True)
    return _Pick(slots[0][0], slots[0][1], False) if slots else None


def _visits(count: int) -> str:
    return f"{count} visit" if count == 1 else f"{count} visits"


def _minutes(length: timedelta) -> str:
    return f"{length.total_seconds() / 60:g} min"


def _day_picks(
    days: Sequence[date],
    lengths: set[timedelta],
    hours: Sequence[WorkingHours],
    zone: ZoneInfo,
    taken: Sequence[_Interval],
    earliest: datetime | None,
    preference: Preference,
) -> dict[tuple[date, timedelta], _Pick | None]:
    """One best slot per (day, length) of a week, or None where none is free.

    Visits of one week fall on different local days, and a window never crosses midnight, so they cannot collide
    with each other: only what was taken before this week counts.
    """
    windows = {day: _windows(day, hours, zone) for day in days}
    spans = [window for day in days for window in windows[day]]
    # A long series meets a long busy list: keep only what can touch this week before looking at each slot.
    nearby = [entry for entry in taken if spans and _overlap(entry, (spans[0][0], spans[-1][1]))]
    return {
        (day, wanted): _best_pick(_free(windows[day], wanted, nearby, DEFAULT_STEP, earliest), preference, zone)
        for day in days
        for wanted in lengths
    }


def _best_week(
    days: Sequence[date],
    picks: Mapping[tuple[date, timedelta], _Pick | None],
    visits_per_week: int,
    length: timedelta,
    reassessment_length: timedelta | None,
    previous_day: date | None,
    fixed: Sequence[date] = (),
) -> tuple[tuple[date, ...], list[_Pick], bool]:
    """(days, their picks, whether the last is the reassessment) for one week; nothing fits: ((), [], False).

    The week's visits fall on different days, the set of days chosen by, in order:
    1. when ``reassessment_length`` is given (None: no reassessment this week), a set whose last visit can be the
       reassessment;
    2. as many visits as fit (at most ``visits_per_week``);
    3. as many visits meeting the preference as possible (``_Pick.preferred``);
    4. spread: as few visits as possible less than ``SPREAD_DAYS`` after the one before, counting
       ``previous_day`` and the ``fixed`` days of the week that already have a visit;
    5. the earliest starts (deterministic: the earliest suitable slot wins ties).
    The patient's stated availability outranks spreading, so preference comes before spread.
    """
    best_key: tuple | None = None
    best: tuple[tuple[date, ...], list[_Pick], bool] = ((), [], False)
    for with_reassessment in (True, False) if reassessment_length is not None else (False,):
        for count in range(visits_per_week, 0, -1):
            for chosen in combinations(days, count):
                last_length = reassessment_length if with_reassessment else length
                wanted = [length] * (count - 1) + [last_length]
                week_picks = [picks[day, each] for day, each in zip(chosen, wanted, strict=True)]
                if any(pick is None for pick in week_picks):
                    continue
                sequence = sorted(([] if previous_day is None else [previous_day]) + [*fixed, *chosen])
                close = sum(1 for a, b in pairwise(sequence) if (b - a).days < SPREAD_DAYS)
                key = (
                    not with_reassessment,
                    -count,
                    -sum(pick.preferred for pick in week_picks),
                    close,
                    tuple(pick.start for pick in week_picks),
                )
                if best_key is None or key < best_key:
                    best_key, best = key, (chosen, week_picks, with_reassessment)
    return best


def _week_messages(
    week: int, fitted: int, visits_per_week: int, reassessment_missing: bool, reassessment_length: timedelta
) -> list[str]:
    messages = []
    if not fitted:
        messages.append(f"Week {week}: no visit fits the clinician's free time ({_visits(visits_per_week)} wanted)")
    elif fitted < visits_per_week:
        messages.append(f"Week {week}: only {fitted} of {_visits(visits_per_week)} fit the clinician's free time")
    if reassessment_missing:
        messages.append(
            f"Week {week}: no free time is long enough for the reassessment ({_minutes(reassessment_length)})"
        )
    return messages


# --- What a signed plan still needs ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanNeed:
    """A signed plan's visits: ``visits_per_week`` for ``weeks`` weeks, the last a re-assessment when
    ``reassessment``. The re-assessment is one of the plan's visits, not one more."""

    visits_per_week: int
    weeks: int
    reassessment: bool = True

    def __post_init__(self) -> None:
        _whole(self.visits_per_week, "visits_per_week", 1, 7)
        _whole(self.weeks, "weeks", 1, MAX_WEEKS)

    @property
    def total(self) -> int:
        return self.visits_per_week * self.weeks


@dataclass(frozen=True)
class EpisodeVisit:
    """A visit of the episode that counts toward its plan: held (booked or checked in) or done (completed).
    Cancelled visits and no-shows are not given: they delivered nothing of the plan and hold no time."""

    start: datetime
    end: datetime
    reassessment: bool = False
    done: bool = False

    def __post_init__(self) -> None:
        _interval(self.start, self.end, "Visit")


@dataclass(frozen=True)
class SeriesProposal:
    """What the plan has (held, done), what is proposed for the rest, and why any of it fell short."""

    total: int  # the plan's visits
    held: tuple[EpisodeVisit, ...]  # booked or checked in, time order
    done: tuple[EpisodeVisit, ...]  # completed, time order
    proposed: tuple[ProposedVisit, ...]  # time order
    messages: tuple[str, ...]

    @property
    def booked(self) -> int:
        return len(self.held) + len(self.done)

    @property
    def still_needed(self) -> int:
        return max(0, self.total - self.booked)


def _local_days(intervals: Iterable[_Interval], zone: ZoneInfo) -> set[date]:
    # A visit that runs past midnight occupies both days.
    return {day for start, end in intervals for day in (start.astimezone(zone).date(), end.astimezone(zone).date())}


def propose_plan_series(
    *,
    need: PlanNeed,
    existing: Sequence[EpisodeVisit],
    first_day: date,
    length: timedelta,
    reassessment_length: timedelta,
    hours: Sequence[WorkingHours],
    clinician_busy: Sequence[Busy],
    patient_busy: Sequence[Busy],
    zone: ZoneInfo,
    preference: Preference = Preference(),
    not_before: datetime | None = None,
    two_a_day: bool = False,
) -> SeriesProposal:
    """Propose only what ``need`` still lacks after the ``existing`` visits of the episode.

    * Every existing visit (held or done) counts toward the plan's total; at most ``total - existing`` are proposed.
    * A re-assessment among the existing visits is not proposed again; otherwise the last proposed visit is the
      re-assessment (in the week that completes the plan, or the last week).
    * Week w is the 7 days from ``first_day + 7 * (w - 1)``, for ``need.weeks`` weeks; a week takes at most
      ``visits_per_week`` less the existing visits in it, on different days, chosen by ``_best_week`` (its
      spread also keeps away from the existing visits' days). Slots start on the 15-minute grid of each working
      window and respect ``not_before``; each chosen visit is busy for the choices after it.
    * A week that cannot hold what it wants keeps what fits and adds a message; when no slot is long enough for
      the re-assessment, follow-ups only and a message saying so.
    * No proposal overlaps ``clinician_busy`` (the clinician's visits and time off) or ``patient_busy`` (the
      patient's visits with any clinician); none falls on a clinic-zone day on which the patient already has a
      visit, unless ``two_a_day`` (the front desk asked for it).
    """
    if not isinstance(need, PlanNeed):
        raise ValueError(f"need must be a PlanNeed, not {need!r}")
    existing = sorted(_all_of(existing, EpisodeVisit, "existing"), key=lambda visit: visit.start)
    first_day = _day(first_day, "first_day")
    length = _positive(length, "length")
    reassessment_length = _positive(reassessment_length, "reassessment_length")
    hours = _all_of(hours, WorkingHours, "hours")
    zone = _zone(zone)
    if not isinstance(preference, Preference):
        raise ValueError(f"preference must be a Preference, not {preference!r}")
    earliest = None if not_before is None else _utc(not_before, "not_before")
    patient = [(entry.start, entry.end) for entry in _all_of(patient_busy, Busy, "patient_busy")]
    own = [(_utc(visit.start, "start"), _utc(visit.end, "end")) for visit in existing]
    taken = [(entry.start, entry.end) for entry in _all_of(clinician_busy, Busy, "clinician_busy")] + patient + own
    blocked = set() if two_a_day else _local_days(patient + own, zone)
    existing_days = sorted(_local_days(own, zone))

    left = max(0, need.total - len(existing))
    reassessment_owed = need.reassessment and not any(visit.reassessment for visit in existing)
    proposed: list[ProposedVisit] = []
    messages: list[str] = []
    previous_day: date | None = None
    for week in range(1, need.weeks + 1):
        if left == 0:
            break
        week_days = [first_day + timedelta(days=7 * (week - 1) + offset) for offset in range(7)]
        already = sum(1 for visit in existing if visit.start.astimezone(zone).date() in week_days)
        wanted = min(need.visits_per_week - already, left)
        if wanted <= 0:
            continue
        days = [day for day in week_days if day not in blocked]
        # Spread also keeps away from the episode's own visits, in this week and just before it.
        earlier = [day for day in existing_days if day < week_days[0]]
        anchor = max([day for day in (previous_day, *earlier[-1:]) if day is not None], default=None)
        fixed = [day for day in existing_days if day in week_days]
        finishing = reassessment_owed and (wanted == left or week == need.weeks)
        lengths = {length, reassessment_length} if finishing else {length}
        picks = _day_picks(days, lengths, hours, zone, taken, earliest, preference)
        chosen, week_picks, with_reassessment = _best_week(
            days, picks, wanted, length, reassessment_length if finishing else None, anchor, fixed
        )
        if with_reassessment and len(chosen) < wanted and week < need.weeks:
            # The re-assessment stays the last visit: not in a week that leaves visits for later weeks.
            chosen, week_picks, with_reassessment = _best_week(days, picks, wanted, length, None, anchor, fixed)
        for index, pick in enumerate(week_picks):
            is_reassessment = with_reassessment and index == len(week_picks) - 1
            proposed.append(
                ProposedVisit(
                    start=pick.start.astimezone(zone),
                    end=pick.end.astimezone(zone),
                    kind=REASSESSMENT if is_reassessment else FOLLOW_UP,
                    week=week,
                    preferred=pick.preferred,
                )
            )
            taken.append((pick.start, pick.end))
        if chosen:
            previous_day = chosen[-1]
        reassessment_owed = reassessment_owed and not with_reassessment
        left -= len(chosen)
        missing = reassessment_owed and finishing and (left == 0 or week == need.weeks)
        messages += _week_messages(week, len(chosen), wanted, missing, reassessment_length)
    if left:
        messages.append(f"{_visits(left)} of the plan did not fit in its {need.weeks} weeks")
    return SeriesProposal(
        total=need.total,
        held=tuple(visit for visit in existing if not visit.done),
        done=tuple(visit for visit in existing if visit.done),
        proposed=tuple(proposed),
        messages=tuple(messages),
    )


def series_problems(
    *,
    need: PlanNeed,
    existing: Sequence[EpisodeVisit],
    chosen: Sequence[EpisodeVisit],
    patient_busy: Sequence[Busy],
    zone: ZoneInfo,
    two_a_day: bool = False,
) -> list[str]:
    """Why the ``chosen`` visits cannot be booked for the plan now (empty: they can).

    The same limits ``propose_plan_series`` keeps, checked again against the current state when the front desk
    books: the plan's total, one re-assessment, one visit a day for the patient (unless ``two_a_day``) and no
    overlap with the patient's other visits. The clinician's time is checked where the visits are written.
    """
    existing = _all_of(existing, EpisodeVisit, "existing")
    chosen = sorted(_all_of(chosen, EpisodeVisit, "chosen"), key=lambda visit: visit.start)
    zone = _zone(zone)
    problems = []
    if len(existing) + len(chosen) > need.total:
        room = max(0, need.total - len(existing))
        problems.append(
            f"The plan has {_visits(need.total)} and {len(existing)} are booked already: choose at most {room} more."
        )
    if any(visit.reassessment for visit in chosen) and sum(visit.reassessment for visit in [*existing, *chosen]) > 1:
        problems.append("The plan has one re-assessment; it is booked already or chosen twice.")
    patient = [(entry.start, entry.end) for entry in _all_of(patient_busy, Busy, "patient_busy")]
    patient += [(_utc(visit.start, "start"), _utc(visit.end, "end")) for visit in existing]
    booked_days = _local_days(patient, zone)
    seen: list[_Interval] = []
    for visit in chosen:
        interval = _interval(visit.start, visit.end, "Visit")
        when = f"{visit.start.astimezone(zone):%a %d %b %H:%M}"
        if any(_overlap(interval, other) for other in patient + seen):
            problems.append(f"The patient already has a visit at {when}.")
        elif not two_a_day and _local_days([interval], zone) & (booked_days | _local_days(seen, zone)):
            problems.append(f"The patient already has a visit on the day of {when}.")
        seen.append(interval)
    return problems


# --- Calendar feeds ------------------------------------------------------------------------------


def feed_alive(
    *, owner_active: bool, owner_is_clinician: bool, owner_clinic_id: int | None, feed_clinic_id: int
) -> bool:
    """A clinician's calendar feed serves only while its owner is an active account with the
    Clinician role in the clinic the feed was made in: it dies with the account, the role or
    a move to another clinic, at once and for good (the service revokes it)."""
    return owner_active and owner_is_clinician and owner_clinic_id is not None and owner_clinic_id == feed_clinic_id


# --- A patient moving their own visit ---------------------------------------------------------------


def patient_may_move(starts_at: datetime, now: datetime, notice: timedelta) -> bool:
    """A patient may move a visit that is still at least ``notice`` away (the clinic's policy)."""
    return starts_at.astimezone(UTC) - now.astimezone(UTC) >= notice


def patient_window(now: datetime, notice: timedelta, horizon_days: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """(earliest, end): a new time the patient chooses starts at or after ``earliest`` (not closer
    than the notice) and before ``end``, the close of the clinic's day ``horizon_days`` after today."""
    last_day = now.astimezone(zone).date() + timedelta(days=horizon_days)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    return now + notice, end


def patient_slot_problem(
    start: datetime, *, offered: Sequence[Slot], now: datetime, earliest: datetime, end: datetime
) -> str | None:
    """Why a patient cannot move their visit to ``start``, in words for them; None when they can.

    ``offered`` are the free slots of the clinician on that day, as the page listed them."""
    start, now, earliest, end = (moment.astimezone(UTC) for moment in (start, now, earliest, end))
    if start <= now:
        return "That time has already passed. Please choose another time."
    if start < earliest:
        return "That time is too close to book yourself. Please choose a later time."
    if start >= end:
        return "That time is further ahead than you can book yourself. Please choose an earlier time."
    if not any(slot.start.astimezone(UTC) == start for slot in offered):
        return "That time is not free. Please choose one of the times listed."
    return None
