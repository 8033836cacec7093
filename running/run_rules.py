"""The runner's run log as pure rules: reading what a runner types (a duration, a distance), the
day a run may be logged for, the row of the plan's phase table the runner is in, whether a run is
the session that phase prescribes, and when the next-morning pain question goes out.

No ORM: plain values in, plain values out, so each rule is tested with a table.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_DURATION_S = 86_400
MAX_DISTANCE_KM = Decimal(300)

DURATION_HELP = "As h:mm:ss (1:05:30), mm:ss (32:10) or whole minutes (45)."
_CLOCK = re.compile(r"^(?:(\d{1,2}):)?(\d{1,3}):(\d{2})$")
_MINUTES = re.compile(r"^\d{1,4}(?:[.,]\d{1,2})?$")


def parse_duration(text: str) -> int | None:
    """Seconds from what a runner types: h:mm:ss, mm:ss or minutes (decimals allowed); None when
    it cannot be read, is zero or is longer than a day."""
    text = (text or "").strip()
    if not text or len(text) > 12:
        return None
    if (match := _CLOCK.match(text)) is not None:
        hours, minutes, seconds = int(match[1] or 0), int(match[2]), int(match[3])
        if seconds >= 60 or (match[1] is not None and minutes >= 60):
            return None
        total = hours * 3600 + minutes * 60 + seconds
    elif _MINUTES.match(text):
        total = int((Decimal(text.replace(",", ".")) * 60).to_integral_value(ROUND_HALF_UP))
    else:
        return None
    return total if 0 < total <= MAX_DURATION_S else None


def format_duration(seconds: int | None) -> str:
    """h:mm:ss (or m:ss under an hour), as a runner's watch shows it."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def km_to_m(km: Decimal) -> int:
    return int((km * 1000).to_integral_value(ROUND_HALF_UP))


def m_to_km(metres: int | None) -> Decimal | None:
    return None if metres is None else (Decimal(metres) / 1000).quantize(Decimal("0.01"), ROUND_HALF_UP)


def run_day_problem(day: datetime.date, *, today: datetime.date, opened_on: datetime.date) -> str | None:
    """Why a run cannot be logged for this local day, or None: never in the future, never before
    the episode of care began."""
    if day > today:
        return "The day of the run cannot be in the future."
    if day < opened_on:
        return f"The day of the run cannot be before your care began ({opened_on:%d %B %Y})."
    return None


def started_at(
    day: datetime.date, start: datetime.time | None, zone: zoneinfo.ZoneInfo, *, now: datetime.datetime
) -> datetime.datetime:
    """The run's start in UTC from the patient's local day and time. Without a time, local noon
    (an instant that stays on the same local day whatever the zone's offset), or now if a run
    logged this morning would otherwise start in the future."""
    if start is not None:
        return datetime.datetime.combine(day, start, tzinfo=zone).astimezone(datetime.UTC)
    noon = datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=zone).astimezone(datetime.UTC)
    return min(noon, now.astimezone(datetime.UTC))


@dataclass(frozen=True)
class Phase:
    """One row of a walk-run phase table, as much of it as the signed table gives."""

    number: int
    walk_min: Decimal | None = None
    run_min: Decimal | None = None
    distance_km: Decimal | None = None
    rpe: int | None = None

    @property
    def distance_m(self) -> int | None:
        return None if self.distance_km is None else km_to_m(self.distance_km)


def _number(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def phase_row(phases, number: int) -> Phase | None:
    """Phase ``number`` (from 1) of a signed phase table: a list of objects with any of
    ``walk_min``, ``run_min``, ``distance_km`` (or ``distance_m``) and ``rpe``. None when the
    table has no such row; a value that is missing or not a number is left out, never guessed."""
    if not isinstance(phases, list) or not 1 <= number <= len(phases) or not isinstance(phases[number - 1], dict):
        return None
    row = phases[number - 1]
    distance = _number(row.get("distance_km"))
    if distance is None and (metres := _number(row.get("distance_m"))) is not None:
        distance = metres / 1000
    rpe = _number(row.get("rpe"))
    return Phase(
        number=number,
        walk_min=_number(row.get("walk_min")),
        run_min=_number(row.get("run_min")),
        distance_km=distance,
        rpe=int(rpe) if rpe is not None and rpe <= 10 else None,
    )


def matches_phase(distance_m: int | None, phase: Phase | None, tolerance_pct: Decimal) -> bool:
    """Whether a run is the session its phase prescribes: its distance within ``tolerance_pct`` of
    the phase's (a clinic setting; a product decision). A phase without a distance, or a run
    without one, matches nothing."""
    if phase is None or phase.distance_m is None or distance_m is None or phase.distance_m == 0:
        return False
    return abs(distance_m - phase.distance_m) * 100 <= phase.distance_m * tolerance_pct


def morning_prompt_due(
    run_day: datetime.date, *, hour: int, zone: zoneinfo.ZoneInfo, now: datetime.datetime
) -> datetime.datetime | None:
    """When to ask for the next-morning pain (UTC): the day after the run at ``hour`` in the
    patient's zone, or now when that morning has begun but is not over. None once that day has
    passed: a question about "this morning" days later would be about another morning (the
    run's page still takes the answer)."""
    morning = run_day + datetime.timedelta(days=1)
    local_today = now.astimezone(zone).date()
    if local_today > morning:
        return None
    due = datetime.datetime.combine(morning, datetime.time(hour, 0), tzinfo=zone).astimezone(datetime.UTC)
    return max(due, now.astimezone(datetime.UTC))
