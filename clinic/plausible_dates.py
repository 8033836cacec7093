"""How far back and ahead a date the clinic records may be: a clinic default against typing
errors (an exam in year 1, an episode opened in year 138), not a clinical fact.

Forms, models and API serializers refuse a date before 1900 or more than ``YEARS_AHEAD`` years
after today (the fields that cannot be in the future say so themselves); the day and week views
and the free-slot API refuse to show one. The database holds a fixed window as check
constraints (``constraint`` in clinic/models.py), since a CHECK cannot read the clock.
"""

from __future__ import annotations

import datetime

EARLIEST = datetime.date(1900, 1, 1)
YEARS_AHEAD = 5
# The database's window ends before this day (exclusive).
DATABASE_END = datetime.date(2100, 1, 1)


def latest(today: datetime.date) -> datetime.date:
    """The last plausible day: ``YEARS_AHEAD`` years after today (28 February for 29 February)."""
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def problem(day: datetime.date, today: datetime.date) -> str | None:
    """Why ``day`` is not a plausible date to record, or None."""
    if day < EARLIEST:
        return "Check the year: the date is before 1900."
    if day > latest(today):
        return f"Check the year: the date is more than {YEARS_AHEAD} years ahead."
    return None
