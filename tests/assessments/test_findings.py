"""derive_findings: each rule alone, a normal exam, thresholds, ordering and refusals (DOMAIN A; B1-B4; B7.1)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from assessments.findings import (
    DEFAULT_THRESHOLDS,
    FINDING_CODES,
    RUNNING_FORM,
    SPECIAL_TESTS,
    Evidence,
    ExamInput,
    Finding,
    SpecialTest,
    derive_findings,
)
from assessments.scoring import FMS_RAW_KEYS, FMS_TESTS, MOTIONS, RomReading

AAOS = {
    "flexion": 120,
    "extension": 30,
    "abduction": 45,
    "adduction": 30,
    "internal_rotation": 45,
    "external_rotation": 45,
}
NORMAL_ROM = tuple(RomReading(motion, value, value) for motion, value in AAOS.items())
PERFECT_FMS = dict.fromkeys(FMS_RAW_KEYS, 3)
ALL_NEGATIVE = {code: {"left": SpecialTest("negative"), "right": SpecialTest("negative")} for code, _ in SPECIAL_TESTS}

NORMAL_EXAM = ExamInput(
    rom=NORMAL_ROM,
    fms_raw=PERFECT_FMS,
    fms_clearing={"shoulder_clearing": False, "spinal_extension_clearing": False, "spinal_flexion_clearing": False},
    true_left=850,
    true_right=847,
    apparent_left=900,
    apparent_right=898,
    special_tests=ALL_NEGATIVE,
    running_form=dict.fromkeys(RUNNING_FORM, False),
    cadence=172,
    age=34,
    sex="female",
)


def positive(test, side="left", **detail):
    return {test: {side: SpecialTest("positive", **detail)}}


def codes(findings):
    return [(finding.code, finding.side) for finding in findings]


def only(exam, **kwargs):
    """The single finding ``exam`` produces (asserting there is exactly one)."""
    findings = derive_findings(exam, **kwargs)
    assert len(findings) == 1, codes(findings)
    assert findings[0].code in FINDING_CODES
    return findings[0]


def test_normal_exam_has_no_findings():
    assert derive_findings(NORMAL_EXAM) == []
    assert derive_findings(NORMAL_EXAM, thresholds={}) == []


def test_empty_exam_has_no_findings():
    assert derive_findings(ExamInput()) == []


@pytest.mark.parametrize(
    ("exam", "code", "side", "label", "evidence"),
    [
        # Thomas (DOMAIN B4, S60, S62)
        (
            ExamInput(special_tests=positive("thomas", "left", tight=frozenset({"iliopsoas"}))),
            "hip_flexor_tightness",
            "left",
            "Hip flexor tightness – left",
            (Evidence("Thomas test", "positive, iliopsoas"),),
        ),
        (
            ExamInput(special_tests=positive("thomas", "right")),
            "hip_flexor_tightness",
            "right",
            "Hip flexor tightness – right",
            (Evidence("Thomas test", "positive"),),
        ),
        (
            ExamInput(special_tests=positive("thomas", "right", tight=frozenset({"rectus_femoris"}))),
            "rectus_femoris_tightness",
            "right",
            "Rectus femoris tightness – right",
            (Evidence("Thomas test", "positive, rectus femoris"),),
        ),
        (
            ExamInput(special_tests=positive("thomas", "left", tight=frozenset({"tfl_itb"}))),
            "tfl_itb_tension",
            "left",
            "TFL / ITB tension – left",
            (Evidence("Thomas test", "positive, TFL / ITB"),),
        ),
        (
            ExamInput(special_tests=positive("ober", "right")),
            "tfl_itb_tension",
            "right",
            "TFL / ITB tension – right",
            (Evidence("Ober test", "positive"),),
        ),
        # Neural tension (B4, S69, S72)
        (
            ExamInput(special_tests=positive("slr", "left", angle=45, reproduces_leg_symptoms=True)),
            "neural_tension_positive",
            "left",
            "Positive neural tension test – left",
            (Evidence("Straight-leg raise", "positive at 45°, reproduces leg symptoms"),),
        ),
        (
            ExamInput(special_tests=positive("slump", "right")),
            "neural_tension_positive",
            "right",
            "Positive neural tension test – right",
            (Evidence("Slump test", "positive"),),
        ),
        # FAIR (B4, S74)
        (
            ExamInput(special_tests=positive("fair", "left")),
            "deep_gluteal_piriformis",
            "left",
            "Deep gluteal (piriformis) pattern – left",
            (Evidence("FAIR test", "positive"),),
        ),
        # Trendelenburg (B4, S77)
        (
            ExamInput(special_tests=positive("trendelenburg", "right")),
            "hip_abductor_weakness",
            "right",
            "Hip abductor (gluteus medius) weakness – right",
            (Evidence("Trendelenburg test", "positive, pelvis drops on the opposite side"),),
        ),
        # FADIR (B4, S65, S66)
        (
            ExamInput(special_tests=positive("fadir", "left")),
            "fai_suspected",
            "left",
            "Suspected FAI / labral pathology – left (FADIR positive; a positive does not confirm)",
            (Evidence("FADIR test", "positive"),),
        ),
        # FABER (B4, S63)
        (
            ExamInput(special_tests=positive("faber", "right", pain_location="posterior")),
            "si_joint_pain_pattern",
            "right",
            "SI joint pain pattern – right",
            (Evidence("FABER (Patrick) test", "positive, posterior pain"),),
        ),
        (
            ExamInput(special_tests=positive("faber", "left", pain_location="groin")),
            "hip_joint_pain_pattern",
            "left",
            "Hip joint pain pattern – left",
            (Evidence("FABER (Patrick) test", "positive, groin pain"),),
        ),
        # Single-leg squat (B4, S79)
        (
            ExamInput(special_tests=positive("single_leg_squat", "right")),
            "poor_single_leg_control",
            "right",
            "Poor single-leg control – right",
            (Evidence("Single-leg squat", "positive (poor quality)"),),
        ),
        # Leg length (B3.1, B3.2)
        (
            ExamInput(true_left=850, true_right=838, apparent_left=900, apparent_right=889),
            "leg_length_discrepancy",
            "right",
            "Leg-length discrepancy 12 mm, right short, structural (minor – interpret with symptoms)",
            (
                Evidence("True leg length", "left 850 mm, right 838 mm, difference 12 mm"),
                Evidence("Apparent leg length", "left 900 mm, right 889 mm, difference 11 mm"),
            ),
        ),
        (
            ExamInput(true_left=826, true_right=850, apparent_left=876, apparent_right=900),
            "leg_length_discrepancy",
            "left",
            "Leg-length discrepancy 24 mm, left short, structural (significant)",
            (
                Evidence("True leg length", "left 826 mm, right 850 mm, difference 24 mm"),
                Evidence("Apparent leg length", "left 876 mm, right 900 mm, difference 24 mm"),
            ),
        ),
        (
            ExamInput(true_left=850, true_right=848, apparent_left=900, apparent_right=910),
            "leg_length_discrepancy",
            "left",
            "Leg-length discrepancy 10 mm, left short, functional / apparent (look at pelvis, hip contracture, spine) "
            "(minor – interpret with symptoms)",
            (
                Evidence("True leg length", "left 850 mm, right 848 mm, difference 2 mm"),
                Evidence("Apparent leg length", "left 900 mm, right 910 mm, difference 10 mm"),
            ),
        ),
        (
            ExamInput(true_left=850, true_right=830, apparent_left=900, apparent_right=870),
            "leg_length_discrepancy",
            "right",
            "Leg-length discrepancy true 20 mm, apparent 30 mm, right short, mixed – clinician review (significant)",
            (
                Evidence("True leg length", "left 850 mm, right 830 mm, difference 20 mm"),
                Evidence("Apparent leg length", "left 900 mm, right 870 mm, difference 30 mm"),
            ),
        ),
        (
            ExamInput(true_left=850, true_right=842),
            "leg_length_discrepancy",
            "right",
            "Leg-length discrepancy 8 mm, right short, structural or mixed – apparent lengths not measured "
            "(minor – interpret with symptoms)",
            (Evidence("True leg length", "left 850 mm, right 842 mm, difference 8 mm"),),
        ),
        # FMS composite (B1.3, B1.4): all 2s = 14
        (
            ExamInput(fms_raw=dict.fromkeys(FMS_RAW_KEYS, 2)),
            "fms_low_composite",
            None,
            "FMS composite 14 / 21 – screening cue (at or below 14), not an injury prediction",
            (Evidence("FMS composite", "14 / 21 (cut-off ≤ 14)"),),
        ),
    ],
)
def test_each_rule_alone(exam, code, side, label, evidence):
    assert only(exam) == Finding(code, side, label, evidence)


@pytest.mark.parametrize(("motion", "norm"), AAOS.items())
@pytest.mark.parametrize("side", ["left", "right"])
def test_reduced_rom(motion, norm, side):
    # norm - MDC - 1 is below norm; the other side is not measured, so there is no asymmetry
    values = {"left": None, "right": None, side: norm - 6}
    finding = only(ExamInput(rom=(RomReading(motion, **values),)))
    label = motion.replace("_", " ")
    assert finding == Finding(
        f"reduced_hip_{motion}",
        side,
        f"Reduced hip {label} – {side}",
        (Evidence(f"Hip {label}", f"{norm - 6}° (norm {norm}°, AAOS normal hip ROM (Goniometer.io))"),),
    )


@pytest.mark.parametrize("motion", MOTIONS)
def test_reduced_rom_at_the_margin_is_not_a_finding(motion):
    assert derive_findings(ExamInput(rom=(RomReading(motion, AAOS[motion] - 5, None),))) == []


def test_reduced_rom_painful_side_is_in_the_evidence():
    finding = only(ExamInput(rom=(RomReading("flexion", 100, None, left_painful=True),)))
    assert finding.evidence == (
        Evidence("Hip flexion", "100° (norm 120°, AAOS normal hip ROM (Goniometer.io)), painful"),
    )


@pytest.mark.parametrize(("motion", "norm"), AAOS.items())
def test_rom_asymmetry(motion, norm):
    # both sides at or above the norm, 10 deg apart
    label = motion.replace("_", " ")
    finding = only(ExamInput(rom=(RomReading(motion, norm, norm + 10),)))
    assert finding == Finding(
        f"hip_rom_asymmetry_{motion}",
        None,
        f"Hip {label} asymmetry – 10° (left {norm}°, right {norm + 10}°)",
        (Evidence(f"Hip {label}", f"left {norm}°, right {norm + 10}°, difference 10° (flag at ≥ 10° and > MDC 5°)"),),
    )


@pytest.mark.parametrize(("difference", "found"), [(9, False), (10, True), (11, True)])
def test_rom_asymmetry_edges(difference, found):
    findings = derive_findings(ExamInput(rom=(RomReading("internal_rotation", 50, 50 + difference),)))
    assert codes(findings) == ([("hip_rom_asymmetry_internal_rotation", None)] if found else [])


def test_hip_flexor_tightness_takes_reduced_extension_on_the_same_side():
    exam = ExamInput(
        rom=(RomReading("extension", 22, 28),),
        special_tests=positive("thomas", "left", tight=frozenset({"iliopsoas"})),
    )
    findings = derive_findings(exam)
    assert codes(findings) == [("hip_flexor_tightness", "left"), ("reduced_hip_extension", "left")]
    assert findings[0].evidence == (
        Evidence("Thomas test", "positive, iliopsoas"),
        Evidence("Hip extension", "22° (norm 30°, AAOS normal hip ROM (Goniometer.io))"),
    )


def test_hip_flexor_tightness_ignores_reduced_extension_on_the_other_side():
    exam = ExamInput(rom=(RomReading("extension", 22, 28),), special_tests=positive("thomas", "right"))
    findings = derive_findings(exam)
    assert codes(findings) == [("hip_flexor_tightness", "right"), ("reduced_hip_extension", "left")]
    assert findings[0].evidence == (Evidence("Thomas test", "positive"),)


HIP_FLEXOR = ("hip_flexor_tightness", "Hip flexor tightness", "iliopsoas")
RECTUS = ("rectus_femoris_tightness", "Rectus femoris tightness", "rectus femoris")
TFL = ("tfl_itb_tension", "TFL / ITB tension", "TFL / ITB")


@pytest.mark.parametrize(
    ("tight", "expected"),
    [
        ({"iliopsoas", "rectus_femoris"}, [HIP_FLEXOR, RECTUS]),
        ({"iliopsoas", "tfl_itb"}, [HIP_FLEXOR, TFL]),
        ({"rectus_femoris", "tfl_itb"}, [RECTUS, TFL]),
        ({"iliopsoas", "rectus_femoris", "tfl_itb"}, [HIP_FLEXOR, RECTUS, TFL]),
    ],
)
@pytest.mark.parametrize("side", ["left", "right"])
def test_each_tight_thomas_structure_is_its_own_finding(tight, expected, side):
    findings = derive_findings(ExamInput(special_tests=positive("thomas", side, tight=frozenset(tight))))
    assert findings == [
        Finding(code, side, f"{label} – {side}", (Evidence("Thomas test", f"positive, {structure}"),))
        for code, label, structure in expected
    ]


def test_thomas_structures_on_each_side_are_read_separately():
    exam = ExamInput(
        rom=(RomReading("extension", 22, 20),),
        special_tests={
            "thomas": {
                "left": SpecialTest("positive", tight=frozenset({"iliopsoas", "tfl_itb"})),
                "right": SpecialTest("positive", tight=frozenset({"rectus_femoris"})),
            }
        },
    )
    findings = derive_findings(exam)
    assert codes(findings) == [
        ("hip_flexor_tightness", "left"),
        ("rectus_femoris_tightness", "right"),
        ("reduced_hip_extension", "left"),
        ("reduced_hip_extension", "right"),
        ("tfl_itb_tension", "left"),
    ]
    # Reduced extension supports the one-joint flexor finding only, on its own side.
    assert findings[0].evidence == (
        Evidence("Thomas test", "positive, iliopsoas"),
        Evidence("Hip extension", "22° (norm 30°, AAOS normal hip ROM (Goniometer.io))"),
    )
    assert findings[1].evidence == (Evidence("Thomas test", "positive, rectus femoris"),)


def test_thomas_tfl_and_ober_on_one_side_make_one_finding():
    exam = ExamInput(
        special_tests={
            "thomas": {"left": SpecialTest("positive", tight=frozenset({"tfl_itb"}))},
            "ober": {"left": SpecialTest("positive"), "right": SpecialTest("positive")},
        }
    )
    findings = derive_findings(exam)
    assert codes(findings) == [("tfl_itb_tension", "left"), ("tfl_itb_tension", "right")]
    assert findings[0].evidence == (Evidence("Thomas test", "positive, TFL / ITB"), Evidence("Ober test", "positive"))


@pytest.mark.parametrize(
    ("angle", "detail"),
    [
        (None, "positive, reproduces leg symptoms (angle not recorded)"),
        (29, "positive at 29°, reproduces leg symptoms (outside the typical 30–70° range)"),
        (30, "positive at 30°, reproduces leg symptoms"),
        (70, "positive at 70°, reproduces leg symptoms"),
        (71, "positive at 71°, reproduces leg symptoms (outside the typical 30–70° range)"),
    ],
)
def test_slr_angle_is_noted_not_required(angle, detail):
    finding = only(ExamInput(special_tests=positive("slr", "right", angle=angle, reproduces_leg_symptoms=True)))
    assert (finding.code, finding.side) == ("neural_tension_positive", "right")
    assert finding.evidence == (Evidence("Straight-leg raise", detail),)


@pytest.mark.parametrize("reproduces", [False, None])
def test_slr_without_leg_symptoms_is_not_neural_tension(reproduces):
    exam = ExamInput(special_tests=positive("slr", "left", angle=50, reproduces_leg_symptoms=reproduces))
    assert derive_findings(exam) == []


def test_slr_and_slump_on_one_side_make_one_finding():
    exam = ExamInput(
        special_tests={
            "slr": {"left": SpecialTest("positive", angle=40, reproduces_leg_symptoms=True)},
            "slump": {"left": SpecialTest("positive")},
        }
    )
    finding = only(exam)
    assert finding.evidence == (
        Evidence("Straight-leg raise", "positive at 40°, reproduces leg symptoms"),
        Evidence("Slump test", "positive"),
    )


@pytest.mark.parametrize("location", ["lateral", None])
def test_faber_without_a_mapped_location_gives_no_finding(location):
    assert derive_findings(ExamInput(special_tests=positive("faber", "left", pain_location=location))) == []


@pytest.mark.parametrize("result", ["negative", "not_tested"])
@pytest.mark.parametrize("test", [code for code, _ in SPECIAL_TESTS])
def test_negative_or_untested_special_tests_give_nothing(test, result):
    detail = {
        "thomas": {"tight": frozenset({"iliopsoas"})},
        "slr": {"angle": 40, "reproduces_leg_symptoms": True},
        "faber": {"pain_location": "groin"},
    }.get(test, {})
    exam = ExamInput(special_tests={test: {"left": SpecialTest(result, **detail), "right": SpecialTest(result)}})
    assert derive_findings(exam) == []


@pytest.mark.parametrize("test", [t for t in FMS_TESTS if t.bilateral], ids=lambda t: t.code)
def test_fms_asymmetry(test):
    finding = only(ExamInput(fms_raw={**PERFECT_FMS, f"{test.code}_left": 2}))
    name = test.label[0].lower() + test.label[1:]
    assert finding == Finding(
        f"fms_asymmetry_{test.code}",
        None,
        f"FMS {name} asymmetry (left 2, right 3)",
        (Evidence(f"FMS {name}", "left 2, right 3"),),
    )


@pytest.mark.parametrize("test", FMS_TESTS, ids=lambda t: t.code)
def test_fms_score_one(test):
    ones = {f"{test.code}_left": 1, f"{test.code}_right": 1} if test.bilateral else {test.code: 1}
    finding = only(ExamInput(fms_raw={**PERFECT_FMS, **ones}))
    name = test.label[0].lower() + test.label[1:]
    detail = "left 1, right 1 (lower side counts)" if test.bilateral else "1"
    assert finding == Finding(
        f"fms_score_one_{test.code}", None, f"FMS {name} scored 1", (Evidence(f"FMS {name}", detail),)
    )


@pytest.mark.parametrize("test", FMS_TESTS, ids=lambda t: t.code)
def test_fms_raw_zero_is_pain(test):
    zeros = {f"{test.code}_left": 0, f"{test.code}_right": 0} if test.bilateral else {test.code: 0}
    finding = only(ExamInput(fms_raw={**PERFECT_FMS, **zeros}))
    name = test.label[0].lower() + test.label[1:]
    detail = "left 0, right 0" if test.bilateral else "0"
    assert finding == Finding(
        f"fms_pain_{test.code}",
        None,
        f"Pain on FMS {name} – assess or refer, do not train",
        (Evidence(f"FMS {name}", f"{detail} (0 = pain during the pattern)"),),
    )


@pytest.mark.parametrize(
    ("clearing", "code", "source"),
    [
        ("shoulder_clearing", "shoulder_mobility", "Shoulder clearing test"),
        ("spinal_extension_clearing", "trunk_stability_pushup", "Spinal extension clearing test"),
        ("spinal_flexion_clearing", "rotary_stability", "Spinal flexion clearing test"),
    ],
)
def test_fms_painful_clearing_is_pain(clearing, code, source):
    finding = only(ExamInput(fms_raw=PERFECT_FMS, fms_clearing={clearing: True}))
    assert finding.code == f"fms_pain_{code}"
    assert finding.side is None
    assert finding.evidence[0].source == source
    assert finding.evidence[0].detail.startswith("painful")


def test_fms_low_composite_edges():
    at_15 = {**dict.fromkeys(FMS_RAW_KEYS, 2), "deep_squat": 3}
    assert derive_findings(ExamInput(fms_raw=at_15)) == []
    assert codes(derive_findings(ExamInput(fms_raw=at_15), thresholds={"fms_low_composite": Decimal(15)})) == [
        ("fms_low_composite", None)
    ]


def test_fms_incomplete_screen_has_no_composite_finding():
    raw = dict.fromkeys(FMS_RAW_KEYS, 2)
    del raw["deep_squat"]
    assert derive_findings(ExamInput(fms_raw=raw)) == []


@pytest.mark.parametrize(("key", "code"), [(key, code) for key, (code, _) in RUNNING_FORM.items()])
def test_running_form(key, code):
    finding = only(ExamInput(running_form={key: True}))
    assert (finding.code, finding.side) == (code, None)
    assert finding.evidence == (Evidence("Running assessment", "observed on running assessment"),)


def test_running_form_codes():
    assert [code for code, _ in RUNNING_FORM.values()][:5] == [
        "overstriding",
        "forward_lean_from_waist",
        "contralateral_hip_drop",
        "overpronation",
        "lumbar_hyperextension",
    ]


@pytest.mark.parametrize("cadence", [120, 160, 200, None])
def test_cadence_gives_no_finding(cadence):
    assert derive_findings(ExamInput(cadence=cadence)) == []


@pytest.mark.parametrize(
    ("thresholds", "expected"),
    [
        ({}, ["hip_rom_asymmetry_flexion", "leg_length_discrepancy"]),
        ({"rom_asymmetry_deg": Decimal(13)}, ["leg_length_discrepancy"]),
        ({"rom_mdc_deg": Decimal(12)}, ["leg_length_discrepancy"]),
        ({"lld_normal_below_mm": Decimal(7)}, ["hip_rom_asymmetry_flexion"]),
        (
            {"intake_link_days": Decimal(14), "odi_min_sections": None},
            ["hip_rom_asymmetry_flexion", "leg_length_discrepancy"],
        ),
        ({"rom_asymmetry_deg": None}, ["hip_rom_asymmetry_flexion", "leg_length_discrepancy"]),
    ],
)
def test_thresholds(thresholds, expected):
    exam = ExamInput(rom=(RomReading("flexion", 120, 132),), true_left=850, true_right=844)
    assert [finding.code for finding in derive_findings(exam, thresholds=thresholds)] == expected


def test_lld_significant_threshold():
    exam = ExamInput(true_left=850, true_right=838)
    assert "(significant)" in only(exam, thresholds={"lld_significant_from_mm": 12}).label
    assert "(minor – interpret with symptoms)" in only(exam, thresholds={"lld_significant_from_mm": 13}).label


def test_default_thresholds():
    assert DEFAULT_THRESHOLDS == {
        "rom_asymmetry_deg": 10,
        "rom_mdc_deg": 5,
        "fms_low_composite": 14,
        "lld_normal_below_mm": 5,
        "lld_significant_from_mm": 20,
    }


@pytest.mark.parametrize(
    ("age", "found"),
    [(30, True), (45, False), (80, False), (None, False)],  # norm 33 / 31 / none / none; below when < norm - 5
)
def test_roach_miles_norm_set(age, found):
    exam = ExamInput(rom=(RomReading("internal_rotation", 27, None),), age=age, norm_set="roach_miles")
    findings = derive_findings(exam)
    assert codes(findings) == ([("reduced_hip_internal_rotation", "left")] if found else [])
    if found:
        assert "unverified" in findings[0].evidence[0].detail


def test_everything_at_once_is_sorted_and_deterministic():
    special = {
        "thomas": {
            "right": SpecialTest("positive", tight=frozenset({"rectus_femoris"})),
            "left": SpecialTest("positive"),
        },
        "fadir": {"right": SpecialTest("positive"), "left": SpecialTest("positive")},
        "slump": {"right": SpecialTest("positive")},
        "trendelenburg": {"left": SpecialTest("positive")},
    }
    exam = ExamInput(
        rom=(RomReading("internal_rotation", 20, 36), RomReading("extension", 20, 30)),
        fms_raw={**dict.fromkeys(FMS_RAW_KEYS, 2), "hurdle_step_left": 1},
        true_left=850,
        true_right=838,
        special_tests=special,
        running_form={"overstriding": True, "hip_drop": True},
    )
    findings = derive_findings(exam)
    assert codes(findings) == [
        ("contralateral_hip_drop", None),
        ("fai_suspected", "left"),
        ("fai_suspected", "right"),
        ("fms_asymmetry_hurdle_step", None),
        ("fms_low_composite", None),
        ("fms_score_one_hurdle_step", None),
        ("hip_abductor_weakness", "left"),
        ("hip_flexor_tightness", "left"),
        ("hip_rom_asymmetry_extension", None),
        ("hip_rom_asymmetry_internal_rotation", None),
        ("leg_length_discrepancy", "right"),
        ("neural_tension_positive", "right"),
        ("overstriding", None),
        ("rectus_femoris_tightness", "right"),
        ("reduced_hip_extension", "left"),
        ("reduced_hip_internal_rotation", "left"),
        ("reduced_hip_internal_rotation", "right"),
    ]
    # the same exam with every mapping in another order gives the same list
    shuffled_special = {test: dict(reversed(sides.items())) for test, sides in reversed(special.items())}
    rom = list(exam.rom)
    random.Random(7).shuffle(rom)
    other = ExamInput(
        rom=tuple(rom),
        fms_raw=dict(reversed(exam.fms_raw.items())),
        true_left=850,
        true_right=838,
        special_tests=shuffled_special,
        running_form={"hip_drop": True, "overstriding": True},
    )
    assert derive_findings(other) == findings
    assert derive_findings(exam) == findings
    for finding in findings:
        assert finding.code in FINDING_CODES
        assert len(finding.label) <= 200
        assert finding.evidence


def test_finding_codes_are_unique_snake_case():
    assert len(FINDING_CODES) == len(set(FINDING_CODES))
    for code in FINDING_CODES:
        assert code.isidentifier()
        assert code == code.lower()


@pytest.mark.parametrize(
    "exam",
    [
        ExamInput(special_tests={"patrick": {"left": SpecialTest("positive")}}),
        ExamInput(special_tests={"thomas": {"both": SpecialTest("positive")}}),
        ExamInput(special_tests={"thomas": {"left": "positive"}}),
        ExamInput(special_tests=positive("ober", tight=frozenset({"tfl_itb"}))),
        ExamInput(special_tests=positive("faber", tight=frozenset({"iliopsoas"}))),
        ExamInput(special_tests=positive("slump", angle=40)),
        ExamInput(special_tests=positive("fair", reproduces_leg_symptoms=True)),
        ExamInput(special_tests=positive("thomas", pain_location="groin")),
        ExamInput(rom=(RomReading("flexion", 120, 120), RomReading("flexion", 110, 110))),
        ExamInput(rom=(RomReading("flexion", 200, 120),)),
        ExamInput(rom=(("flexion", 120, 120),)),
        ExamInput(rom=(RomReading("flexion", 120, 120),), norm_set="kendall"),
        ExamInput(rom=(RomReading("flexion", 120, 120),), age=-3),
        ExamInput(fms_raw={"deep_squat": 4}),
        ExamInput(fms_clearing={"hip_clearing": True}),
        ExamInput(true_left=850),
        ExamInput(apparent_left=900, apparent_right=900),
        ExamInput(true_left=85, true_right=85),
        ExamInput(running_form={"heel_strike": True}),
        ExamInput(running_form={"overstriding": "yes"}),
        ExamInput(cadence=0),
        ExamInput(cadence=170.5),
    ],
)
def test_impossible_exams_raise(exam):
    with pytest.raises(ValueError):  # noqa: PT011
        derive_findings(exam)


@pytest.mark.parametrize("thresholds", [{"rom_mdc_deg": "5"}, {"rom_asymmetry_deg": True}, {"lld_normal_below_mm": 0}])
def test_bad_thresholds_raise(thresholds):
    exam = ExamInput(rom=(RomReading("flexion", 120, 132),), true_left=850, true_right=844)
    with pytest.raises(ValueError):  # noqa: PT011
        derive_findings(exam, thresholds=thresholds)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"result": "equivocal"},
        {"result": "positive", "tight": frozenset({"hamstring"})},
        {"result": "positive", "tight": "iliopsoas"},
        {"result": "positive", "tight": ["iliopsoas"]},
        {"result": "positive", "pain_location": "anterior"},
        {"result": "positive", "angle": 170},
        {"result": "positive", "angle": -1},
        {"result": "positive", "angle": 45.0},
        {"result": "positive", "reproduces_leg_symptoms": "yes"},
    ],
)
def test_special_test_refuses(kwargs):
    with pytest.raises(ValueError):  # noqa: PT011
        SpecialTest(**kwargs)
