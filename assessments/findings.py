"""Findings derived from a physical examination: one pure function, ``derive_findings``.

Pure Python (no Django). Findings are interpretations, derived from raw measurements each time so a
threshold can change without a data migration (DOMAIN B conventions: keep "measured" and "interpreted"
separate). Finding codes are stable: treatment plans read them. Each rule names its DOMAIN section.
Impossible input raises ValueError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from assessments.scoring import (
    FMS_CLEARING_LABELS,
    FMS_MAX_COMPOSITE,
    FMS_TESTS,
    LLD_BAND_LABELS,
    LLD_INTERPRETATION_LABELS,
    MOTION_LABELS,
    MOTIONS,
    PLAUSIBLE_ROM,
    SIDES,
    FmsResult,
    LegLengthResult,
    Norm,
    RomReading,
    fms_result,
    leg_length_result,
    norm_for,
    rom_result,
)
from domain.facts import THRESHOLD_DEFAULTS
from domain.numbers import plain

# --- Inputs -------------------------------------------------------------------------------------------

# DOMAIN B4: the special tests the examination records, each per side ("left" / "right").
SPECIAL_TESTS: tuple[tuple[str, str], ...] = (
    ("thomas", "Thomas test"),
    ("faber", "FABER (Patrick) test"),
    ("ober", "Ober test"),
    ("slr", "Straight-leg raise"),
    ("slump", "Slump test"),
    ("fair", "FAIR test"),
    ("trendelenburg", "Trendelenburg test"),
    ("fadir", "FADIR test"),
    ("single_leg_squat", "Single-leg squat"),
)
SPECIAL_TEST_LABELS: dict[str, str] = dict(SPECIAL_TESTS)
SPECIAL_TEST_RESULTS = ("positive", "negative", "not_tested")

# DOMAIN B4 (S60, S62): classic Thomas - thigh lifts -> iliopsoas; knee extends -> rectus femoris;
# thigh drifts into abduction -> TFL/ITB. The signs are independent: one side may show any of them together.
THOMAS_STRUCTURES = ("iliopsoas", "rectus_femoris", "tfl_itb")
THOMAS_STRUCTURE_LABELS: dict[str, str] = {
    "iliopsoas": "iliopsoas",
    "rectus_femoris": "rectus femoris",
    "tfl_itb": "TFL / ITB",
}
# DOMAIN B4 (S63): FABER pain location.
FABER_PAIN_LOCATIONS = ("groin", "posterior", "lateral")
FABER_PAIN_LOCATION_LABELS: dict[str, str] = {
    "groin": "Groin / front",
    "posterior": "Back / sacral",
    "lateral": "Side",
}

# DOMAIN B4 (S69): SLR reproduces radiating pain between about 30 and 70 degrees of hip flexion.
SLR_TYPICAL_RANGE_DEG = (30, 70)

# Detail fields and the one test each belongs to (a detail on another test is refused).
_DETAIL_TESTS = {
    "tight": "thomas",
    "angle": "slr",
    "reproduces_leg_symptoms": "slr",
    "pain_location": "faber",
}


@dataclass(frozen=True)
class SpecialTest:
    """One side of one special test. Trendelenburg is recorded on the stance (tested) side."""

    result: str  # SPECIAL_TEST_RESULTS
    tight: frozenset[str] = frozenset()  # Thomas only: each of THOMAS_STRUCTURES found tight
    angle: int | None = None  # SLR only: hip flexion in whole degrees at which symptoms came on
    reproduces_leg_symptoms: bool | None = None  # SLR only
    pain_location: str | None = None  # FABER only: FABER_PAIN_LOCATIONS

    def __post_init__(self) -> None:
        if self.result not in SPECIAL_TEST_RESULTS:
            raise ValueError(
                f"Special test result must be one of {', '.join(SPECIAL_TEST_RESULTS)}, not {self.result!r}"
            )
        if not isinstance(self.tight, frozenset) or not self.tight <= set(THOMAS_STRUCTURES):
            raise ValueError(
                f"Thomas tight structures must be a frozenset of {', '.join(THOMAS_STRUCTURES)}, not {self.tight!r}"
            )
        if self.pain_location is not None and self.pain_location not in FABER_PAIN_LOCATIONS:
            raise ValueError(
                f"FABER pain location must be one of {', '.join(FABER_PAIN_LOCATIONS)}, not {self.pain_location!r}"
            )
        if self.reproduces_leg_symptoms is not None and not isinstance(self.reproduces_leg_symptoms, bool):
            raise ValueError(
                f"reproduces_leg_symptoms must be True, False or None, not {self.reproduces_leg_symptoms!r}"
            )
        if self.angle is not None:
            # DOMAIN.md is silent on a plausible SLR angle: the SLR is hip flexion with the knee straight, so
            # the plausible hip-flexion range is used to reject typing errors.
            low, high = PLAUSIBLE_ROM["flexion"]
            if isinstance(self.angle, bool) or not isinstance(self.angle, int) or not low <= self.angle <= high:
                raise ValueError(f"SLR angle must be a whole number of degrees {low}-{high}, not {self.angle!r}")


# Running-form observations (DOMAIN A, the clinic's method: "running form (leaning forward from the
# waist, overstriding with a straight knee), hip drop, knee valgus", "over-pronation"; "reduced hip
# extension making the lumbar spine take the load"). Key -> (finding code, label).
# DOMAIN.md does not name lumbar hyperextension as a running fault in those words; it is recorded as
# an observation the brief asked for, with no claim beyond "observed".
RUNNING_FORM: dict[str, tuple[str, str]] = {
    "overstriding": ("overstriding", "Overstriding"),
    "forward_lean": ("forward_lean_from_waist", "Forward lean from the waist"),
    "hip_drop": ("contralateral_hip_drop", "Contralateral hip drop"),
    "overpronation": ("overpronation", "Over-pronation"),
    "lumbar_hyperextension": ("lumbar_hyperextension", "Lumbar hyperextension"),
    "knee_valgus": ("knee_valgus", "Knee valgus"),
}


@dataclass(frozen=True)
class ExamInput:
    """Raw examination data. Pain today is not an input: it is an outcome measure (NPRS), not a finding."""

    rom: tuple[RomReading, ...] = ()  # at most one reading per motion
    fms_raw: Mapping[str, int | None] = field(default_factory=dict)  # keys: scoring.FMS_RAW_KEYS
    fms_clearing: Mapping[str, bool | None] = field(default_factory=dict)  # keys: scoring.FMS_CLEARING_TESTS
    true_left: int | None = None  # mm
    true_right: int | None = None
    apparent_left: int | None = None
    apparent_right: int | None = None
    special_tests: Mapping[str, Mapping[str, SpecialTest]] = field(default_factory=dict)  # {test: {side: ...}}
    running_form: Mapping[str, bool | None] = field(default_factory=dict)  # keys: RUNNING_FORM
    cadence: int | None = None  # steps per minute
    # Sections (assessments.sections) marked not tested: {section code: reason, "" when none given}.
    not_tested: Mapping[str, str] = field(default_factory=dict)
    age: int | None = None
    sex: str | None = None
    norm_set: str = "aaos"  # scoring.NORM_SETS


# --- Outputs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    source: str  # e.g. "Thomas test", "Hip extension"
    detail: str  # e.g. "positive, iliopsoas", "12° (norm 30°, AAOS normal hip ROM (Goniometer.io))"


@dataclass(frozen=True)
class Finding:
    code: str  # stable snake_case code (FINDING_CODES)
    side: str | None  # "left" | "right" | None
    label: str  # clinician wording
    evidence: tuple[Evidence, ...]


# Every code derive_findings can produce, for plan rules and data validation.
FINDING_CODES: tuple[str, ...] = (
    "hip_flexor_tightness",
    "rectus_femoris_tightness",
    "tfl_itb_tension",
    *(f"reduced_hip_{motion}" for motion in MOTIONS),
    *(f"hip_rom_asymmetry_{motion}" for motion in MOTIONS),
    "leg_length_discrepancy",
    "fms_low_composite",
    *(f"fms_asymmetry_{test.code}" for test in FMS_TESTS if test.bilateral),
    *(f"fms_score_one_{test.code}" for test in FMS_TESTS),
    *(f"fms_pain_{test.code}" for test in FMS_TESTS),
    "neural_tension_positive",
    "deep_gluteal_piriformis",
    "hip_abductor_weakness",
    "fai_suspected",
    "si_joint_pain_pattern",
    "hip_joint_pain_pattern",
    "poor_single_leg_control",
    *(code for code, _ in RUNNING_FORM.values()),
)

# Conditions a clinician may add as a coded finding, named after DOMAIN B7.1. derive_findings never produces them;
# plan rules and contraindications read them exactly as they read derived findings. A finding added in the
# clinician's own words has no such code and is not read by the rules.
CLINICIAN_CONDITIONS: tuple[tuple[str, str], ...] = (
    ("non_specific_low_back_pain", "Lumbar muscle strain / non-specific mechanical low-back pain"),
    ("si_joint_pain", "SI joint pain"),
    ("lumbar_radiculopathy", "Disc irritation / lumbar radiculopathy (sciatica)"),
    ("piriformis_syndrome", "Piriformis / deep gluteal syndrome"),
    ("gluteal_tendinopathy", "Gluteal tendinopathy / greater trochanteric pain syndrome (GTPS)"),
    ("hip_flexor_strain", "Hip-flexor strain / tight iliacus-iliopsoas"),
    ("itb_tfl_pain", "ITB / TFL pain at the hip"),
)
CLINICIAN_CONDITION_LABELS: dict[str, str] = dict(CLINICIAN_CONDITIONS)


def condition_label(code: str, side: str | None) -> str:
    """A clinician condition's label, with its side as derived findings show theirs."""
    return _sided(CLINICIAN_CONDITION_LABELS[code], side)


# Threshold keys read from the clinic's thresholds (other keys are ignored), with DOMAIN's defaults. The ROM
# MDC is also the below-norm margin (DOMAIN B2.3, S29).
DEFAULT_THRESHOLDS: dict[str, int | Decimal] = {
    key: THRESHOLD_DEFAULTS[key]
    for key in (
        "rom_asymmetry_deg",
        "rom_mdc_deg",
        "fms_low_composite",
        "lld_normal_below_mm",
        "lld_significant_from_mm",
    )
}

_SIDE_ORDER = {None: 0, "left": 1, "right": 2}


def _norm_text(norm: Norm) -> str:
    return f"norm {norm.value}°, {norm.source}"


class _Collector:
    """Findings keyed by (code, side); evidence from several rules for the same finding is merged."""

    def __init__(self) -> None:
        self._labels: dict[tuple[str, str | None], str] = {}
        self._evidence: dict[tuple[str, str | None], list[Evidence]] = {}

    def add(self, code: str, side: str | None, label: str, *evidence: Evidence) -> None:
        key = (code, side)
        self._labels.setdefault(key, label)
        items = self._evidence.setdefault(key, [])
        items.extend(item for item in evidence if item not in items)

    def findings(self) -> list[Finding]:
        keys = sorted(self._labels, key=lambda key: (key[0], _SIDE_ORDER[key[1]]))
        return [
            Finding(code, side, self._labels[(code, side)], tuple(self._evidence[(code, side)])) for code, side in keys
        ]


def _sided(label: str, side: str | None) -> str:
    return f"{label} – {side}" if side else label


# --- Rules --------------------------------------------------------------------------------------------


def _rom_findings(exam: ExamInput, found: _Collector, thresholds: Mapping[str, int | Decimal]) -> dict[str, Evidence]:
    """ROM rules; returns the hip-extension evidence per side that is below norm (for the Thomas rule)."""
    seen: set[str] = set()
    extension_below: dict[str, Evidence] = {}
    for reading in exam.rom:
        if not isinstance(reading, RomReading):
            raise ValueError(f"rom must hold RomReading values, not {reading!r}")
        if reading.motion in seen:
            raise ValueError(f"More than one {reading.motion!r} reading")
        seen.add(reading.motion)
        norm = norm_for(reading.motion, age=exam.age, sex=exam.sex, norm_set=exam.norm_set)
        result = rom_result(
            reading,
            norm=norm,
            asymmetry_threshold=thresholds["rom_asymmetry_deg"],
            mdc=thresholds["rom_mdc_deg"],
        )
        motion_label = MOTION_LABELS[reading.motion]
        plain_motion = motion_label.removeprefix("Hip ").lower()
        # DOMAIN A "Hip ROM norms" / B2.1 (S20); margin = MDC, B2.3 (S29): reduced ROM on one side.
        for side in SIDES:
            if norm is not None and getattr(result, f"{side}_below_norm"):
                detail = f"{getattr(result, side)}° ({_norm_text(norm)})"
                if getattr(reading, f"{side}_painful"):
                    detail += ", painful"
                evidence = Evidence(motion_label, detail)
                found.add(f"reduced_hip_{reading.motion}", side, _sided(f"Reduced hip {plain_motion}", side), evidence)
                if reading.motion == "extension":
                    extension_below[side] = evidence
        # DOMAIN A "ROM asymmetry" / B2.2 (S27), B2.3 (S29): >= 10 deg and > MDC. No side: both values shown.
        if result.asymmetric:
            found.add(
                f"hip_rom_asymmetry_{reading.motion}",
                None,
                f"{motion_label} asymmetry – {result.asymmetry}° (left {result.left}°, right {result.right}°)",
                Evidence(
                    motion_label,
                    f"left {result.left}°, right {result.right}°, difference {result.asymmetry}° "
                    f"(flag at ≥ {plain(thresholds['rom_asymmetry_deg'])}° "
                    f"and > MDC {plain(thresholds['rom_mdc_deg'])}°)",
                ),
            )
    return extension_below


def _check_special_tests(special_tests: Mapping[str, Mapping[str, SpecialTest]]) -> None:
    unknown = sorted(set(special_tests) - set(SPECIAL_TEST_LABELS))
    if unknown:
        raise ValueError(f"Unknown special test(s): {', '.join(unknown)}")
    for code, sides in special_tests.items():
        bad_sides = sorted(set(sides) - set(SIDES), key=str)
        if bad_sides:
            raise ValueError(f"{code}: side must be 'left' or 'right', not {', '.join(map(repr, bad_sides))}")
        for side, test in sides.items():
            if not isinstance(test, SpecialTest):
                raise ValueError(f"{code} {side}: expected a SpecialTest, not {test!r}")
            for detail, owner in _DETAIL_TESTS.items():
                if getattr(test, detail) not in (None, frozenset()) and code != owner:
                    raise ValueError(f"{code} {side}: {detail} applies to the {SPECIAL_TEST_LABELS[owner]} only")


def _positive(exam: ExamInput, code: str) -> list[tuple[str, SpecialTest]]:
    sides = exam.special_tests.get(code, {})
    return [(side, sides[side]) for side in SIDES if side in sides and sides[side].result == "positive"]


# The special tests whose positive result on a side is one finding on that side, with no detail to read:
# test -> (finding code, label with "{side}", evidence detail). The evidence source is the test's label.
_SIMPLE_SPECIAL_TESTS: dict[str, tuple[str, str, str]] = {
    # DOMAIN B4 (S67, S68): Ober "tight" -> ITB/TFL tension; no studies support its validity for ITB tightness,
    # and gluteus medius/minimus and the capsule also limit adduction.
    "ober": ("tfl_itb_tension", "TFL / ITB tension – {side}", "positive"),
    # DOMAIN B4 (S72) and B7.1: a positive slump, like an SLR reproducing leg symptoms, is neural tension.
    "slump": ("neural_tension_positive", "Positive neural tension test – {side}", "positive"),
    # DOMAIN B4 (S74, S75, S76) and B7.1: FAIR positive -> deep gluteal / piriformis pattern. Anterior pain in
    # the FAIR position may instead be FAI (S139); the clinician reads the evidence.
    "fair": ("deep_gluteal_piriformis", "Deep gluteal (piriformis) pattern – {side}", "positive"),
    # DOMAIN B4 (S77): Trendelenburg - standing on the tested leg, the pelvis drops on the opposite side ->
    # hip abductor (gluteus medius/minimus) weakness on the stance side.
    "trendelenburg": (
        "hip_abductor_weakness",
        "Hip abductor (gluteus medius) weakness – {side}",
        "positive, pelvis drops on the opposite side",
    ),
    # DOMAIN B4 (S65, S66): FADIR is sensitive, not specific - a negative helps rule out, a positive does not
    # confirm.
    "fadir": (
        "fai_suspected",
        "Suspected FAI / labral pathology – {side} (FADIR positive; a positive does not confirm)",
        "positive",
    ),
    # DOMAIN B4 (S79, S80, S81): single-leg squat rated poor (positive) -> poor lumbopelvic / hip control.
    # The "poor on >= 2 of 5 criteria" rule is unverified; the clinician's overall rating is used.
    "single_leg_squat": ("poor_single_leg_control", "Poor single-leg control – {side}", "positive (poor quality)"),
}


# Each Thomas structure found tight -> its finding (code, label). DOMAIN B4 (S60, S62), B7.1.
_THOMAS_FINDINGS: dict[str, tuple[str, str]] = {
    "iliopsoas": ("hip_flexor_tightness", "Hip flexor tightness"),
    "rectus_femoris": ("rectus_femoris_tightness", "Rectus femoris tightness"),
    "tfl_itb": ("tfl_itb_tension", "TFL / ITB tension"),
}


def _thomas_findings(exam: ExamInput, found: _Collector, extension_below: Mapping[str, Evidence]) -> None:
    # DOMAIN B4 (S60, S62) and B7.1: Thomas - thigh lifts -> one-joint flexors (iliopsoas); knee extends ->
    # rectus femoris; abduction drift -> TFL/ITB; each structure tight on a side is its own finding. Validity
    # caveat (B4, S61, S32): the modified Thomas is invalid unless pelvic tilt is controlled, and goniometric
    # reliability is poor; a finding, not a diagnosis.
    # A positive test recorded before the structures had to be named is read as the test's original meaning
    # (one-joint flexors), as it was then.
    for side, test in _positive(exam, "thomas"):
        named = [structure for structure in THOMAS_STRUCTURES if structure in test.tight]
        for structure in named or ["iliopsoas"]:
            code, label = _THOMAS_FINDINGS[structure]
            detail = f"positive, {THOMAS_STRUCTURE_LABELS[structure]}" if named else "positive"
            extra = (extension_below[side],) if code == "hip_flexor_tightness" and side in extension_below else ()
            found.add(code, side, _sided(label, side), Evidence("Thomas test", detail), *extra)


def _slr_findings(exam: ExamInput, found: _Collector) -> None:
    # DOMAIN B4 (S69, S70, S72) and B7.1: SLR reproducing radiating leg pain (typically 30-70 deg). An SLR
    # positive without leg symptoms is not counted: hamstring tightness gives false positives (S71). The
    # 30-70 deg range is typical, not required: an angle outside it is noted only.
    low, high = SLR_TYPICAL_RANGE_DEG
    for side, test in _positive(exam, "slr"):
        if test.reproduces_leg_symptoms is not True:
            continue
        if test.angle is None:
            detail = "positive, reproduces leg symptoms (angle not recorded)"
        else:
            detail = f"positive at {test.angle}°, reproduces leg symptoms"
            if not low <= test.angle <= high:
                detail += f" (outside the typical {low}–{high}° range)"
        found.add(
            "neural_tension_positive",
            side,
            _sided("Positive neural tension test", side),
            Evidence("Straight-leg raise", detail),
        )


# DOMAIN B4 (S63) and B7.1: FABER pain posterior/sacral -> SI joint; groin/anterior -> hip joint.
# DOMAIN.md is silent on lateral pain or a positive FABER with no location: no finding from those.
_FABER_PATTERNS: dict[str, tuple[str, str]] = {
    "posterior": ("si_joint_pain_pattern", "SI joint pain pattern"),
    "groin": ("hip_joint_pain_pattern", "Hip joint pain pattern"),
}


def _faber_findings(exam: ExamInput, found: _Collector) -> None:
    for side, test in _positive(exam, "faber"):
        if test.pain_location in _FABER_PATTERNS:
            code, label = _FABER_PATTERNS[test.pain_location]
            found.add(
                code,
                side,
                _sided(label, side),
                Evidence(SPECIAL_TEST_LABELS["faber"], f"positive, {test.pain_location} pain"),
            )


def _special_test_findings(exam: ExamInput, found: _Collector, extension_below: Mapping[str, Evidence]) -> None:
    _check_special_tests(exam.special_tests)
    # Evidence merged into one finding keeps this order: Thomas before Ober, SLR before slump.
    _thomas_findings(exam, found, extension_below)
    _slr_findings(exam, found)
    _faber_findings(exam, found)
    for test, (code, label, detail) in _SIMPLE_SPECIAL_TESTS.items():
        for side, _result in _positive(exam, test):
            found.add(code, side, label.format(side=side), Evidence(SPECIAL_TEST_LABELS[test], detail))


def _fms_findings(result: FmsResult, found: _Collector) -> None:
    # DOMAIN A "FMS" / B1.3 (S10 secondary) and B1.4 (S11, S14, S15, S16): flags any pain, asymmetry, score of 1,
    # composite <= cut-off - the last is a screening cue, never an injury prediction.
    if result.low_composite:
        found.add(
            "fms_low_composite",
            None,
            f"FMS composite {result.composite} / {FMS_MAX_COMPOSITE} – screening cue "
            f"(at or below {result.low_composite_cutoff}), not an injury prediction",
            Evidence(
                "FMS composite", f"{result.composite} / {FMS_MAX_COMPOSITE} (cut-off ≤ {result.low_composite_cutoff})"
            ),
        )
    for test in result.tests:
        name = test.label[0].lower() + test.label[1:]
        scores = f"left {test.left}, right {test.right}" if test.bilateral else f"{test.score}"
        if test.asymmetric:
            found.add(
                f"fms_asymmetry_{test.code}",
                None,
                f"FMS {name} asymmetry (left {test.left}, right {test.right})",
                Evidence(f"FMS {name}", f"left {test.left}, right {test.right}"),
            )
        if test.final == 1:
            detail = f"{scores} (lower side counts)" if test.bilateral else scores
            found.add(f"fms_score_one_{test.code}", None, f"FMS {name} scored 1", Evidence(f"FMS {name}", detail))
        if test.painful:
            evidence = []
            if test.raw_pain:
                evidence.append(Evidence(f"FMS {name}", f"{scores} (0 = pain during the pattern)"))
            if test.clearing_painful:
                clearing = next(t.clearing for t in FMS_TESTS if t.code == test.code)
                evidence.append(Evidence(FMS_CLEARING_LABELS[clearing], f"painful (FMS {name} scored 0)"))
            found.add(
                f"fms_pain_{test.code}",
                None,
                f"Pain on FMS {name} – assess or refer, do not train",
                *evidence,
            )


def _leg_length_label(result: LegLengthResult) -> str:
    if result.interpretation == "mixed":
        size = f"true {result.true_difference_mm} mm, apparent {result.apparent_difference_mm} mm"
    else:
        size = f"{result.discrepancy_mm} mm"
    return (
        f"Leg-length discrepancy {size}, {result.short_side} short, "
        f"{LLD_INTERPRETATION_LABELS[result.interpretation]} ({LLD_BAND_LABELS[result.band]})"
    )


def _leg_length_findings(exam: ExamInput, found: _Collector, thresholds: Mapping[str, int | Decimal]) -> None:
    lengths = (exam.true_left, exam.true_right, exam.apparent_left, exam.apparent_right)
    if all(value is None for value in lengths):
        return
    if exam.true_left is None or exam.true_right is None:
        raise ValueError("Leg length needs both true lengths (ASIS to malleolus)")
    # DOMAIN A "Leg length" / B3.1 (S40, S41) interpretation table, B3.2 (S43, S46) bands. No finding for
    # normal variation.
    result = leg_length_result(
        exam.true_left,
        exam.true_right,
        exam.apparent_left,
        exam.apparent_right,
        normal_below_mm=thresholds["lld_normal_below_mm"],
        significant_from_mm=thresholds["lld_significant_from_mm"],
    )
    if result.band == "normal":
        return
    evidence = [
        Evidence(
            "True leg length",
            f"left {result.true_left_mm} mm, right {result.true_right_mm} mm, "
            f"difference {result.true_difference_mm} mm",
        )
    ]
    if result.apparent_difference_mm is not None:
        evidence.append(
            Evidence(
                "Apparent leg length",
                f"left {result.apparent_left_mm} mm, right {result.apparent_right_mm} mm, "
                f"difference {result.apparent_difference_mm} mm",
            )
        )
    found.add("leg_length_discrepancy", result.short_side, _leg_length_label(result), *evidence)


def _running_form_findings(exam: ExamInput, found: _Collector) -> None:
    unknown = sorted(set(exam.running_form) - set(RUNNING_FORM))
    if unknown:
        raise ValueError(f"Unknown running-form observation(s): {', '.join(unknown)}")
    for key, (code, label) in RUNNING_FORM.items():
        value = exam.running_form.get(key)
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"running_form {key}: must be True, False or None, not {value!r}")
        # DOMAIN A (the clinic's method): each observed fault is a finding to address.
        if value:
            found.add(code, None, label, Evidence("Running assessment", "observed on running assessment"))
    # Cadence is recorded but raises no finding: DOMAIN.md is silent on a cadence threshold.
    if exam.cadence is not None and (
        isinstance(exam.cadence, bool) or not isinstance(exam.cadence, int) or exam.cadence <= 0
    ):
        raise ValueError(f"cadence must be a whole number of steps per minute above 0, not {exam.cadence!r}")


def _thresholds(thresholds: Mapping[str, int | Decimal] | None) -> dict[str, int | Decimal]:
    values: dict[str, int | Decimal] = dict(DEFAULT_THRESHOLDS)
    for key in DEFAULT_THRESHOLDS:
        if thresholds is not None and thresholds.get(key) is not None:
            value = thresholds[key]
            if isinstance(value, bool) or not isinstance(value, int | Decimal):
                raise ValueError(f"Threshold {key} must be an int or Decimal, not {value!r}")
            values[key] = value
    return values


def derive_findings(exam: ExamInput, *, thresholds: Mapping[str, Decimal | int] | None = None) -> list[Finding]:
    """Every finding the examination supports, sorted by code then side (None, left, right).

    ``thresholds`` is the clinic's threshold mapping: the keys of DEFAULT_THRESHOLDS are read (a
    missing key takes DOMAIN's default), any other key is ignored. A normal examination gives [].
    """
    values = _thresholds(thresholds)
    found = _Collector()
    extension_below = _rom_findings(exam, found, values)
    _special_test_findings(exam, found, extension_below)
    _fms_findings(
        fms_result(exam.fms_raw, exam.fms_clearing, low_composite_cutoff=values["fms_low_composite"]),
        found,
    )
    _leg_length_findings(exam, found, values)
    _running_form_findings(exam, found)
    return found.findings()
