"""Hip range of motion, the Functional Movement Screen and leg length (DOMAIN A; B1; B2; B3).

Pure Python (no Django). Rules read raw values (whole degrees, mm, FMS raw scores 0-3), so a clinic
can change a threshold without a data migration (DOMAIN B conventions). Every threshold is a
keyword argument whose default is DOMAIN's. Impossible input raises ValueError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from domain.facts import THRESHOLD_DEFAULTS

SIDES = ("left", "right")

# --- Hip range of motion ----------------------------------------------------------------------------

MOTIONS = ("flexion", "extension", "abduction", "adduction", "internal_rotation", "external_rotation")

MOTION_LABELS: dict[str, str] = {
    "flexion": "Hip flexion",
    "extension": "Hip extension",
    "abduction": "Hip abduction",
    "adduction": "Hip adduction",
    "internal_rotation": "Hip internal rotation",
    "external_rotation": "Hip external rotation",
}

# Inclusive bounds, in whole degrees, used only to REJECT values no hip can show (typing errors such as
# 1200 for 120). DOMAIN.md is silent on plausible ranges: these are generous physiological bounds, well
# beyond every norm in DOMAIN B2.1, so that no real reading is refused. Extension may be negative: a
# flexion contracture (active adults with chronic LBP averaged -4.2 deg of passive extension, DOMAIN B2.1, S34).
PLAUSIBLE_ROM: dict[str, tuple[int, int]] = {
    "flexion": (0, 160),
    "extension": (-30, 60),
    "abduction": (0, 90),
    "adduction": (0, 60),
    "internal_rotation": (0, 90),
    "external_rotation": (0, 90),
}

NORM_SETS = ("aaos", "roach_miles")


@dataclass(frozen=True)
class Norm:
    motion: str
    value: int  # whole degrees
    source: str  # stored with every norm (DOMAIN B2.1: the AAOS-attributed sets are not interchangeable)
    verified: bool  # False: show as "unverified" and let a clinic edit it (DOMAIN preamble)


# DOMAIN A "Hip ROM norms" / B2.1 (S20): the AAOS handbook single values, the default norm set. The source
# is shown with every norm, so it reads as the citation (S20's title), not the reference's id.
AAOS_SOURCE = "AAOS normal hip ROM (Goniometer.io)"
AAOS_NORMS: dict[str, Norm] = {
    motion: Norm(motion, value, AAOS_SOURCE, verified=True)
    for motion, value in (
        ("flexion", 120),
        ("extension", 30),
        ("abduction", 45),
        ("adduction", 30),
        ("internal_rotation", 45),
        ("external_rotation", 45),
    )
}


def _roach_miles_band(low: int, high: int, values: tuple[int, int, int, int, int]) -> dict[str, Norm]:
    source = f"Roach & Miles 1991, ages {low}–{high} (unverified)"
    motions = ("flexion", "extension", "abduction", "internal_rotation", "external_rotation")
    return {motion: Norm(motion, value, source, verified=False) for motion, value in zip(motions, values, strict=True)}


# DOMAIN B2.1 and B10 item 1: Roach & Miles age bands, "unverified - recalled, not retrieved"; an optional
# set only, every norm marked verified=False. Adduction was not measured. Keys are inclusive age bounds.
ROACH_MILES_BANDS: dict[tuple[int, int], dict[str, Norm]] = {
    (25, 39): _roach_miles_band(25, 39, (122, 22, 44, 33, 34)),
    (40, 59): _roach_miles_band(40, 59, (120, 18, 42, 31, 32)),
    (60, 74): _roach_miles_band(60, 74, (118, 17, 39, 30, 29)),
}


def _check_motion(motion: object) -> str:
    if motion not in MOTIONS:
        raise ValueError(f"Unknown hip motion {motion!r}; expected one of {', '.join(MOTIONS)}")
    return str(motion)


def _number(value: object, name: str, *, minimum: int | Decimal = 0, allow_equal: bool = True) -> int | Decimal:
    """A threshold: an int or finite Decimal (clinic thresholds are stored as Decimals), not below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{name} must be an int or Decimal, not {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} must be finite, not {value}")
    if value < minimum or (not allow_equal and value == minimum):
        relation = "at least" if allow_equal else "above"
        raise ValueError(f"{name} must be {relation} {minimum}, not {value}")
    return value


def _whole(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return value


def norm_for(motion: str, *, age: int | None, sex: str | None, norm_set: str = "aaos") -> Norm | None:
    """The norm for ``motion`` in ``norm_set``; None when the set has no value for this motion or age.

    "aaos" (default): the AAOS single values, whatever the age. "roach_miles": the band that holds
    ``age``; None for an unknown age, an age outside 25-74, or adduction (not measured).
    ``sex`` is accepted but unused: DOMAIN.md gives no sex-specific values (B2.1 says women are more
    mobile, S23, but the CDC rows were not extracted), so no norm depends on it yet.
    """
    _check_motion(motion)
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or age < 0):
        raise ValueError(f"age must be a whole number of years, not {age!r}")
    if norm_set == "aaos":
        return AAOS_NORMS[motion]
    if norm_set == "roach_miles":
        if age is None:
            return None
        # Outside the bands there is no norm: the all-ages column of DOMAIN B2.1 is not used as a fallback
        # (product choice; DOMAIN.md is silent on what to do outside the bands).
        for (low, high), norms in ROACH_MILES_BANDS.items():
            if low <= age <= high:
                return norms.get(motion)
        return None
    raise ValueError(f"Unknown norm set {norm_set!r}; expected one of {', '.join(NORM_SETS)}")


def validate_rom(motion: str, value: int) -> int:
    """``value`` (whole degrees) if plausible for ``motion``; ValueError otherwise."""
    _check_motion(motion)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{MOTION_LABELS[motion]} must be a whole number of degrees, not {value!r}")
    low, high = PLAUSIBLE_ROM[motion]
    if not low <= value <= high:
        raise ValueError(f"{MOTION_LABELS[motion]} of {value}° is not plausible (expected {low}° to {high}°)")
    return value


# How a reading was taken (DOMAIN B2.1 model implication): rotation depends on the position (S25, S26), so
# every reading keeps its position and device, and readings are compared only like with like.
ROM_POSITIONS: dict[str, str] = {"seated": "Seated", "supine": "Supine", "prone": "Prone", "side_lying": "Side-lying"}
ROM_DEVICES: dict[str, str] = {"goniometer": "Goniometer", "inclinometer": "Inclinometer"}
ROM_MODES: dict[str, str] = {"active": "Active", "passive": "Passive"}

# The position a motion is measured in unless the clinician records another: DOMAIN B2.1's typical test
# position. For rotation DOMAIN gives "seated or supine, hip & knee 90° (or prone, hip extended)"; the clinic
# default is prone, the position the JOSPT 2012 low back pain guideline recommends for rotation (S33).
DEFAULT_POSITIONS: dict[str, str] = {
    "flexion": "supine",
    "extension": "prone",
    "abduction": "supine",
    "adduction": "supine",
    "internal_rotation": "prone",
    "external_rotation": "prone",
}


@dataclass(frozen=True)
class RomReading:
    motion: str
    left: int | None  # whole degrees; None = not measured
    right: int | None
    left_painful: bool = False
    right_painful: bool = False
    # Both sides of a motion are measured alike, so one position and device serve the row: the
    # side-to-side comparison always compares like with like. "" = not recorded (readings from before
    # positions were kept).
    position: str = ""
    device: str = ""


@dataclass(frozen=True)
class RomResult:
    motion: str
    left: int | None
    right: int | None
    norm: Norm | None
    left_below_norm: bool
    right_below_norm: bool
    asymmetry: int | None  # abs(left - right); None unless both sides were measured
    asymmetric: bool


def rom_result(
    reading: RomReading,
    *,
    norm: Norm | None,
    asymmetry_threshold: int | Decimal = THRESHOLD_DEFAULTS["rom_asymmetry_deg"],
    mdc: int | Decimal = THRESHOLD_DEFAULTS["rom_mdc_deg"],
    below_norm_margin: int | Decimal | None = None,
) -> RomResult:
    """Compare one motion with its norm and the other side.

    Asymmetric when abs(L - R) >= ``asymmetry_threshold`` AND > ``mdc`` (DOMAIN A "ROM asymmetry";
    B2.2, S27 Ellison's 10 deg equality band; B2.3, S29 MDC). Below norm when the value is under
    ``norm.value - below_norm_margin``. DOMAIN compares readings with the norm (B2.1, S20), but DOMAIN.md
    is silent on a margin: it defaults to the MDC so that only a shortfall larger than the measurement error is
    flagged, not noise.
    """
    motion = _check_motion(reading.motion)
    if norm is not None and norm.motion != motion:
        raise ValueError(f"Norm for {norm.motion!r} given for a {motion!r} reading")
    for side in SIDES:
        value = getattr(reading, side)
        if value is not None:
            validate_rom(motion, value)
    threshold = _number(asymmetry_threshold, "asymmetry_threshold", allow_equal=False)
    mdc = _number(mdc, "mdc")
    margin = mdc if below_norm_margin is None else _number(below_norm_margin, "below_norm_margin")

    def below(value: int | None) -> bool:
        return norm is not None and value is not None and value < norm.value - margin

    asymmetry = abs(reading.left - reading.right) if reading.left is not None and reading.right is not None else None
    return RomResult(
        motion=motion,
        left=reading.left,
        right=reading.right,
        norm=norm,
        left_below_norm=below(reading.left),
        right_below_norm=below(reading.right),
        asymmetry=asymmetry,
        asymmetric=asymmetry is not None and asymmetry >= threshold and asymmetry > mdc,
    )


# --- Functional Movement Screen ---------------------------------------------------------------------


class FmsTest(NamedTuple):
    code: str
    label: str
    bilateral: bool
    clearing: str | None  # code of the attached clearing test (FMS_CLEARING_TESTS), if any


# DOMAIN B1.1 (S8, S9): the seven patterns in order; five bilateral. B1.2 (S1, S2, S4, S5): clearing tests.
FMS_TESTS: tuple[FmsTest, ...] = (
    FmsTest("deep_squat", "Deep squat", False, None),
    FmsTest("hurdle_step", "Hurdle step", True, None),
    FmsTest("inline_lunge", "In-line lunge", True, None),
    FmsTest("shoulder_mobility", "Shoulder mobility", True, "shoulder_clearing"),
    FmsTest("active_straight_leg_raise", "Active straight-leg raise", True, None),
    FmsTest("trunk_stability_pushup", "Trunk stability push-up", False, "spinal_extension_clearing"),
    FmsTest("rotary_stability", "Rotary stability", True, "spinal_flexion_clearing"),
)
FMS_TESTS_BY_CODE: dict[str, FmsTest] = {test.code: test for test in FMS_TESTS}

FMS_CLEARING_TESTS: tuple[tuple[str, str], ...] = (
    ("shoulder_clearing", "Shoulder clearing test"),
    ("spinal_extension_clearing", "Spinal extension clearing test"),
    ("spinal_flexion_clearing", "Spinal flexion clearing test"),
)
FMS_CLEARING_LABELS: dict[str, str] = dict(FMS_CLEARING_TESTS)

# The raw input is one flat mapping: a test scored once is keyed by its code ("deep_squat"); a bilateral
# test by its code plus "_left" / "_right" ("hurdle_step_left"). This matches one stored column per side.
FMS_RAW_KEYS: tuple[str, ...] = tuple(
    key
    for test in FMS_TESTS
    for key in ((f"{test.code}_left", f"{test.code}_right") if test.bilateral else (test.code,))
)

FMS_MAX_COMPOSITE = 21

# DOMAIN A "FMS" / B1.4 (S14, S15, S17): how the composite flag must be worded wherever it is shown.
LOW_COMPOSITE_CAUTION = (
    "A composite at or below the cut-off is a screening cue about movement quality only. "
    "It is not a diagnosis and does not predict injury."
)


@dataclass(frozen=True)
class FmsTestResult:
    code: str
    label: str
    bilateral: bool
    score: int | None  # raw score of a test scored once; None for bilateral tests
    left: int | None  # raw scores of a bilateral test; None for tests scored once
    right: int | None
    clearing_painful: bool  # the attached clearing test was painful (zeroes the test)
    final: int | None  # the score that counts; None when the test is incomplete
    asymmetric: bool  # bilateral raw scores differ
    raw_pain: bool  # a raw score of 0 (pain during the pattern)

    @property
    def painful(self) -> bool:
        return self.raw_pain or self.clearing_painful


@dataclass(frozen=True)
class FmsResult:
    tests: tuple[FmsTestResult, ...]  # in FMS_TESTS order
    composite: int | None  # 0-21; None unless every test has a final score
    low_composite_cutoff: int
    any_pain: bool
    any_asymmetry: bool
    any_one: bool
    low_composite: bool  # composite <= cutoff: a screening cue only (LOW_COMPOSITE_CAUTION)

    @property
    def by_code(self) -> dict[str, FmsTestResult]:
        return {test.code: test for test in self.tests}


def _fms_raw(value: object, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3:
        raise ValueError(f"FMS {key}: raw score must be 0, 1, 2 or 3, not {value!r}")
    return value


def fms_result(
    raw: Mapping[str, int | None],
    clearing_painful: Mapping[str, bool | None],
    *,
    low_composite_cutoff: int | Decimal = THRESHOLD_DEFAULTS["fms_low_composite"],
) -> FmsResult:
    """Score the FMS from raw scores (keys: ``FMS_RAW_KEYS``; 0-3 or None) and clearing tests.

    ``clearing_painful`` maps a clearing code (``FMS_CLEARING_TESTS``) to True when painful on either
    side (the shoulder clearing test is done per side, DOMAIN B1.2; one answer covers both). False, None
    or a missing key zeroes nothing: DOMAIN.md is silent on a clearing test that was not done.
    """
    unknown = sorted(set(raw) - set(FMS_RAW_KEYS))
    if unknown:
        raise ValueError(f"Unknown FMS score(s): {', '.join(unknown)}")
    unknown = sorted(set(clearing_painful) - set(FMS_CLEARING_LABELS))
    if unknown:
        raise ValueError(f"Unknown FMS clearing test(s): {', '.join(unknown)}")
    for code, value in clearing_painful.items():
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"{code}: must be True, False or None, not {value!r}")
    cutoff = int(_number(low_composite_cutoff, "low_composite_cutoff"))
    if cutoff != low_composite_cutoff or cutoff > FMS_MAX_COMPOSITE:
        raise ValueError(
            f"low_composite_cutoff must be a whole number 0-{FMS_MAX_COMPOSITE}, not {low_composite_cutoff}"
        )

    results = []
    for test in FMS_TESTS:
        # DOMAIN B1.3 (S10 secondary; S1-S4, S18): lower side counts; raw 0 = pain; asymmetric when sides differ.
        if test.bilateral:
            score = None
            left = _fms_raw(raw.get(f"{test.code}_left"), f"{test.code}_left")
            right = _fms_raw(raw.get(f"{test.code}_right"), f"{test.code}_right")
            sides = (left, right)
            final = min(left, right) if left is not None and right is not None else None
            asymmetric = left is not None and right is not None and left != right
        else:
            score = _fms_raw(raw.get(test.code), test.code)
            left = right = None
            sides = (score,)
            final = score
            asymmetric = False
        # DOMAIN B1.2 / B1.3 (S1, S3, S4, S2): a painful attached clearing test makes the test 0. The score
        # is then 0 even when the raw score was not entered, since pain alone decides it.
        cleared = test.clearing is not None and clearing_painful.get(test.clearing) is True
        if cleared:
            final = 0
        results.append(
            FmsTestResult(
                code=test.code,
                label=test.label,
                bilateral=test.bilateral,
                score=score,
                left=left,
                right=right,
                clearing_painful=cleared,
                final=final,
                asymmetric=asymmetric,
                raw_pain=any(value == 0 for value in sides),
            )
        )

    finals = [test.final for test in results]
    # A composite of fewer than seven tests would read as a low score, so an incomplete screen has no
    # composite (DOMAIN.md is silent on missing tests) and no low-composite flag.
    scored = [value for value in finals if value is not None]
    composite = sum(scored) if len(scored) == len(finals) else None
    return FmsResult(
        tests=tuple(results),
        composite=composite,
        low_composite_cutoff=cutoff,
        # DOMAIN A "FMS" / B1.3: any pain, any asymmetry, any score of 1, composite <= 14 (configurable).
        any_pain=any(test.painful for test in results),
        any_asymmetry=any(test.asymmetric for test in results),
        any_one=any(value == 1 for value in finals),
        low_composite=composite is not None and composite <= cutoff,
    )


# --- Leg length --------------------------------------------------------------------------------------

# Inclusive bounds in mm used only to REJECT typing errors (e.g. cm entered as mm). DOMAIN.md is silent on
# plausible leg lengths: generous adult bounds for ASIS- or umbilicus-to-malleolus tape measures.
PLAUSIBLE_LEG_LENGTH_MM = (400, 1300)

LLD_BANDS = ("normal", "minor", "significant")
LLD_BAND_LABELS: dict[str, str] = {
    "normal": "normal variation",
    "minor": "minor – interpret with symptoms",
    "significant": "significant",
}
# "unclassified": a true difference at or above the threshold with no apparent lengths measured, so the
# B3.1 table cannot tell structural from mixed (DOMAIN.md is silent on this case). It is deliberately not
# "structural": a heel lift needs a confirmed structural discrepancy (DOMAIN A "Heel lift"; B3.3).
LLD_INTERPRETATIONS = ("none", "structural", "functional", "mixed", "unclassified")
LLD_INTERPRETATION_LABELS: dict[str, str] = {
    "none": "no meaningful discrepancy",
    "structural": "structural",
    "functional": "functional / apparent (look at pelvis, hip contracture, spine)",
    "mixed": "mixed – clinician review",
    "unclassified": "structural or mixed – apparent lengths not measured",
}


@dataclass(frozen=True)
class LegLengthResult:
    true_left_mm: int
    true_right_mm: int
    apparent_left_mm: int | None
    apparent_right_mm: int | None
    true_difference_mm: int  # abs(left - right), DOMAIN B conventions
    apparent_difference_mm: int | None
    discrepancy_mm: int  # the difference the band and label use (see leg_length_result)
    short_side: str | None  # "left" | "right" | None (equal)
    band: str  # LLD_BANDS
    interpretation: str  # LLD_INTERPRETATIONS

    @property
    def band_label(self) -> str:
        return LLD_BAND_LABELS[self.band]

    @property
    def interpretation_label(self) -> str:
        return LLD_INTERPRETATION_LABELS[self.interpretation]


def leg_length_band(
    difference_mm: int,
    *,
    normal_below_mm: int | Decimal = THRESHOLD_DEFAULTS["lld_normal_below_mm"],
    significant_from_mm: int | Decimal = THRESHOLD_DEFAULTS["lld_significant_from_mm"],
) -> str:
    """DOMAIN A "Leg length" / B3.2 (S43, S46): < 5 mm normal; 5-19 mm minor; >= 20 mm significant.

    The bands are a synthesis, not a published classification (B3.2), hence configurable.
    """
    difference_mm = _whole(difference_mm, "difference_mm")
    if difference_mm < 0:
        raise ValueError(f"difference_mm must be 0 or more, not {difference_mm}")
    normal_below = _number(normal_below_mm, "normal_below_mm", allow_equal=False)
    significant_from = _number(significant_from_mm, "significant_from_mm", allow_equal=False)
    if significant_from <= normal_below:
        raise ValueError(f"significant_from_mm ({significant_from}) must be above normal_below_mm ({normal_below})")
    if difference_mm < normal_below:
        return "normal"
    if difference_mm < significant_from:
        return "minor"
    return "significant"


def _leg_length(value: object, name: str) -> int:
    value = _whole(value, name)
    low, high = PLAUSIBLE_LEG_LENGTH_MM
    if not low <= value <= high:
        raise ValueError(f"{name} of {value} mm is not a plausible leg length (expected {low}-{high} mm)")
    return value


def _shorter(left: int, right: int) -> str | None:
    if left == right:
        return None
    return "left" if left < right else "right"


def leg_length_result(
    true_left: int,
    true_right: int,
    apparent_left: int | None = None,
    apparent_right: int | None = None,
    *,
    normal_below_mm: int | Decimal = THRESHOLD_DEFAULTS["lld_normal_below_mm"],
    significant_from_mm: int | Decimal = THRESHOLD_DEFAULTS["lld_significant_from_mm"],
    equal_tolerance_mm: int | Decimal | None = None,
) -> LegLengthResult:
    """Classify a leg-length discrepancy from tape measures in whole mm (DOMAIN B3.1, B3.2).

    True lengths are ASIS to malleolus; apparent lengths umbilicus to malleolus, optional but both or
    neither. The B3.1 table is applied with threshold ``normal_below_mm``:

    * true < T and apparent < T: "none"
    * true >= T and apparent ~ true: "structural"
    * true < T and apparent >= T: "functional"
    * true >= T and apparent differs from true: "mixed"

    "~" needs a tolerance and DOMAIN.md is silent on it: ``equal_tolerance_mm`` defaults to
    ``normal_below_mm`` (differences within 5 mm of each other count as equal). The signed differences
    are compared, so the same difference on opposite sides is not "~". With no apparent lengths, a true
    difference >= T is "unclassified" (see LLD_INTERPRETATIONS).

    The band uses ``discrepancy_mm``: the apparent difference for a functional discrepancy, the larger
    of the two for a mixed one, the true difference otherwise (DOMAIN.md is silent on which difference
    the bands apply to). The short side comes from the true lengths, or the apparent ones when functional.
    """
    true_left = _leg_length(true_left, "true_left")
    true_right = _leg_length(true_right, "true_right")
    if (apparent_left is None) != (apparent_right is None):
        raise ValueError("Give both apparent leg lengths or neither")
    if apparent_left is not None:
        apparent_left = _leg_length(apparent_left, "apparent_left")
        apparent_right = _leg_length(apparent_right, "apparent_right")
    threshold = _number(normal_below_mm, "normal_below_mm", allow_equal=False)
    tolerance = threshold if equal_tolerance_mm is None else _number(equal_tolerance_mm, "equal_tolerance_mm")

    true_signed = true_right - true_left
    true_difference = abs(true_signed)
    short_side = _shorter(true_left, true_right)
    discrepancy = true_difference
    apparent_difference = None
    if apparent_left is None or apparent_right is None:
        interpretation = "none" if true_difference < threshold else "unclassified"
    else:
        apparent_signed = apparent_right - apparent_left
        apparent_difference = abs(apparent_signed)
        if true_difference < threshold:
            if apparent_difference < threshold:
                interpretation = "none"
                discrepancy = max(true_difference, apparent_difference)
            else:
                interpretation = "functional"
                discrepancy = apparent_difference
                short_side = _shorter(apparent_left, apparent_right)
        elif abs(apparent_signed - true_signed) <= tolerance:
            interpretation = "structural"
        else:
            interpretation = "mixed"
            discrepancy = max(true_difference, apparent_difference)

    return LegLengthResult(
        true_left_mm=true_left,
        true_right_mm=true_right,
        apparent_left_mm=apparent_left,
        apparent_right_mm=apparent_right,
        true_difference_mm=true_difference,
        apparent_difference_mm=apparent_difference,
        discrepancy_mm=discrepancy,
        short_side=short_side,
        band=leg_length_band(discrepancy, normal_below_mm=normal_below_mm, significant_from_mm=significant_from_mm),
        interpretation=interpretation,
    )
