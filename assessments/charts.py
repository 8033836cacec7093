"""Progress charts as SVG (matplotlib), so the same markup serves the page and, later, PDFs.

Each function takes plain series and returns an SVG string with a <title> for screen
readers; the page also shows the numbers as a table.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib

matplotlib.use("svg")  # no display, no GUI toolkit: SVG text only

from matplotlib.figure import Figure

from assessments import scoring
from domain.facts import SCORE_RANGES

SIDE_STYLE = {"left": {"color": "#1d5c7a", "marker": "o"}, "right": {"color": "#b3261e", "marker": "s"}}


# Matplotlib styles its drawing with style attributes and a <style> element; inline in a page, the
# Content-Security-Policy refuses both. The same properties as SVG presentation attributes are not
# styles in CSP's sense, and draw the same.
_STYLE_ELEMENT = re.compile(r'<style type="text/css">\*\{([^}]*)\}</style>')
_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')


def _presentation_attributes(declarations: str) -> str:
    pairs = (declaration.split(":", 1) for declaration in declarations.split(";") if ":" in declaration)
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def _svg(figure: Figure, title: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buffer.getvalue()
    everywhere = _STYLE_ELEMENT.search(svg)
    svg = _STYLE_ATTRIBUTE.sub(lambda found: _presentation_attributes(found.group(1)), _STYLE_ELEMENT.sub("", svg))
    start = svg.index("<svg")
    tag_end = svg.index(">", start) + 1
    root = _presentation_attributes(everywhere.group(1)) if everywhere else ""
    # Accessible name for the image; the XML prologue is dropped so it can be inlined in HTML.
    return f'{svg[start : tag_end - 1]}{root} role="img" aria-label="{title}">' + svg[tag_end:]


def rom_chart(rom: dict[str, dict[str, Sequence[tuple[object, int]]]]) -> str:
    figure = Figure(figsize=(9, 5.5))
    axes = figure.subplots(2, 3, sharex=False).flatten()
    for axis, motion in zip(axes, scoring.MOTIONS, strict=True):
        axis.set_title(scoring.MOTION_LABELS[motion], fontsize=10)
        for side, points in rom.get(motion, {}).items():
            if points:
                axis.plot(
                    [day for day, _ in points], [value for _, value in points], label=side.title(), **SIDE_STYLE[side]
                )
        values = [value for points in rom.get(motion, {}).values() for _, value in points]
        if values:
            # A fixed margin keeps a 2° wobble from looking like a large change.
            axis.set_ylim(min(values) - 10, max(values) + 10)
        axis.tick_params(labelsize=7)
        axis.set_ylabel("degrees", fontsize=8)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.autofmt_xdate()
    return _svg(figure, "Hip range of motion per motion over visits, left and right")


OUTCOME_LABELS = {
    "nprs": "NPRS ({}–{}, lower is better)".format(*SCORE_RANGES["nprs"]),
    "odi": "ODI % (lower is better)",
    "lefs": "LEFS ({}–{}, higher is better)".format(*SCORE_RANGES["lefs"]),
}


def outcome_chart(outcomes: dict[str, Sequence[tuple[object, object]]]) -> str:
    shown = [code for code in ("nprs", "odi", "lefs") if outcomes.get(code)]
    figure = Figure(figsize=(9, 2.8))
    axes = figure.subplots(1, max(len(shown), 1), squeeze=False)[0]
    for axis, code in zip(axes, shown, strict=False):
        points = outcomes[code]
        axis.plot([day for day, _ in points], [float(value) for _, value in points], marker="o", color="#1d5c7a")
        axis.set_title(OUTCOME_LABELS[code], fontsize=10)
        axis.tick_params(labelsize=7)
        axis.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _svg(figure, "Outcome scores over time")


def fms_profile_chart(profiles: Sequence[tuple[object, scoring.FmsResult]]) -> str:
    """Final score per FMS test at the first and the latest assessment."""
    figure = Figure(figsize=(9, 3.2))
    axis = figure.subplots()
    chosen = [profiles[0], profiles[-1]] if len(profiles) > 1 else list(profiles)
    width = 0.8 / max(len(chosen), 1)
    colours = ["#9fb3c0", "#1d5c7a"]
    for index, (day, result) in enumerate(chosen):
        finals = [test.final if test.final is not None else 0 for test in result.tests]
        positions = [number + index * width for number in range(len(result.tests))]
        axis.bar(positions, finals, width=width, label=f"{day:%Y-%m-%d}", color=colours[index % 2])
    axis.set_xticks([number + width / 2 for number in range(len(scoring.FMS_TESTS))])
    axis.set_xticklabels([test.label for test in scoring.FMS_TESTS], fontsize=7, rotation=20, ha="right")
    axis.set_ylim(0, 3)
    axis.set_yticks([0, 1, 2, 3])
    axis.set_ylabel("final score", fontsize=8)
    axis.legend(fontsize=8)
    return _svg(figure, "Functional Movement Screen profile, first and latest assessment")
