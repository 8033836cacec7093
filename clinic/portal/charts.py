"""The clinician's chart of a patient's daily pain ratings from the portal (SVG)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from assessments.charts import line_chart


def pain_chart(points: Sequence[tuple[datetime.date, int]]) -> str:
    return line_chart("Daily pain logged by the patient, 0 to 10", "pain 0–10", sorted(points), y_range=(0, 10))
