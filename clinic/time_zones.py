"""The time zones a clinic can choose: canonical ones only (no deprecated aliases such as
"US/Central" or "EST5EDT"), grouped by area, the clinic's own country's first."""

from __future__ import annotations

import functools
import zoneinfo
from importlib import resources
from pathlib import Path

AREAS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
UTC = "UTC"


def _tab_lines(name: str) -> list[list[str]]:
    """A tz database table (zone.tab, iso3166.tab) as tab-split rows: from the tzdata package,
    else the system's zoneinfo; no rows when neither has it."""
    sources = [resources.files("tzdata.zoneinfo").joinpath(name)] if _has_tzdata() else []
    sources += [Path(directory) / name for directory in zoneinfo.TZPATH]
    for source in sources:
        try:
            text = source.read_text(encoding="utf-8")
        except OSError:
            continue
        return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return []


def _has_tzdata() -> bool:
    try:
        resources.files("tzdata.zoneinfo")
    except ModuleNotFoundError:
        return False
    return True


@functools.cache
def country_zones() -> dict[str, list[str]]:
    """Country code → its zones, in zone.tab's order (most populous region first)."""
    zones: dict[str, list[str]] = {}
    for row in _tab_lines("zone.tab"):
        if len(row) >= 3:
            zones.setdefault(row[0], []).append(row[2])
    return zones


@functools.cache
def country_names() -> dict[str, str]:
    return {row[0]: row[1] for row in _tab_lines("iso3166.tab") if len(row) >= 2}


def is_canonical(name: str, listed: set[str] | None = None) -> bool:
    """An Area/City zone (a country's zone in zone.tab, when the table is at hand), or UTC."""
    if name == UTC:
        return True
    if "/" not in name or name.split("/", 1)[0] not in AREAS:
        return False
    return not listed or name in listed


@functools.cache
def canonical_zones() -> tuple[str, ...]:
    listed = {zone for zones in country_zones().values() for zone in zones}
    return tuple(sorted(name for name in zoneinfo.available_timezones() if is_canonical(name, listed)))


def label(name: str) -> str:
    """ "America/Argentina/Buenos_Aires" reads "Argentina / Buenos Aires" under America."""
    return name.split("/", 1)[-1].replace("_", " ").replace("/", " / ")


def choices(region: str, current: str = "") -> list:
    """Grouped choices: the country of ``region`` first, then each area; a stored zone that is
    not canonical (an alias set before this list) stays on offer so the form keeps it."""
    zones = canonical_zones()
    ours = [zone for zone in country_zones().get(region, []) if zone in zones]
    grouped: list = []
    if current and current not in zones:
        grouped.append(("Current setting", [(current, current)]))
    if ours:
        grouped.append((country_names().get(region, region), [(zone, label(zone)) for zone in ours]))
    for area in AREAS:
        in_area = [(zone, label(zone)) for zone in zones if zone.startswith(f"{area}/") and zone not in ours]
        if in_area:
            grouped.append((area, in_area))
    grouped.append((UTC, UTC))
    return grouped
