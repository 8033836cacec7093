"""The hip and tendon measures and the PSFS judged two ways: first against latest by the measure's MCID (the PSFS
by its MDC), and the latest score against the patient-acceptable state (PASS) where one is published.

Pure Python (no Django). DOMAIN A "Hip/tendon PROMs" and "PSFS"; B5.4 and B12.4:

- HOS ADL / Sport: MCID 9 / 6 points (S232, after arthroscopy); PASS for ADL 66 (S233, secondary, non-operative
  hip impingement); no PASS for Sport.
- iHOT-12: MCII 14 and PASS 63 in non-operative hip pain (S236), the clinic's default; 13 after arthroscopy (S235).
- VISA-G: no MCID (unverified, S239) and no PASS: the change is shown, never judged.
- PSFS: MDC 2 for the mean, 3 for one activity (S103); no PASS. An activity is compared only with the same
  activity (the patient's own words, matched regardless of case and spacing), as the PSFS re-rates the same ones.

A PASS is reached at or above its value (DOMAIN.md is silent on the edge itself: clinic default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from assessments import progress
from domain.numbers import plain
from intake.instruments import HIP_MEASURES
from intake.scoring import psfs_activity_changed

MEASURES = tuple(instrument.code for instrument in HIP_MEASURES)
PASS_KEYS = {"hos_adl": "hos_adl_pass", "ihot12": "ihot12_pass"}
NO_ACCEPTABLE_STATE = "no published acceptable-state threshold"


@dataclass(frozen=True)
class Acceptable:
    reached: bool | None  # None when the measure has no PASS
    text: str


def acceptable_state(measure: str, value: Decimal, limits: Mapping[str, Decimal]) -> Acceptable:
    """Whether ``value`` is at or above the measure's PASS from the clinic's ``limits`` (thresholds.for_clinic)."""
    if measure not in MEASURES:
        raise ValueError(f"Unknown hip measure {measure!r}")
    if measure not in PASS_KEYS:
        return Acceptable(None, NO_ACCEPTABLE_STATE)
    threshold = limits[PASS_KEYS[measure]]
    if value >= threshold:
        return Acceptable(True, f"acceptable: at or above PASS {plain(threshold)}")
    return Acceptable(False, f"not yet acceptable: below PASS {plain(threshold)}")


@dataclass(frozen=True)
class ActivityChange:
    """One PSFS activity rated at both readings."""

    name: str
    first: int
    latest: int
    direction: int  # +1 better, -1 worse, 0 within the single-activity MDC


def _activities(detail: Mapping) -> dict[str, tuple[str, int]]:
    """{matching key: (name as written, rating)} of a PSFS reading's rated activities."""
    names = detail.get("activities") or {}
    ratings = detail.get("ratings") or {}
    found = {}
    for code, rating in ratings.items():
        name = names.get(code, "")
        if isinstance(name, str) and name.strip() and isinstance(rating, int) and not isinstance(rating, bool):
            found[" ".join(name.split()).casefold()] = (" ".join(name.split()), rating)
    return found


def psfs_activity_changes(
    first: Mapping, latest: Mapping, *, psfs_mdc_single: int | Decimal
) -> tuple[ActivityChange, ...]:
    """The activities rated at both PSFS readings (their ``detail``), in the latest reading's order."""
    before = _activities(first)
    changes = []
    for key, (name, rating) in _activities(latest).items():
        if key in before:
            then = before[key][1]
            direction = psfs_activity_changed(then, rating, psfs_mdc_single=psfs_mdc_single)
            changes.append(ActivityChange(name, then, rating, direction))
    return tuple(changes)


@dataclass(frozen=True)
class Judgement:
    measure: str
    label: str
    first: progress.Reading
    latest: progress.Reading
    comparison: progress.Comparison | None  # None with a single reading
    acceptable: Acceptable
    activities: tuple[ActivityChange, ...] = ()


def judge(readings: list[progress.Reading], limits: Mapping[str, Decimal], mcid: Mapping) -> list[Judgement]:
    """A judgement per hip measure with a reading, in the measures' order.

    ``readings`` are every outcome reading of the episode in day order (``progress.in_day_order``); ``limits``
    the clinic's thresholds and ``mcid`` their keyword form (``thresholds.mcid``).
    """
    judgements = []
    for measure in MEASURES:
        own = [reading for reading in readings if reading.instrument == measure]
        if not own:
            continue
        first, latest = own[0], own[-1]
        comparison = activities = None
        if len(own) >= 2:
            comparison = progress.compare_outcome(measure, first.value, latest.value, **mcid)
            if measure == "psfs":
                activities = psfs_activity_changes(first.detail, latest.detail, psfs_mdc_single=mcid["psfs_mdc_single"])
        judgements.append(
            Judgement(
                measure=measure,
                label=progress.MEASURE_LABELS[measure],
                first=first,
                latest=latest,
                comparison=comparison,
                acceptable=acceptable_state(measure, latest.value, limits),
                activities=activities or (),
            )
        )
    return judgements
