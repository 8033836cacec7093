"""Is a new device file a run the patient already has? (DOMAIN A "Import pitfalls"; B11.2)

- exact: the same bytes (SHA-256) for the same patient: refused at upload.
- probable: the same patient, times that overlap and a similar distance, or the same FIT
  ``file_id`` (our choice of key, not a manufacturer rule): the same run exported twice, as FIT
  and as GPX, or logged by hand and uploaded too. The clinician decides; nothing is merged or
  dropped by the program. The tolerances are clinic settings with no published value.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class RunSpan:
    """A run as the match sees it: when it started, how long it lasted, how far it went."""

    key: int
    started_at: datetime.datetime
    seconds: int
    distance_m: int | None
    file_identity: tuple | None = None


def overlaps(a: RunSpan, b: RunSpan, *, tolerance: datetime.timedelta) -> bool:
    """The two runs' times overlap, each widened by ``tolerance`` on both sides (a hand-logged
    start is seldom to the minute)."""
    a_end = a.started_at + datetime.timedelta(seconds=a.seconds)
    b_end = b.started_at + datetime.timedelta(seconds=b.seconds)
    return a.started_at - tolerance <= b_end and b.started_at - tolerance <= a_end


def similar_distance(a: int | None, b: int | None, *, tolerance_pct: Decimal) -> bool:
    """Within ``tolerance_pct`` % of the longer; a run without a distance matches on time alone."""
    if a is None or b is None:
        return True
    longer = max(a, b)
    if longer == 0:
        return True
    return Decimal(abs(a - b)) * 100 <= tolerance_pct * longer


def probable_duplicates(
    new: RunSpan, existing: Iterable[RunSpan], *, start_tolerance_minutes: Decimal, distance_tolerance_pct: Decimal
) -> list[int]:
    """The keys of ``existing`` runs (the same patient's) that ``new`` is probably a copy of."""
    tolerance = datetime.timedelta(minutes=float(start_tolerance_minutes))
    found = []
    for other in existing:
        same_file = new.file_identity is not None and new.file_identity == other.file_identity
        same_run = overlaps(new, other, tolerance=tolerance) and similar_distance(
            new.distance_m, other.distance_m, tolerance_pct=distance_tolerance_pct
        )
        if same_file or same_run:
            found.append(other.key)
    return found
