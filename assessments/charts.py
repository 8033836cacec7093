"""Progress charts drawn as SVG text by plain Python, so the same markup serves the page and, later, PDFs.

Each chart function takes plain series and returns an SVG string with a <title> and an accessible
name; the page also shows the numbers as a table (``data_table``). The drawing is done here rather
than by a plotting library: a few lines, markers and labels take well under a millisecond this way,
where building the same figures with matplotlib took most of the page's seconds.

Inline in a page, the Content-Security-Policy refuses style attributes and <style> elements, so every
property is an SVG presentation attribute.

Rules of the drawing, for readers of the charts:
- a chart with a single reading shows that reading's value written out, on an axis of that one day;
- left is a solid line with round markers, right a dashed line with square markers drawn inside the
  round ones, so equal readings keep both visible; a panel says in words where left and right are equal;
- outcome scores are drawn on the questionnaire's whole range, so a small change looks small.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from assessments import scoring
from domain.facts import SCORE_RANGES
from domain.numbers import plain

LEFT_COLOUR = "#1d5c7a"
RIGHT_COLOUR = "#b3261e"
INK = "#1f2933"
GRID = "#d5dde3"
FONT = 'font-family="system-ui, sans-serif"'

# A panel: its size and the room kept for its title (top), value labels (left) and date labels (bottom).
PANEL_WIDTH, PANEL_HEIGHT = 300, 190
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 14, 36, 40
MIN_TICK_GAP = 38  # px between date labels, so "12 Dec" and "14 Dec" never overprint

Point = tuple[datetime.date, int | float | Decimal]


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[Point]
    colour: str = LEFT_COLOUR
    marker: str = "circle"  # "circle" (hollow, larger) or "square" (filled, smaller)
    dashed: bool = False


def side_series(side: str, points: Sequence[Point]) -> Series:
    if side == "left":
        return Series("Left", points)
    return Series("Right", points, colour=RIGHT_COLOUR, marker="square", dashed=True)


def _number(value: int | float | Decimal) -> str:
    # Stored scores carry three decimals (ODI 42.222); one is what people read.
    return plain(Decimal(str(value)).quantize(Decimal("0.1")))


def _day(day: datetime.date) -> str:
    return f"{day.day} {day:%b}"


def _years(days: Sequence[datetime.date]) -> str:
    first, last = min(days).year, max(days).year
    return str(first) if first == last else f"{first}–{last}"


def _step(span: float) -> float:
    """A round tick step giving at most six ticks over ``span``."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if span / step <= 6:
            return step
    return 200


def _value_ticks(low: float, high: float) -> list[float]:
    step = _step(high - low)
    tick = (low // step) * step
    ticks = []
    while tick <= high:
        if tick >= low:
            ticks.append(tick)
        tick += step
    return ticks


def _text(x: float, y: float, words: str, *, size: int = 10, anchor: str = "middle", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{INK}" {FONT}{extra}>'
        f"{escape(words)}</text>"
    )


def _marker(series: Series, x: float, y: float) -> str:
    if series.marker == "square":
        return f'<rect x="{x - 2.5:.1f}" y="{y - 2.5:.1f}" width="5" height="5" fill="{series.colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#ffffff" stroke="{series.colour}" stroke-width="2"/>'


def equal_days(first: Series, second: Series) -> list[datetime.date]:
    """The days on which both series have the same value (their markers overlap)."""
    values = dict(second.points)
    return [day for day, value in first.points if day in values and values[day] == value]


def _equal_note(series: Sequence[Series]) -> str:
    if len(series) != 2:
        return ""
    days = equal_days(*series)
    if not days:
        return ""
    if len(days) == len(series[0].points) == len(series[1].points):
        return "left and right equal"
    return "left and right equal on " + ", ".join(_day(day) for day in days)


def _panel(
    title: str, y_label: str, series: Sequence[Series], y_range: tuple[float, float] | None, unit: str = ""
) -> str:
    """One line panel at the origin, PANEL_WIDTH x PANEL_HEIGHT."""
    plotted = [line for line in series if line.points]
    parts = [_text(PANEL_WIDTH / 2, 14, title, size=11, extra=' font-weight="bold"')]
    left, right = MARGIN_LEFT, PANEL_WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, PANEL_HEIGHT - MARGIN_BOTTOM
    parts.append(
        _text(11, (top + bottom) / 2, y_label, size=9, extra=f' transform="rotate(-90 11 {(top + bottom) / 2})"')
    )
    if not plotted:
        parts.append(_text(PANEL_WIDTH / 2, (top + bottom) / 2, "not measured", size=10))
        return "".join(parts)
    values = [float(value) for line in plotted for _, value in line.points]
    # A fixed margin keeps a 2° wobble from looking like a large change.
    low, high = y_range or (min(values) - 10, max(values) + 10)
    days = sorted({day for line in plotted for day, _ in line.points})
    first, last = days[0].toordinal(), days[-1].toordinal()

    def x_of(day: datetime.date) -> float:
        if first == last:  # one day: the reading in the middle, not on an invented span of years
            return (left + right) / 2
        inset = 0.08 * (right - left)
        return left + inset + (day.toordinal() - first) / (last - first) * (right - left - 2 * inset)

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    for tick in _value_ticks(low, high):
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(left - 4, y + 3, _number(tick), size=9, anchor="end"))
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{INK}" stroke-width="1"/>')
    shown_at = None
    for day in days:
        x = x_of(day)
        if shown_at is None or x - shown_at >= MIN_TICK_GAP:
            parts.append(f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" stroke="{INK}"/>')
            parts.append(_text(x, bottom + 15, _day(day), size=9))
            shown_at = x
    parts.append(_text((left + right) / 2, bottom + 31, f"visit date ({_years(days)})", size=9))
    for line in plotted:
        coordinates = [(x_of(day), y_of(float(value))) for day, value in line.points]
        if len(coordinates) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
            dash = ' stroke-dasharray="6 4"' if line.dashed else ""
            parts.append(f'<polyline points="{path}" fill="none" stroke="{line.colour}" stroke-width="2"{dash}/>')
        parts.extend(_marker(line, x, y) for x, y in coordinates)
    if len(days) == 1:
        # A single reading is a fact, not a trend: its value is written beside it.
        taken: list[float] = []
        for line in plotted:
            x, y = x_of(line.points[0][0]), y_of(float(line.points[0][1])) + 4
            while any(abs(y - other) < 12 for other in taken):  # equal or close values: one line lower
                y += 12
            taken.append(y)
            words = f"{line.label}: " if len(plotted) > 1 else ""
            parts.append(_text(x + 10, y, f"{words}{_number(line.points[0][1])}{unit}", size=11, anchor="start"))
    note = _equal_note(plotted)
    if note:
        parts.append(_text(right, top - 6, note, size=9, anchor="end", extra=' font-style="italic"'))
    return "".join(parts)


def _legend(series: Sequence[Series], y: float) -> str:
    parts, x = [], MARGIN_LEFT
    for line in series:
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        parts.append(f'<line x1="{x}" y1="{y}" x2="{x + 28}" y2="{y}" stroke="{line.colour}" stroke-width="2"{dash}/>')
        parts.append(_marker(line, x + 14, y))
        parts.append(_text(x + 34, y + 4, line.label, size=10, anchor="start"))
        x += 110
    return "".join(parts)


def _svg(title: str, width: float, height: float, body: str) -> str:
    name = escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="{name}"><title>{name}</title>{body}</svg>'
    )


def _grid(title: str, panels: Sequence[str], columns: int, legend: Sequence[Series] = ()) -> str:
    legend_height = 24 if legend else 0
    rows = -(-len(panels) // columns)
    body = [_legend(legend, 12)] if legend else []
    for index, panel in enumerate(panels):
        x, y = (index % columns) * PANEL_WIDTH, legend_height + (index // columns) * PANEL_HEIGHT
        body.append(f'<g transform="translate({x} {y})">{panel}</g>')
    width = PANEL_WIDTH * min(columns, max(len(panels), 1))
    return _svg(title, width, legend_height + rows * PANEL_HEIGHT, "".join(body))


def line_chart(title: str, y_label: str, points: Sequence[Point], *, y_range: tuple[float, float] | None = None) -> str:
    """One series in one panel (e.g. the daily pain a patient logs)."""
    return _grid(title, [_panel("", y_label, [Series(y_label, points)], y_range)], columns=1)


def rom_chart(rom: Mapping[str, Mapping[str, Sequence[Point]]]) -> str:
    """Hip ROM: one panel per motion, left and right."""
    panels = [
        _panel(
            scoring.MOTION_LABELS[motion],
            "degrees",
            [side_series(side, rom.get(motion, {}).get(side, ())) for side in scoring.SIDES],
            None,
            "°",
        )
        for motion in scoring.MOTIONS
    ]
    legend = [side_series(side, ()) for side in scoring.SIDES]
    return _grid("Hip range of motion per motion over visits, left and right", panels, columns=3, legend=legend)


OUTCOME_ORDER = ("nprs", "odi", "lefs")
OUTCOME_LABELS = {
    "nprs": "NPRS ({}–{}, lower is better)".format(*SCORE_RANGES["nprs"]),
    "odi": "ODI % (lower is better)",
    "lefs": "LEFS ({}–{}, higher is better)".format(*SCORE_RANGES["lefs"]),
}
OUTCOME_UNITS = {"odi": " %"}
# The hip and tendon measures and the PSFS (DOMAIN B5.4, B12.4): one panel each, all higher-is-better.
OUTCOME_ORDER += ("hos_adl", "hos_sport", "ihot12", "visag", "psfs")
OUTCOME_LABELS |= {
    "hos_adl": "HOS activities of daily living % (higher is better)",
    "hos_sport": "HOS sport % (higher is better)",
    "ihot12": "iHOT-12 (0–100, higher is better)",
    "visag": "VISA-G (0–100, higher is better)",
    "psfs": "PSFS (0–10, higher is better)",
}
OUTCOME_UNITS |= {"hos_adl": " %", "hos_sport": " %"}
OUTCOME_SHORT = {"hos_adl": "HOS ADL", "hos_sport": "HOS sport", "ihot12": "iHOT-12", "visag": "VISA-G"}


def charted_outcomes(outcomes: Mapping[str, Sequence[Point]]) -> list[str]:
    """Every scored outcome, in the page's order: nothing scored is left out of the chart."""
    return [code for code in OUTCOME_ORDER if outcomes.get(code)] + sorted(
        code for code in outcomes if code not in OUTCOME_ORDER and outcomes[code]
    )


def outcome_chart(outcomes: Mapping[str, Sequence[Point]]) -> str:
    """One panel per scored questionnaire, each on its whole score range."""
    panels = [
        _panel(
            OUTCOME_LABELS.get(code, code.upper()),
            "score",
            [Series(OUTCOME_SHORT.get(code, code.upper()), outcomes[code])],
            SCORE_RANGES.get(code),
            OUTCOME_UNITS.get(code, ""),
        )
        for code in charted_outcomes(outcomes)
    ]
    if not panels:
        panels = [_panel("No questionnaire scored", "score", [], None)]
    return _grid("Outcome scores over time", panels, columns=3)


FMS_COLOURS = ("#9fb3c0", LEFT_COLOUR)


def fms_profile_chart(profiles: Sequence[tuple[datetime.date, scoring.FmsResult]]) -> str:
    """Final score per FMS test at the first and the latest assessment."""
    chosen = [profiles[0], profiles[-1]] if len(profiles) > 1 else list(profiles)
    width, height = 3 * PANEL_WIDTH, 250
    left, right, top, bottom = MARGIN_LEFT, width - MARGIN_RIGHT, 34, height - 70
    parts = []
    for score in range(4):
        y = bottom - score / 3 * (bottom - top)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(left - 4, y + 3, str(score), size=9, anchor="end"))
    parts.append(
        _text(11, (top + bottom) / 2, "final score", size=9, extra=f' transform="rotate(-90 11 {(top + bottom) / 2})"')
    )
    slot = (right - left) / len(scoring.FMS_TESTS)
    bar = slot * 0.8 / max(len(chosen), 1)
    for index, (day, result) in enumerate(chosen):
        colour = FMS_COLOURS[index % 2] if len(chosen) > 1 else LEFT_COLOUR
        legend_x = left + index * 140
        parts.append(f'<rect x="{legend_x}" y="8" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(legend_x + 18, 18, f"{day:%Y-%m-%d}", size=10, anchor="start"))
        for number, test in enumerate(result.tests):
            x = left + number * slot + slot * 0.1 + index * bar
            if test.final is None:
                parts.append(_text(x + bar / 2, bottom - 4, "–", size=10))
                continue
            y = bottom - test.final / 3 * (bottom - top)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{bottom - y:.1f}" fill="{colour}"/>'
            )
            if test.final == 0:
                parts.append(_text(x + bar / 2, bottom - 4, "0", size=9))
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{INK}" stroke-width="1"/>')
    for number, test in enumerate(scoring.FMS_TESTS):
        x = left + (number + 0.5) * slot
        parts.append(
            _text(
                x,
                bottom + 14,
                test.label,
                size=9,
                anchor="end",
                extra=f' transform="rotate(-20 {x:.1f} {bottom + 14})"',
            )
        )
    return _svg("Functional Movement Screen profile, first and latest assessment", width, height, "".join(parts))


@dataclass(frozen=True)
class DataTable:
    """A chart's numbers as a table: one row per measure, one column per day ("" where not measured)."""

    days: list[datetime.date]
    rows: list[tuple[str, list[str]]]


def data_table(measures: Mapping[str, Sequence[Point]], unit: str = "") -> DataTable:
    days = sorted({day for points in measures.values() for day, _ in points})
    rows = []
    for label, points in measures.items():
        if points:
            by_day = {day: f"{_number(value)}{unit}" for day, value in points}
            rows.append((label, [by_day.get(day, "") for day in days]))
    return DataTable(days, rows)


def rom_table(rom: Mapping[str, Mapping[str, Sequence[Point]]]) -> DataTable:
    return data_table(
        {
            f"{scoring.MOTION_LABELS[motion]} {side}": rom.get(motion, {}).get(side, ())
            for motion in scoring.MOTIONS
            for side in scoring.SIDES
        },
        "°",
    )


def outcome_table(outcomes: Mapping[str, Sequence[Point]]) -> DataTable:
    return data_table({OUTCOME_SHORT.get(code, code.upper()): outcomes[code] for code in charted_outcomes(outcomes)})


def fms_table(profiles: Sequence[tuple[datetime.date, scoring.FmsResult]]) -> DataTable:
    measures: dict[str, list[Point]] = {test.label: [] for test in scoring.FMS_TESTS}
    for day, result in profiles:
        for test in result.tests:
            if test.final is not None:
                measures[test.label].append((day, test.final))
    return data_table(measures)
