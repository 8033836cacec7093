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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations, pairwise
from zoneinfo import ZoneInfo

FOLLOW_UP = "follow_up"
REASSESSMENT = "reassessment"
VISIT_KINDS = (FOLLOW_UP, REASSESSMENT)

DEFAULT_STEP = timedelta(minutes=15)
MAX_WEEKS = 52

# Two visits less than this many calendar days apart are "close together" (the spread rule of propose_series).
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
    end: time  # exclusive; after start (no window crosses midnight)

    def __post_init__(self) -> None:
        _weekday(self.weekday, "weekday")
        _wall_time(self.start, "start")
        _wall_time(self.end, "end")
        if self.end <= self.start:
            raise ValueError(f"Working hours must end after they start, not {self.start} – {self.end}")


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


def _windows(day: date, hours: Sequence[WorkingHours], zone: ZoneInfo) -> list[_Interval]:
    """The day's working windows in UTC, sorted; overlapping or touching rows merged, empty ones dropped."""
    merged: list[_Interval] = []
    for start, end in sorted(_window(day, row, zone) for row in hours if row.weekday == day.weekday()):
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
    if hours.weekday != day.weekday():
        raise ValueError(f"Working hours for weekday {hours.weekday} do not apply to {day} (weekday {day.weekday()})")
    start, end = _window(day, hours, zone)
    return start.astimezone(zone), end.astimezone(zone)


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
) -> tuple[tuple[date, ...], list[_Pick], bool]:
    """(days, their picks, whether the last is the reassessment) by the order of ``propose_series``;
    ``reassessment_length`` is None outside a reassessment week. Nothing fits: ((), [], False)."""
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
                sequence = ([] if previous_day is None else [previous_day]) + list(chosen)
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


def propose_series(
    *,
    first_day: date,
    visits_per_week: int,
    weeks: int,
    reassess_every_weeks: int | None,
    length: timedelta,
    reassessment_length: timedelta,
    hours: Sequence[WorkingHours],
    busy: Sequence[Busy],
    zone: ZoneInfo,
    preference: Preference = Preference(),
    not_before: datetime | None = None,
) -> tuple[list[ProposedVisit], list[str]]:
    """Propose ``visits_per_week`` visits a week for ``weeks`` weeks; return (visits in time order, messages).

    Week w is the 7 days from ``first_day + 7 * (w - 1)``. Each week takes its visits on different days, choosing
    among all sets of days by, in order:
    1. in a reassessment week, a set whose last visit can be the reassessment (``reassessment_length``);
    2. as many visits as fit (at most ``visits_per_week``);
    3. as many visits meeting ``preference`` as possible (``preferred``; an empty Preference is met by any slot);
    4. spread: as few visits as possible less than 2 days after the one before, counting the previous week's last;
    5. the earliest starts (deterministic: the earliest suitable slot wins ties).
    The patient's stated availability outranks spreading, so preference comes before spread.

    Week w is a reassessment week when ``reassess_every_weeks`` is given and w is a multiple of it or the final
    week; its last visit is a "reassessment", every other visit a "follow_up" of ``length``. Slots start on the
    15-minute grid of each working window, respect ``busy`` and ``not_before``, and each chosen visit is busy for
    the choices after it. A week that cannot hold all its visits keeps what fits and adds a message; when no slot
    is long enough for the reassessment the week gets follow-ups only and a message saying so.
    """
    first_day = _day(first_day, "first_day")
    visits_per_week = _whole(visits_per_week, "visits_per_week", 1, 7)
    weeks = _whole(weeks, "weeks", 1, MAX_WEEKS)
    if reassess_every_weeks is not None:
        reassess_every_weeks = _whole(reassess_every_weeks, "reassess_every_weeks", 1, MAX_WEEKS)
    length = _positive(length, "length")
    reassessment_length = _positive(reassessment_length, "reassessment_length")
    hours = _all_of(hours, WorkingHours, "hours")
    zone = _zone(zone)
    if not isinstance(preference, Preference):
        raise ValueError(f"preference must be a Preference, not {preference!r}")
    earliest = None if not_before is None else _utc(not_before, "not_before")
    taken = [(entry.start, entry.end) for entry in _all_of(busy, Busy, "busy")]

    proposed: list[ProposedVisit] = []
    messages: list[str] = []
    previous_day: date | None = None
    for week in range(1, weeks + 1):
        days = [first_day + timedelta(days=7 * (week - 1) + offset) for offset in range(7)]
        reassess = reassess_every_weeks is not None and (week % reassess_every_weeks == 0 or week == weeks)
        lengths = {length, reassessment_length} if reassess else {length}
        picks = _day_picks(days, lengths, hours, zone, taken, earliest, preference)
        chosen, week_picks, with_reassessment = _best_week(
            days, picks, visits_per_week, length, reassessment_length if reassess else None, previous_day
        )
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
        messages += _week_messages(
            week, len(chosen), visits_per_week, reassess and not with_reassessment, reassessment_length
        )
    return proposed, messages


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
