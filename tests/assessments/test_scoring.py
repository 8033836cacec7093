"""Hip ROM, FMS and leg length (DOMAIN A; B1; B2; B3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessments.scoring import (
    AAOS_NORMS,
    FMS_CLEARING_TESTS,
    FMS_RAW_KEYS,
    FMS_TESTS,
    LLD_INTERPRETATIONS,
    LOW_COMPOSITE_CAUTION,
    MOTION_LABELS,
    MOTIONS,
    PLAUSIBLE_ROM,
    ROACH_MILES_BANDS,
    Norm,
    RomReading,
    fms_result,
    leg_length_band,
    leg_length_result,
    norm_for,
    rom_result,
    validate_rom,
)

# --- Norms ----------------------------------------------------------------------------------------------

AAOS = {
    "flexion": 120,
    "extension": 30,
    "abduction": 45,
    "adduction": 30,
    "internal_rotation": 45,
    "external_rotation": 45,
}


def test_motion_catalogue():
    assert tuple(AAOS) == MOTIONS
    assert set(MOTION_LABELS) == set(MOTIONS) == set(PLAUSIBLE_ROM)
    for motion, (low, high) in PLAUSIBLE_ROM.items():
        assert low < AAOS[motion] < high
    assert PLAUSIBLE_ROM["extension"][0] < 0  # flexion contracture (DOMAIN B2.1, S34)


@pytest.mark.parametrize(("motion", "value"), AAOS.items())
@pytest.mark.parametrize(("age", "sex"), [(None, None), (20, "female"), (80, "male")])
def test_aaos_norms_ignore_age_and_sex(motion, value, age, sex):
    norm = norm_for(motion, age=age, sex=sex)
    assert norm == Norm(motion, value, "AAOS normal hip ROM (Goniometer.io)", verified=True)
    assert norm is AAOS_NORMS[motion]


ROACH = {
    "25-39": {"flexion": 122, "extension": 22, "abduction": 44, "internal_rotation": 33, "external_rotation": 34},
    "40-59": {"flexion": 120, "extension": 18, "abduction": 42, "internal_rotation": 31, "external_rotation": 32},
    "60-74": {"flexion": 118, "extension": 17, "abduction": 39, "internal_rotation": 30, "external_rotation": 29},
}


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (None, None),
        (0, None),
        (24, None),
        (25, "25-39"),
        (39, "25-39"),
        (40, "40-59"),
        (59, "40-59"),
        (60, "60-74"),
        (74, "60-74"),
        (75, None),
    ],
)
@pytest.mark.parametrize("motion", MOTIONS)
def test_roach_miles_bands(age, band, motion):
    norm = norm_for(motion, age=age, sex=None, norm_set="roach_miles")
    expected = ROACH[band].get(motion) if band else None  # adduction was not measured
    if expected is None:
        assert norm is None
    else:
        assert norm.value == expected
        assert norm.motion == motion
        assert norm.verified is False
        assert "unverified" in norm.source


def test_roach_miles_band_keys():
    assert list(ROACH_MILES_BANDS) == [(25, 39), (40, 59), (60, 74)]


@pytest.mark.parametrize(
    ("motion", "kwargs"),
    [
        ("rotation", {}),
        ("flexion", {"norm_set": "kendall"}),
        ("flexion", {"age": -1}),
        ("flexion", {"age": True}),
        ("flexion", {"age": 30.5}),
    ],
)
def test_norm_for_refuses(motion, kwargs):
    with pytest.raises(ValueError):  # noqa: PT011
        norm_for(motion, **{"age": 30, "sex": None, **kwargs})


# --- ROM --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("motion", MOTIONS)
def test_validate_rom_bounds(motion):
    low, high = PLAUSIBLE_ROM[motion]
    assert validate_rom(motion, low) == low
    assert validate_rom(motion, high) == high
    for bad in (low - 1, high + 1):
        with pytest.raises(ValueError, match="not plausible"):
            validate_rom(motion, bad)


@pytest.mark.parametrize("value", [1.5, True, "90", Decimal(90), None])
def test_validate_rom_needs_whole_degrees(value):
    with pytest.raises(ValueError, match="whole number"):
        validate_rom("flexion", value)


def test_validate_rom_unknown_motion():
    with pytest.raises(ValueError, match="Unknown hip motion"):
        validate_rom("circumduction", 20)


@pytest.mark.parametrize(
    ("left", "right", "threshold", "mdc", "asymmetric"),
    [
        # DOMAIN A: >= 10 deg and > MDC (5 deg)
        (40, 40, 10, 5, False),
        (40, 49, 10, 5, False),
        (40, 50, 10, 5, True),
        (40, 51, 10, 5, True),
        (51, 40, 10, 5, True),
        (49, 40, 10, 5, False),
        # threshold below the MDC: the MDC decides
        (40, 45, 4, 5, False),
        (40, 46, 4, 5, True),
        # larger threshold
        (40, 54, 15, 5, False),
        (40, 55, 15, 5, True),
        # threshold equal to the MDC: strictly above it
        (40, 50, 10, 10, False),
        (40, 51, 10, 10, True),
        # device-specific MDC as a Decimal (S29: 5.4)
        (40, 45, 5, Decimal("5.4"), False),
        (40, 46, 5, Decimal("5.4"), True),
        (40, 50, Decimal(10), Decimal(5), True),
    ],
)
def test_rom_asymmetry(left, right, threshold, mdc, asymmetric):
    result = rom_result(RomReading("internal_rotation", left, right), norm=None, asymmetry_threshold=threshold, mdc=mdc)
    assert result.asymmetry == abs(left - right)
    assert result.asymmetric is asymmetric


@pytest.mark.parametrize(("left", "right"), [(None, 120), (120, None), (None, None)])
def test_rom_asymmetry_needs_both_sides(left, right):
    result = rom_result(RomReading("flexion", left, right), norm=AAOS_NORMS["flexion"])
    assert result.asymmetry is None
    assert result.asymmetric is False
    assert (result.left_below_norm, result.right_below_norm) == (False, False)


@pytest.mark.parametrize(
    ("value", "kwargs", "below"),
    [
        # norm 30 (AAOS extension); margin defaults to the MDC (5): below when < 25
        (30, {}, False),
        (25, {}, False),
        (24, {}, True),
        (-10, {}, True),
        # margin follows a custom MDC
        (27, {"mdc": 3}, False),
        (26, {"mdc": 3}, True),
        # explicit margin
        (30, {"below_norm_margin": 0}, False),
        (29, {"below_norm_margin": 0}, True),
        (20, {"below_norm_margin": 10}, False),
        (19, {"below_norm_margin": 10}, True),
        (26, {"below_norm_margin": Decimal("4.5")}, False),
        (25, {"below_norm_margin": Decimal("4.5")}, True),
        (25, {"below_norm_margin": Decimal("5.5")}, False),
        (24, {"below_norm_margin": Decimal("5.5")}, True),
    ],
)
def test_rom_below_norm(value, kwargs, below):
    result = rom_result(RomReading("extension", value, 30), norm=AAOS_NORMS["extension"], **kwargs)
    assert result.left_below_norm is below
    assert result.right_below_norm is False
    assert result.norm == AAOS_NORMS["extension"]


def test_rom_without_norm_is_never_below():
    result = rom_result(RomReading("adduction", 0, 0), norm=None)
    assert (result.left_below_norm, result.right_below_norm) == (False, False)


def test_rom_result_fields():
    result = rom_result(RomReading("flexion", 100, 118, left_painful=True), norm=AAOS_NORMS["flexion"])
    assert result.motion == "flexion"
    assert (result.left, result.right) == (100, 118)
    assert (result.left_below_norm, result.right_below_norm) == (True, False)
    assert (result.asymmetry, result.asymmetric) == (18, True)


@pytest.mark.parametrize(
    ("reading", "kwargs"),
    [
        (RomReading("flexion", 170, 120), {}),
        (RomReading("extension", 30, -31), {}),
        (RomReading("abduction", 91, 40), {}),
        (RomReading("adduction", -1, 20), {}),
        (RomReading("internal_rotation", 40, 95), {}),
        (RomReading("external_rotation", 40.0, 40), {}),
        (RomReading("twist", 40, 40), {}),
        (RomReading("flexion", 120, 120), {"norm": AAOS_NORMS["extension"]}),
        (RomReading("flexion", 120, 120), {"asymmetry_threshold": 0}),
        (RomReading("flexion", 120, 120), {"mdc": -1}),
        (RomReading("flexion", 120, 120), {"mdc": True}),
        (RomReading("flexion", 120, 120), {"below_norm_margin": Decimal("NaN")}),
    ],
)
def test_rom_result_refuses(reading, kwargs):
    with pytest.raises(ValueError):  # noqa: PT011
        rom_result(reading, **{"norm": None, **kwargs})


# --- FMS --------------------------------------------------------------------------------------------------

BILATERAL = [test.code for test in FMS_TESTS if test.bilateral]
SINGLE = [test.code for test in FMS_TESTS if not test.bilateral]


def scores(value=3, **overrides):
    raw = dict.fromkeys(FMS_RAW_KEYS, value)
    raw.update(overrides)
    return raw


def test_fms_catalogue():
    assert [(t.code, t.bilateral, t.clearing) for t in FMS_TESTS] == [
        ("deep_squat", False, None),
        ("hurdle_step", True, None),
        ("inline_lunge", True, None),
        ("shoulder_mobility", True, "shoulder_clearing"),
        ("active_straight_leg_raise", True, None),
        ("trunk_stability_pushup", False, "spinal_extension_clearing"),
        ("rotary_stability", True, "spinal_flexion_clearing"),
    ]
    assert len(FMS_RAW_KEYS) == 12
    assert "hurdle_step_left" in FMS_RAW_KEYS
    assert "deep_squat" in FMS_RAW_KEYS
    assert "deep_squat_left" not in FMS_RAW_KEYS
    assert [code for code, _ in FMS_CLEARING_TESTS] == [
        "shoulder_clearing",
        "spinal_extension_clearing",
        "spinal_flexion_clearing",
    ]


def test_fms_perfect_screen():
    result = fms_result(scores(3), {})
    assert result.composite == 21
    assert [t.final for t in result.tests] == [3] * 7
    assert (result.any_pain, result.any_asymmetry, result.any_one, result.low_composite) == (False,) * 4


@pytest.mark.parametrize("code", BILATERAL)
@pytest.mark.parametrize(("left", "right", "final"), [(3, 2, 2), (2, 3, 2), (1, 3, 1), (2, 2, 2)])
def test_fms_lower_side_counts(code, left, right, final):
    result = fms_result(scores(3, **{f"{code}_left": left, f"{code}_right": right}), {})
    test = result.by_code[code]
    assert (test.left, test.right, test.score) == (left, right, None)
    assert test.final == final
    assert test.asymmetric is (left != right)
    assert result.any_asymmetry is (left != right)
    assert result.composite == 18 + final


@pytest.mark.parametrize(("clearing", "code"), [(t.clearing, t.code) for t in FMS_TESTS if t.clearing])
def test_fms_painful_clearing_zeroes_its_test(clearing, code):
    result = fms_result(scores(3), {clearing: True})
    assert {t.code: t.final for t in result.tests if t.final != 3} == {code: 0}
    assert result.by_code[code].clearing_painful is True
    assert result.by_code[code].raw_pain is False
    assert result.by_code[code].painful is True
    assert result.any_pain is True
    assert result.composite == 18


@pytest.mark.parametrize("value", [False, None])
def test_fms_clearing_not_painful_zeroes_nothing(value):
    result = fms_result(scores(3), dict.fromkeys([c for c, _ in FMS_CLEARING_TESTS], value))
    assert result.composite == 21
    assert result.any_pain is False


def test_fms_painful_clearing_zeroes_a_test_without_raw_scores():
    raw = scores(3, shoulder_mobility_left=None, shoulder_mobility_right=None)
    result = fms_result(raw, {"shoulder_clearing": True})
    assert result.by_code["shoulder_mobility"].final == 0
    assert result.composite == 18


@pytest.mark.parametrize("key", FMS_RAW_KEYS)
def test_fms_raw_zero_is_pain(key):
    result = fms_result(scores(3, **{key: 0}), {})
    code = key.removesuffix("_left").removesuffix("_right")
    assert result.by_code[code].raw_pain is True
    assert result.by_code[code].final == 0
    assert result.any_pain is True
    assert result.any_one is False


@pytest.mark.parametrize(
    ("raw", "cutoff", "composite", "low"),
    [
        (scores(2), 14, 14, True),  # all 2s: 14
        (scores(2, deep_squat=3), 14, 15, False),
        (scores(2, deep_squat=3), 15, 15, True),
        (scores(2, deep_squat=3), Decimal(15), 15, True),
        (scores(2, deep_squat=1), 14, 13, True),
        (scores(2), 13, 14, False),
        (scores(0), 14, 0, True),
        (scores(3), 21, 21, True),
        (scores(2), 0, 14, False),
    ],
)
def test_fms_low_composite(raw, cutoff, composite, low):
    result = fms_result(raw, {}, low_composite_cutoff=cutoff)
    assert result.composite == composite
    assert result.low_composite is low
    assert result.low_composite_cutoff == cutoff


@pytest.mark.parametrize("key", FMS_RAW_KEYS)
def test_fms_any_one(key):
    result = fms_result(scores(3, **{key: 1}), {})
    assert result.any_one is True
    assert result.any_pain is False


@pytest.mark.parametrize("key", FMS_RAW_KEYS)
def test_fms_missing_score_gives_no_composite(key):
    raw = scores(1)
    del raw[key]
    result = fms_result(raw, {})
    code = key.removesuffix("_left").removesuffix("_right")
    assert result.by_code[code].final is None
    assert result.composite is None
    assert result.low_composite is False  # never flagged without a composite
    assert result.any_one is True  # the other tests still raise their flags


def test_fms_empty_screen():
    result = fms_result({}, {})
    assert result.composite is None
    assert (result.any_pain, result.any_asymmetry, result.any_one, result.low_composite) == (False,) * 4


def test_fms_asymmetry_ignores_a_missing_side():
    result = fms_result(scores(3, hurdle_step_right=None), {})
    assert result.by_code["hurdle_step"].asymmetric is False
    assert result.any_asymmetry is False


@pytest.mark.parametrize(
    ("raw", "clearing", "kwargs"),
    [
        (scores(3, deep_squat=4), {}, {}),
        (scores(3, hurdle_step_left=-1), {}, {}),
        (scores(3, deep_squat=True), {}, {}),
        (scores(3, deep_squat=2.0), {}, {}),
        (scores(3, deep_squat="2"), {}, {}),
        (scores(3, deep_squat_left=2), {}, {}),  # deep squat is scored once
        (scores(3, hurdle_step=2), {}, {}),  # hurdle step is scored per side
        (scores(3), {"knee_clearing": True}, {}),
        (scores(3), {"shoulder_clearing": "yes"}, {}),
        (scores(3), {}, {"low_composite_cutoff": 22}),
        (scores(3), {}, {"low_composite_cutoff": -1}),
        (scores(3), {}, {"low_composite_cutoff": Decimal("14.5")}),
    ],
)
def test_fms_refuses(raw, clearing, kwargs):
    with pytest.raises(ValueError):  # noqa: PT011
        fms_result(raw, clearing, **kwargs)


def test_low_composite_caution_wording():
    assert "screening cue" in LOW_COMPOSITE_CAUTION
    assert "does not predict injury" in LOW_COMPOSITE_CAUTION


# --- Leg length -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("difference", "kwargs", "band"),
    [
        (0, {}, "normal"),
        (4, {}, "normal"),
        (5, {}, "minor"),
        (19, {}, "minor"),
        (20, {}, "significant"),
        (60, {}, "significant"),
        (5, {"normal_below_mm": 6}, "normal"),
        (6, {"normal_below_mm": 6}, "minor"),
        (24, {"significant_from_mm": 25}, "minor"),
        (25, {"significant_from_mm": Decimal(25)}, "significant"),
    ],
)
def test_leg_length_band_edges(difference, kwargs, band):
    assert leg_length_band(difference, **kwargs) == band


@pytest.mark.parametrize(
    ("difference", "kwargs"),
    [
        (-1, {}),
        (5.0, {}),
        (5, {"normal_below_mm": 0}),
        (5, {"normal_below_mm": 20, "significant_from_mm": 20}),
        (5, {"significant_from_mm": 4}),
    ],
)
def test_leg_length_band_refuses(difference, kwargs):
    with pytest.raises(ValueError):  # noqa: PT011
        leg_length_band(difference, **kwargs)


@pytest.mark.parametrize(
    ("lengths", "interpretation", "band", "short", "true_diff", "apparent_diff", "discrepancy"),
    [
        # DOMAIN B3.1 row 1: true < T, apparent < T -> none
        ((850, 847, 900, 898), "none", "normal", "right", 3, 2, 3),
        ((850, 850, 900, 904), "none", "normal", None, 0, 4, 4),
        # row 2: true >= T, apparent ~ true -> structural (short side from true lengths)
        ((850, 838, 900, 889), "structural", "minor", "right", 12, 11, 12),
        ((838, 850, 889, 900), "structural", "minor", "left", 12, 11, 12),
        ((850, 845, 900, 895), "structural", "minor", "right", 5, 5, 5),
        ((850, 826, 900, 876), "structural", "significant", "right", 24, 24, 24),
        # "~" tolerance = 5 mm by default: signed differences 12 vs 17 are ~, 12 vs 18 are not
        ((850, 838, 900, 883), "structural", "minor", "right", 12, 17, 12),
        ((850, 838, 900, 882), "mixed", "minor", "right", 12, 18, 18),
        ((850, 838, 900, 893), "structural", "minor", "right", 12, 7, 12),
        ((850, 838, 900, 894), "mixed", "minor", "right", 12, 6, 12),
        # row 3: true < T, apparent >= T -> functional (short side from apparent lengths)
        ((850, 848, 900, 910), "functional", "minor", "left", 2, 10, 10),
        ((850, 850, 925, 900), "functional", "significant", "right", 0, 25, 25),
        ((850, 846, 900, 895), "functional", "minor", "right", 4, 5, 5),
        # row 4: true >= T, apparent differs -> mixed
        ((850, 838, 900, 900), "mixed", "minor", "right", 12, 0, 12),
        ((850, 830, 900, 870), "mixed", "significant", "right", 20, 30, 30),
        # the same size on opposite sides is not "~"
        ((850, 840, 890, 900), "mixed", "minor", "right", 10, 10, 10),
        # no apparent lengths: structural cannot be told from mixed
        ((850, 846, None, None), "none", "normal", "right", 4, None, 4),
        ((850, 845, None, None), "unclassified", "minor", "right", 5, None, 5),
        ((850, 830, None, None), "unclassified", "significant", "right", 20, None, 20),
    ],
)
def test_leg_length_interpretation(lengths, interpretation, band, short, true_diff, apparent_diff, discrepancy):
    result = leg_length_result(*lengths)
    assert result.interpretation == interpretation
    assert result.band == band
    assert result.short_side == short
    assert result.true_difference_mm == true_diff
    assert result.apparent_difference_mm == apparent_diff
    assert result.discrepancy_mm == discrepancy
    assert (result.true_left_mm, result.true_right_mm, result.apparent_left_mm, result.apparent_right_mm) == lengths
    assert (result.band == "normal") is (result.interpretation == "none")


@pytest.mark.parametrize(
    ("lengths", "kwargs", "interpretation", "band"),
    [
        ((850, 845, 900, 895), {"normal_below_mm": 6}, "none", "normal"),
        ((850, 844, 900, 894), {"normal_below_mm": 6}, "structural", "minor"),
        ((850, 838, 900, 882), {"equal_tolerance_mm": 6}, "structural", "minor"),
        ((850, 838, 900, 889), {"equal_tolerance_mm": 0}, "mixed", "minor"),
        ((850, 838, 900, 888), {"equal_tolerance_mm": 0}, "structural", "minor"),
        ((850, 838, 900, 888), {"significant_from_mm": 12}, "structural", "significant"),
        ((850, 838, 900, 888), {"significant_from_mm": Decimal(13)}, "structural", "minor"),
    ],
)
def test_leg_length_thresholds(lengths, kwargs, interpretation, band):
    result = leg_length_result(*lengths, **kwargs)
    assert (result.interpretation, result.band) == (interpretation, band)


def test_leg_length_interpretations_catalogue():
    assert LLD_INTERPRETATIONS == ("none", "structural", "functional", "mixed", "unclassified")


@pytest.mark.parametrize(
    ("lengths", "kwargs"),
    [
        ((0, 850), {}),
        ((-850, 850), {}),
        ((850, 399), {}),
        ((1301, 850), {}),
        ((850, 850, 0, 900), {}),
        ((850, 850, 900, 1400), {}),
        ((850, 850, 900, None), {}),
        ((850, 850, None, 900), {}),
        ((850.0, 850), {}),
        ((True, 850), {}),
        ((None, 850), {}),
        ((850, 850), {"normal_below_mm": 0}),
        ((850, 850), {"normal_below_mm": 20}),
        ((850, 850), {"equal_tolerance_mm": -1}),
    ],
)
def test_leg_length_refuses(lengths, kwargs):
    with pytest.raises(ValueError):  # noqa: PT011
        leg_length_result(*lengths, **kwargs)
