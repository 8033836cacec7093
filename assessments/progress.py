"""Progress between a baseline and a re-assessment: is a change real, and which way? (DOMAIN A; B1.4; B2.3; B5.7).

Pure Python (no Django). Each ``compare_*`` function returns a ``Comparison`` that says how the value
moved and which rule decided it, so the reason can be shown next to the numbers. A missing value
gives NOT_COMPARABLE; impossible input raises ValueError.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from assessments.scoring import (
    FMS_MAX_COMPOSITE,
    FMS_TESTS_BY_CODE,
    MOTION_LABELS,
    MOTIONS,
    ROM_DEVICES,
    ROM_MODES,
    ROM_POSITIONS,
    SIDES,
    validate_rom,
)
from domain.facts import MCID_DEFAULTS, SCORE_RANGES, THRESHOLD_DEFAULTS
from domain.numbers import plain
from intake.instruments import INSTRUMENTS
from intake.scoring import is_meaningful_change


class Change(StrEnum):
    IMPROVED = "improved"
    NO_CHANGE = "no_change"
    WORSE = "worse"
    NOT_COMPARABLE = "not_comparable"


@dataclass(frozen=True)
class Comparison:
    measure: str  # stable code, e.g. "hip_flexion_left", "fms_composite", "fms_hurdle_step", "odi"
    baseline: int | Decimal | None
    current: int | Decimal | None
    difference: int | Decimal | None  # current - baseline; None when not comparable
    change: Change
    rule: str  # human text, e.g. "change beyond MDC 5°"


def _threshold(value: object, name: str) -> int | Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{name} must be an int or Decimal, not {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} must be finite, not {value}")
    if value < 0:
        raise ValueError(f"{name} must be 0 or more, not {value}")
    return value


def _whole_in_range(value: object, name: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number {low}-{high}, not {value!r}")
    return value


def _beyond(
    measure: str,
    baseline: int | Decimal,
    current: int | Decimal,
    *,
    limit: int | Decimal,
    unit: str,
    name: str,
    higher_is_better: bool,
) -> Comparison:
    """Changed only when the difference is strictly beyond ``limit`` (a measurement error, e.g. an MDC)."""
    difference = current - baseline
    gain = difference if higher_is_better else -difference
    if gain > limit:
        change = Change.IMPROVED
    elif gain < -limit:
        change = Change.WORSE
    else:
        change = Change.NO_CHANGE
    within = "change beyond" if change != Change.NO_CHANGE else "change within"
    return Comparison(measure, baseline, current, difference, change, f"{within} {name} {plain(limit)}{unit}")


@dataclass(frozen=True)
class NotTested:
    """Whether the section was marked "not tested" at the baseline and at the latest visit."""

    baseline: bool = False
    current: bool = False

    def reason(self, missing: str) -> str:
        """Why a value is absent: a section left untested is not a measurement that went missing."""
        if self.baseline and self.current:
            return "not tested at both visits"
        if self.baseline:
            return "not tested at baseline"
        if self.current:
            return "not tested at the latest visit"
        return missing


def _not_comparable(
    measure: str, baseline: int | Decimal | None, current: int | Decimal | None, reason: str
) -> Comparison:
    return Comparison(measure, baseline, current, None, Change.NOT_COMPARABLE, f"not comparable: {reason}")


@dataclass(frozen=True)
class RomMethod:
    """How a ROM reading was taken: codes of ``scoring.ROM_POSITIONS`` (or "" = not recorded),
    ``scoring.ROM_DEVICES`` and ``scoring.ROM_MODES``."""

    position: str
    device: str
    mode: str

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("position", self.position, {"", *ROM_POSITIONS}),
            ("device", self.device, set(ROM_DEVICES)),
            ("mode", self.mode, set(ROM_MODES)),
        ):
            if value not in allowed:
                raise ValueError(f"Unknown ROM {name} {value!r}")


def _with_article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def rom_method_difference(baseline: RomMethod, current: RomMethod) -> str | None:
    """Why two ROM readings cannot be compared, in plain words; None when they were taken alike.

    DOMAIN A "ROM change" / B2.1: never compare readings taken in different positions, with different devices
    or in another mode. A position not recorded (readings from before positions were kept) may have been any
    position, so it is never taken as alike, not even with another unrecorded one (conservative: DOMAIN.md is
    silent on unrecorded positions).
    """
    reasons = []
    missing = [when for when, method in (("at baseline", baseline), ("now", current)) if not method.position]
    if missing:
        reasons.append(f"position not recorded {' and '.join(missing)}")
    elif baseline.position != current.position:
        before, after = (ROM_POSITIONS[method.position].lower() for method in (baseline, current))
        reasons.append(f"taken {before} then {after}")
    if baseline.device != current.device:
        before, after = (ROM_DEVICES[method.device].lower() for method in (baseline, current))
        reasons.append(f"measured with {_with_article(before)} then {_with_article(after)}")
    if baseline.mode != current.mode:
        before, after = (ROM_MODES[method.mode].lower() for method in (baseline, current))
        reasons.append(f"{before} then {after} range")
    return f"{', '.join(reasons)}: not comparable" if reasons else None


def compare_rom(
    motion: str,
    side: str,
    baseline: int | None,
    current: int | None,
    *,
    baseline_method: RomMethod,
    current_method: RomMethod,
    mdc: int | Decimal = THRESHOLD_DEFAULTS["rom_mdc_deg"],
    not_tested: NotTested = NotTested(),
) -> Comparison:
    """Hip ROM (whole degrees) on one side; more range is better.

    DOMAIN A "ROM change" / B2.3 (S29, S30): a change counts as real only beyond the MDC (default 5 deg,
    unverified as a universal value), and readings taken in different positions, with different devices or in
    another mode are never compared (``rom_method_difference``): the result is NOT_COMPARABLE and its rule
    says why.
    """
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")
    for value in (baseline, current):
        if value is not None:
            validate_rom(motion, value)
    limit = _threshold(mdc, "mdc")
    measure = f"hip_{motion}_{side}"
    if baseline is None or current is None:
        return _not_comparable(measure, baseline, current, not_tested.reason("a reading is missing"))
    if difference := rom_method_difference(baseline_method, current_method):
        return Comparison(measure, baseline, current, None, Change.NOT_COMPARABLE, difference)
    return _beyond(measure, baseline, current, limit=limit, unit="°", name="MDC", higher_is_better=True)


def comparable_with_latest(
    readings: Sequence[tuple[datetime.date, int, RomMethod]],
) -> tuple[list[tuple[datetime.date, int]], int]:
    """The (day, degrees) of the readings taken like the latest one, in order, and how many were left out.

    A chart line joins the points it is given, so only readings comparable with each other may share one:
    the latest reading's way of measuring decides, and readings taken another way are left out of the line.
    """
    if not readings:
        return [], 0
    latest = readings[-1][2]
    kept = [
        (day, value)
        for index, (day, value, method) in enumerate(readings)
        if index == len(readings) - 1 or rom_method_difference(method, latest) is None
    ]
    return kept, len(readings) - len(kept)


def compare_fms_total(
    baseline: int | None,
    current: int | None,
    *,
    mdc: int | Decimal = THRESHOLD_DEFAULTS["fms_total_mdc"],
    not_tested: NotTested = NotTested(),
) -> Comparison:
    """FMS composite (0-21); higher is better. Real only beyond the MDC95 of about 2.5 points (DOMAIN B1.4,
    S10 - secondary; the primary study was not identified), so with whole scores 3 points is the least change.
    """
    baseline = _whole_in_range(baseline, "baseline", 0, FMS_MAX_COMPOSITE)
    current = _whole_in_range(current, "current", 0, FMS_MAX_COMPOSITE)
    limit = _threshold(mdc, "mdc")
    if baseline is None or current is None:
        return _not_comparable("fms_composite", baseline, current, not_tested.reason("a composite is missing"))
    return _beyond("fms_composite", baseline, current, limit=limit, unit=" points", name="MDC", higher_is_better=True)


def compare_fms_test(
    code: str, baseline: int | None, current: int | None, *, not_tested: NotTested = NotTested()
) -> Comparison:
    """One FMS test's final score (0-3); higher is better.

    DOMAIN.md is silent on a change threshold for a single test: any change of the 0-3 ordinal score (one
    point or more) counts.
    """
    if code not in FMS_TESTS_BY_CODE:
        raise ValueError(f"Unknown FMS test {code!r}")
    baseline = _whole_in_range(baseline, "baseline", 0, 3)
    current = _whole_in_range(current, "current", 0, 3)
    measure = f"fms_{code}"
    if baseline is None or current is None:
        return _not_comparable(measure, baseline, current, not_tested.reason("a score is missing"))
    comparison = _beyond(measure, baseline, current, limit=0, unit="", name="", higher_is_better=True)
    rule = "any change of the 0-3 score counts" if comparison.change != Change.NO_CHANGE else "same score"
    return Comparison(measure, baseline, current, comparison.difference, comparison.change, rule)


def compare_leg_length(
    baseline_mm: int | None,
    current_mm: int | None,
    *,
    tolerance_mm: int | Decimal = THRESHOLD_DEFAULTS["lld_normal_below_mm"],
    not_tested: NotTested = NotTested(),
) -> Comparison:
    """Leg-length discrepancy in whole mm (a size, 0 or more); smaller is better.

    DOMAIN.md is silent on a change threshold for leg length. The normal-variation band is used as the
    tolerance (DOMAIN A "Leg length"; B3.2, S43: < 5 mm is normal variation), so a change of less than
    ``tolerance_mm`` is no change and a change of ``tolerance_mm`` or more counts.
    """
    for name, value in (("baseline_mm", baseline_mm), ("current_mm", current_mm)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"{name} must be a whole number of mm, 0 or more, not {value!r}")
    tolerance = _threshold(tolerance_mm, "tolerance_mm")
    measure = "leg_length_discrepancy"
    if baseline_mm is None or current_mm is None:
        return _not_comparable(measure, baseline_mm, current_mm, not_tested.reason("a measurement is missing"))
    difference = current_mm - baseline_mm
    if abs(difference) < tolerance:
        change, rule = Change.NO_CHANGE, f"change under the {plain(tolerance)} mm normal variation"
    else:
        change = Change.IMPROVED if difference < 0 else Change.WORSE
        rule = f"change of at least the {plain(tolerance)} mm normal variation"
    return Comparison(measure, baseline_mm, current_mm, difference, change, rule)


# The hip and tendon measures and the PSFS (DOMAIN A "Hip/tendon PROMs", "PSFS"; B5.4, B12.4).
HIP_MEASURE_LABELS = {
    "hos_adl": "HOS activities of daily living",
    "hos_sport": "HOS sport",
    "ihot12": "iHOT-12",
    "visag": "VISA-G",
    "psfs": "PSFS",
}
HIP_MCID_KEYS = {"hos_adl": "hos_adl_mcid", "hos_sport": "hos_sport_mcid", "ihot12": "ihot12_mcid"}
NO_MCID = "no published MCID (unverified): the change is shown, not judged"


@dataclass(frozen=True)
class Reading:
    """One outcome score and the day it describes: a visit's date, or the day an intake was submitted."""

    instrument: str
    day: datetime.date
    source: str  # where it was read, as the page names it, e.g. "Intake, 3 Dec 2026"
    value: Decimal
    at_visit: bool  # measured at an assessment rather than answered in a questionnaire
    # The score's detail where a judgement reads more than the value (the PSFS's activities and ratings).
    detail: Mapping = field(default_factory=dict, compare=False)


def in_day_order(readings: Iterable[Reading]) -> list[Reading]:
    """The readings oldest first by the day they describe, whatever order they were entered in: visits
    entered after the intake but dated before it come before it. On the same day the questionnaire comes
    first, so the clinician's own measurement that day is the later reading."""
    return sorted(readings, key=lambda reading: (reading.day, reading.at_visit))


def _outcome_value(value: object, name: str, instrument: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
        raise ValueError(f"{name} must be an int or Decimal, not {value!r}")
    low, high = SCORE_RANGES[instrument]
    if not low <= value <= high:
        raise ValueError(f"{instrument.upper()} {name} must be {low}-{high}, not {value}")
    return Decimal(value)


def _mcid_text(instrument: str, mcid: dict) -> str:
    values = {**MCID_DEFAULTS, **mcid}
    if instrument == "lefs":
        return f"MCID {plain(values['lefs_mcid'])} points"
    if instrument in HIP_MCID_KEYS:
        return f"MCID {plain(values[HIP_MCID_KEYS[instrument]])} points"
    if instrument == "psfs":
        return f"MDC {plain(values['psfs_mdc_mean'])} points for the mean"
    points = plain(values[f"{instrument}_mcid_points"])
    relative = plain(Decimal(values[f"{instrument}_mcid_relative"]) * 100)
    return f"MCID {points} points or {relative} %"


def compare_outcome(
    instrument: str, baseline: Decimal | int | None, current: Decimal | int | None, **mcid: int | Decimal
) -> Comparison:
    """An outcome score (``nprs``, ``odi`` or ``lefs``) against its MCID.

    IMPROVED per ``intake.scoring.is_meaningful_change`` (DOMAIN B5.7; S94, S97, S100); ``mcid`` takes its
    keyword arguments (e.g. ``odi_mcid_points=8``). DOMAIN B5.7 gives improvement rules only and DOMAIN.md is
    silent on worsening: applying the same rule in the bad direction for WORSE (points, or the share of the
    baseline) is a product choice.
    """
    if instrument not in SCORE_RANGES:
        raise ValueError(f"Unknown outcome instrument {instrument!r}; expected one of {', '.join(SCORE_RANGES)}")
    unknown = sorted(set(mcid) - set(MCID_DEFAULTS))
    if unknown:
        raise ValueError(f"Unknown MCID setting(s): {', '.join(unknown)}")
    baseline_value = _outcome_value(baseline, "baseline", instrument)
    current_value = _outcome_value(current, "current", instrument)
    if baseline_value is None or current_value is None:
        return _not_comparable(instrument, baseline_value, current_value, "a score is missing")
    if instrument == "visag":
        # DOMAIN B12.4 (S239): the VISA-G MCID is unverified, so its change is shown and never judged.
        difference = current_value - baseline_value
        return Comparison(instrument, baseline_value, current_value, difference, Change.NOT_COMPARABLE, NO_MCID)
    rule = _mcid_text(instrument, mcid)
    difference = current_value - baseline_value
    if is_meaningful_change(instrument, baseline_value, current_value, **mcid):
        return Comparison(
            instrument, baseline_value, current_value, difference, Change.IMPROVED, f"improvement meets {rule}"
        )
    # The worsening is tested with the same rule by mirroring the current score around the baseline: the
    # mirrored "improvement" equals the real worsening and the relative rule keeps the baseline as its base.
    mirrored = 2 * baseline_value - current_value
    if is_meaningful_change(instrument, baseline_value, mirrored, **mcid):
        return Comparison(
            instrument, baseline_value, current_value, difference, Change.WORSE, f"worsening meets {rule}"
        )
    direction = "lower" if INSTRUMENTS[instrument].better == "lower" else "higher"
    return Comparison(
        instrument,
        baseline_value,
        current_value,
        difference,
        Change.NO_CHANGE,
        f"change does not meet {rule} ({direction} is better)",
    )


def _measure_labels() -> dict[str, str]:
    """Every comparison's ``measure`` code with the words the progress page shows for it."""
    labels = {f"hip_{motion}_{side}": f"{MOTION_LABELS[motion]} {side}" for motion in MOTIONS for side in SIDES}
    labels["fms_composite"] = "FMS composite"
    labels |= {
        f"fms_{code}": f"FMS {test.label[0].lower()}{test.label[1:]}" for code, test in FMS_TESTS_BY_CODE.items()
    }
    labels["leg_length_discrepancy"] = "Leg length discrepancy"
    labels |= {instrument: instrument.upper() for instrument in SCORE_RANGES}
    labels |= HIP_MEASURE_LABELS
    return labels


MEASURE_LABELS = _measure_labels()
