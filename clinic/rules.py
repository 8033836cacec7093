"""Pure rules of the clinic core: plain values in, plain values out."""

from __future__ import annotations

import datetime


def episode_closed_on(status: str, closed_on: datetime.date | None, today: datetime.date) -> datetime.date | None:
    """The closing date an episode should carry: none while open, today if discharged undated."""
    if status == "open":
        return None
    return closed_on or today
