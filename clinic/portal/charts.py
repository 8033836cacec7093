"""The clinician's chart of a patient's daily pain ratings from the portal (SVG, matplotlib)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from matplotlib.figure import Figure

# The assessments app's SVG writer adds the accessible name and drops the XML prologue.
from assessments.charts import _svg


def pain_chart(points: Sequence[tuple[datetime.date, int]]) -> str:
    figure = Figure(figsize=(6, 2.2))
    axis = figure.subplots()
    axis.plot([day for day, _ in points], [pain for _, pain in points], marker="o", color="#1d5c7a")
    axis.set_ylim(-0.5, 10.5)
    axis.set_yticks(range(0, 11, 2))
    axis.set_ylabel("pain 0–10", fontsize=8)
    axis.tick_params(labelsize=7)
    axis.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _svg(figure, "Daily pain logged by the patient, 0 to 10")
