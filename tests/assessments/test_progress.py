"""Progress: MDC / MCID boundaries in both directions, missing values, refusals (DOMAIN A; B1.4; B2.3; B5.7)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from assessments.progress import (
    Change,
    Comparison,
    NotTested,
    Reading,
    RomMethod,
    comparable_with_latest,
    compare_fms_test,
    compare_fms_total,
    compare_leg_length,
    compare_outcome,
    compare_rom,
    in_day_order,
    rom_method_difference,
)

IMPROVED, NO_CHANGE, WORSE, NOT_COMPARABLE = Change.IMPROVED, Change.NO_CHANGE, Change.WORSE, Change.NOT_COMPARABLE


def test_change_values():
    assert [c.value for c in Change] == ["improved", "no_change", "worse", "not_comparable"]


# --- ROM --------------------------------------------------------------------------------------------------

PRONE = RomMethod("prone", "goniometer", "passive")
ALIKE = {"baseline_method": PRONE, "current_method": PRONE}


@pytest.mark.parametrize(
    ("baseline", "current", "kwargs", "change", "rule"),
    [
        (100, 100, {}, NO_CHANGE, "change within MDC 5°"),
        (100, 105, {}, NO_CHANGE, "change within MDC 5°"),
        (100, 106, {}, IMPROVED, "change beyond MDC 5°"),
        (100, 95, {}, NO_CHANGE, "change within MDC 5°"),
        (100, 94, {}, WORSE, "change beyond MDC 5°"),
        (100, 105, {"mdc": Decimal("5.4")}, NO_CHANGE, "change within MDC 5.4°"),
        (100, 106, {"mdc": Decimal("5.4")}, IMPROVED, "change beyond MDC 5.4°"),
        (100, 94, {"mdc": Decimal("5.4")}, WORSE, "change beyond MDC 5.4°"),
        (100, 108, {"mdc": 8}, NO_CHANGE, "change within MDC 8°"),
        (100, 109, {"mdc": 8}, IMPROVED, "change beyond MDC 8°"),
        (100, 101, {"mdc": 0}, IMPROVED, "change beyond MDC 0°"),
    ],
)
def test_compare_rom(baseline, current, kwargs, change, rule):
    assert compare_rom("flexion", "left", baseline, current, **ALIKE, **kwargs) == Comparison(
        "hip_flexion_left", baseline, current, current - baseline, change, rule
    )


def test_compare_rom_extension_through_zero():
    result = compare_rom("extension", "right", -4, 2, **ALIKE)
    assert (result.measure, result.difference, result.change) == ("hip_extension_right", 6, IMPROVED)


@pytest.mark.parametrize(
    ("baseline", "current", "kwargs", "rule"),
    [
        (None, 40, {}, "not comparable: a reading is missing"),
        (40, None, {}, "not comparable: a reading is missing"),
        (None, None, {}, "not comparable: a reading is missing"),
        (
            30,
            45,
            {"current_method": RomMethod("seated", "goniometer", "passive")},
            "taken prone then seated: not comparable",
        ),
        # A reading without a position is not compared, even with a reading in the same unknown position.
        (
            30,
            31,
            {"baseline_method": RomMethod("", "goniometer", "passive")},
            "position not recorded at baseline: not comparable",
        ),
    ],
)
def test_compare_rom_not_comparable(baseline, current, kwargs, rule):
    result = compare_rom("abduction", "left", baseline, current, **{**ALIKE, **kwargs})
    assert result == Comparison("hip_abduction_left", baseline, current, None, NOT_COMPARABLE, rule)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("flexion", "both", 100, 110), {}),
        (("twist", "left", 100, 110), {}),
        (("flexion", "left", 100, 170), {}),
        (("abduction", "left", -1, 10), {}),
        (("flexion", "left", 100.0, 110), {}),
        (("flexion", "left", 100, 110), {"mdc": -1}),
        (("flexion", "left", 100, 110), {"mdc": "5"}),
    ],
)
def test_compare_rom_refuses(args, kwargs):
    with pytest.raises(ValueError):  # noqa: PT011
        compare_rom(*args, **ALIKE, **kwargs)


GONIOMETER, INCLINOMETER = "goniometer", "inclinometer"


@pytest.mark.parametrize(
    ("baseline", "current", "reason"),
    [
        (("prone", GONIOMETER, "passive"), ("prone", GONIOMETER, "passive"), None),
        (("side_lying", INCLINOMETER, "active"), ("side_lying", INCLINOMETER, "active"), None),
        (
            ("seated", GONIOMETER, "passive"),
            ("prone", GONIOMETER, "passive"),
            "taken seated then prone: not comparable",
        ),
        (
            ("supine", GONIOMETER, "passive"),
            ("side_lying", GONIOMETER, "passive"),
            "taken supine then side-lying: not comparable",
        ),
        (
            ("prone", GONIOMETER, "passive"),
            ("prone", INCLINOMETER, "passive"),
            "measured with a goniometer then an inclinometer: not comparable",
        ),
        (
            ("prone", INCLINOMETER, "passive"),
            ("prone", GONIOMETER, "passive"),
            "measured with an inclinometer then a goniometer: not comparable",
        ),
        (
            ("prone", GONIOMETER, "passive"),
            ("prone", GONIOMETER, "active"),
            "passive then active range: not comparable",
        ),
        (
            ("seated", GONIOMETER, "active"),
            ("prone", INCLINOMETER, "passive"),
            "taken seated then prone, measured with a goniometer then an inclinometer, active then passive range: "
            "not comparable",
        ),
        # Not recorded (readings from before positions were kept) is never alike: not with a recorded
        # position, and not with another unrecorded one.
        (
            ("", GONIOMETER, "passive"),
            ("prone", GONIOMETER, "passive"),
            "position not recorded at baseline: not comparable",
        ),
        (("prone", GONIOMETER, "passive"), ("", GONIOMETER, "passive"), "position not recorded now: not comparable"),
        (
            ("", GONIOMETER, "passive"),
            ("", GONIOMETER, "passive"),
            "position not recorded at baseline and now: not comparable",
        ),
        (
            ("", GONIOMETER, "passive"),
            ("seated", INCLINOMETER, "passive"),
            "position not recorded at baseline, measured with a goniometer then an inclinometer: not comparable",
        ),
    ],
)
def test_rom_method_difference(baseline, current, reason):
    assert rom_method_difference(RomMethod(*baseline), RomMethod(*current)) == reason


@pytest.mark.parametrize(
    "method",
    [
        ("standing", GONIOMETER, "passive"),
        ("prone", "tape", "passive"),
        ("prone", GONIOMETER, "assisted"),
        ("prone", "", "passive"),
    ],
)
def test_rom_method_refuses_unknown_codes(method):
    with pytest.raises(ValueError):  # noqa: PT011
        RomMethod(*method)


DAY = [datetime.date(2026, 1, day) for day in (1, 8, 15, 22)]
SEATED = RomMethod("seated", GONIOMETER, "passive")
UNRECORDED = RomMethod("", GONIOMETER, "passive")


@pytest.mark.parametrize(
    ("readings", "kept", "left_out"),
    [
        ([], [], 0),
        ([(DAY[0], 30, PRONE)], [(DAY[0], 30)], 0),
        ([(DAY[0], 30, PRONE), (DAY[1], 34, PRONE)], [(DAY[0], 30), (DAY[1], 34)], 0),
        # The latest decides; a reading taken like it is kept even after one taken another way.
        ([(DAY[0], 30, PRONE), (DAY[1], 25, SEATED), (DAY[2], 34, PRONE)], [(DAY[0], 30), (DAY[2], 34)], 1),
        ([(DAY[0], 30, PRONE), (DAY[1], 25, SEATED)], [(DAY[1], 25)], 1),
        # Readings without a position join no line, but the latest one is still shown as a point.
        ([(DAY[0], 30, UNRECORDED), (DAY[1], 31, UNRECORDED)], [(DAY[1], 31)], 1),
        ([(DAY[0], 30, UNRECORDED), (DAY[1], 34, PRONE), (DAY[2], 36, PRONE)], [(DAY[1], 34), (DAY[2], 36)], 1),
    ],
)
def test_comparable_with_latest(readings, kept, left_out):
    assert comparable_with_latest(readings) == (kept, left_out)


# --- FMS --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "current", "kwargs", "change", "rule"),
    [
        # MDC95 about 2.5 (S10): with whole composites, 3 is the least real change
        (14, 16, {}, NO_CHANGE, "change within MDC 2.5 points"),
        (14, 17, {}, IMPROVED, "change beyond MDC 2.5 points"),
        (14, 12, {}, NO_CHANGE, "change within MDC 2.5 points"),
        (14, 11, {}, WORSE, "change beyond MDC 2.5 points"),
        (14, 14, {}, NO_CHANGE, "change within MDC 2.5 points"),
        (14, 17, {"mdc": 3}, NO_CHANGE, "change within MDC 3 points"),
        (14, 18, {"mdc": 3}, IMPROVED, "change beyond MDC 3 points"),
        (14, 11, {"mdc": 3}, NO_CHANGE, "change within MDC 3 points"),
        (14, 10, {"mdc": 3}, WORSE, "change beyond MDC 3 points"),
        (0, 21, {}, IMPROVED, "change beyond MDC 2.5 points"),
    ],
)
def test_compare_fms_total(baseline, current, kwargs, change, rule):
    assert compare_fms_total(baseline, current, **kwargs) == Comparison(
        "fms_composite", baseline, current, current - baseline, change, rule
    )


@pytest.mark.parametrize(("baseline", "current"), [(None, 14), (14, None), (None, None)])
def test_compare_fms_total_missing(baseline, current):
    result = compare_fms_total(baseline, current)
    assert (result.change, result.difference) == (NOT_COMPARABLE, None)


@pytest.mark.parametrize(
    ("baseline", "current", "kwargs"), [(22, 14, {}), (14, -1, {}), (14.0, 15, {}), (14, 15, {"mdc": -1})]
)
def test_compare_fms_total_refuses(baseline, current, kwargs):
    with pytest.raises(ValueError):  # noqa: PT011
        compare_fms_total(baseline, current, **kwargs)


@pytest.mark.parametrize(
    ("baseline", "current", "change", "rule"),
    [
        (2, 2, NO_CHANGE, "same score"),
        (2, 3, IMPROVED, "any change of the 0-3 score counts"),
        (2, 1, WORSE, "any change of the 0-3 score counts"),
        (0, 1, IMPROVED, "any change of the 0-3 score counts"),
        (3, 0, WORSE, "any change of the 0-3 score counts"),
    ],
)
def test_compare_fms_test(baseline, current, change, rule):
    assert compare_fms_test("hurdle_step", baseline, current) == Comparison(
        "fms_hurdle_step", baseline, current, current - baseline, change, rule
    )


def test_compare_fms_test_missing():
    assert compare_fms_test("deep_squat", None, 2).change == NOT_COMPARABLE


@pytest.mark.parametrize(
    ("code", "baseline", "current"), [("squat", 1, 2), ("deep_squat", 4, 2), ("deep_squat", 1, -1)]
)
def test_compare_fms_test_refuses(code, baseline, current):
    with pytest.raises(ValueError):  # noqa: PT011
        compare_fms_test(code, baseline, current)


# --- Leg length -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "current", "kwargs", "change"),
    [
        (12, 12, {}, NO_CHANGE),
        (12, 8, {}, NO_CHANGE),
        (12, 7, {}, IMPROVED),
        (12, 16, {}, NO_CHANGE),
        (12, 17, {}, WORSE),
        (12, 10, {"tolerance_mm": 3}, NO_CHANGE),
        (12, 9, {"tolerance_mm": 3}, IMPROVED),
        (12, 15, {"tolerance_mm": Decimal(3)}, WORSE),
        (5, 0, {}, IMPROVED),
    ],
)
def test_compare_leg_length(baseline, current, kwargs, change):
    result = compare_leg_length(baseline, current, **kwargs)
    assert (result.measure, result.baseline, result.current) == ("leg_length_discrepancy", baseline, current)
    assert result.difference == current - baseline
    assert result.change == change
    assert "mm normal variation" in result.rule


@pytest.mark.parametrize(("baseline", "current"), [(None, 10), (10, None)])
def test_compare_leg_length_missing(baseline, current):
    assert compare_leg_length(baseline, current).change == NOT_COMPARABLE


@pytest.mark.parametrize(
    ("compare", "not_tested", "rule"),
    [
        (lambda nt: compare_leg_length(None, 10, not_tested=nt), NotTested(baseline=True), "not tested at baseline"),
        (
            lambda nt: compare_leg_length(10, None, not_tested=nt),
            NotTested(current=True),
            "not tested at the latest visit",
        ),
        (
            lambda nt: compare_leg_length(None, None, not_tested=nt),
            NotTested(baseline=True, current=True),
            "not tested at both visits",
        ),
        (lambda nt: compare_leg_length(None, 10, not_tested=nt), NotTested(), "a measurement is missing"),
        (lambda nt: compare_fms_total(None, 14, not_tested=nt), NotTested(baseline=True), "not tested at baseline"),
        (lambda nt: compare_fms_total(14, None, not_tested=nt), NotTested(), "a composite is missing"),
        (
            lambda nt: compare_fms_test("deep_squat", 2, None, not_tested=nt),
            NotTested(current=True),
            "not tested at the latest visit",
        ),
    ],
)
def test_a_section_not_tested_is_not_called_missing(compare, not_tested, rule):
    result = compare(not_tested)
    assert (result.change, result.rule) == (NOT_COMPARABLE, f"not comparable: {rule}")


@pytest.mark.parametrize(
    ("baseline", "current", "kwargs"), [(-1, 5, {}), (5, 5.0, {}), (5, True, {}), (5, 6, {"tolerance_mm": -1})]
)
def test_compare_leg_length_refuses(baseline, current, kwargs):
    with pytest.raises(ValueError):  # noqa: PT011
        compare_leg_length(baseline, current, **kwargs)


# --- Outcomes ---------------------------------------------------------------------------------------------

D = Decimal


@pytest.mark.parametrize(
    ("instrument", "baseline", "current", "kwargs", "change"),
    [
        # NPRS: 2 points or 30 %, lower is better
        ("nprs", D(6), D(4), {}, IMPROVED),
        ("nprs", D(6), D(5), {}, NO_CHANGE),  # 1 point, 16.7 %
        ("nprs", D(6), D(7), {}, NO_CHANGE),
        ("nprs", D(6), D(8), {}, WORSE),
        ("nprs", D(10), D(9), {}, NO_CHANGE),
        ("nprs", D(3), D(2), {}, IMPROVED),  # 33 %
        ("nprs", D(2), D(3), {}, WORSE),  # 50 % of the baseline, the same rule in the bad direction
        ("nprs", D(0), D(1), {}, NO_CHANGE),  # no relative rule from a baseline of 0
        ("nprs", D(0), D(2), {}, WORSE),
        ("nprs", 6, 4, {}, IMPROVED),
        ("nprs", D(6), D(5), {"nprs_mcid_points": 1}, IMPROVED),
        ("nprs", D(6), D(7), {"nprs_mcid_points": 1}, WORSE),
        # ODI: 10 points or 30 %, lower is better
        ("odi", D(40), D(30), {}, IMPROVED),
        ("odi", D(40), D(31), {}, NO_CHANGE),  # 9 points, 22.5 %
        ("odi", D(40), D(49), {}, NO_CHANGE),
        ("odi", D(40), D(50), {}, WORSE),
        ("odi", D(20), D(14), {}, IMPROVED),  # exactly 30 %
        ("odi", D(20), D("14.1"), {}, NO_CHANGE),
        ("odi", D(20), D(26), {}, WORSE),  # exactly 30 % worse
        ("odi", D(20), D("25.9"), {}, NO_CHANGE),
        ("odi", D(40), D(32), {"odi_mcid_points": 8}, IMPROVED),
        ("odi", D(40), D(48), {"odi_mcid_points": 8}, WORSE),
        # LEFS: 9 points, higher is better
        ("lefs", D(40), D(49), {}, IMPROVED),
        ("lefs", D(40), D(48), {}, NO_CHANGE),
        ("lefs", D(40), D(32), {}, NO_CHANGE),
        ("lefs", D(40), D(31), {}, WORSE),
        ("lefs", D(0), D(9), {}, IMPROVED),
        ("lefs", D(40), D(35), {"lefs_mcid": 5}, WORSE),
    ],
)
def test_compare_outcome(instrument, baseline, current, kwargs, change):
    result = compare_outcome(instrument, baseline, current, **kwargs)
    assert result.measure == instrument
    assert (result.baseline, result.current) == (D(baseline), D(current))
    assert result.difference == D(current) - D(baseline)
    assert result.change == change


@pytest.mark.parametrize(
    ("instrument", "baseline", "current", "kwargs", "rule"),
    [
        ("nprs", D(6), D(4), {}, "improvement meets MCID 2 points or 30 %"),
        ("odi", D(40), D(50), {}, "worsening meets MCID 10 points or 30 %"),
        ("odi", D(40), D(50), {"odi_mcid_relative": D("0.25")}, "worsening meets MCID 10 points or 25 %"),
        ("lefs", D(40), D(41), {}, "change does not meet MCID 9 points (higher is better)"),
        ("nprs", D(6), D(5), {}, "change does not meet MCID 2 points or 30 % (lower is better)"),
        ("lefs", None, D(41), {}, "not comparable: a score is missing"),
    ],
)
def test_compare_outcome_rule_text(instrument, baseline, current, kwargs, rule):
    assert compare_outcome(instrument, baseline, current, **kwargs).rule == rule


@pytest.mark.parametrize(("baseline", "current"), [(None, D(3)), (D(3), None), (None, None)])
def test_compare_outcome_missing(baseline, current):
    result = compare_outcome("nprs", baseline, current)
    assert (result.change, result.difference) == (NOT_COMPARABLE, None)


@pytest.mark.parametrize(
    ("instrument", "baseline", "current", "kwargs"),
    [
        ("hoos", D(3), D(5), {}),  # PSFS is an outcome since the hip measures; HOOS is not
        ("psfs", D(3), D(11), {}),
        ("nprs", D(11), D(5), {}),
        ("nprs", D(-1), D(5), {}),
        ("odi", D(40), D("100.1"), {}),
        ("lefs", D(81), D(40), {}),
        ("lefs", D(40), 40.0, {}),
        ("odi", D("NaN"), D(40), {}),
        ("odi", D(40), D(30), {"odi_mcid": 8}),
    ],
)
def test_compare_outcome_refuses(instrument, baseline, current, kwargs):
    with pytest.raises(ValueError):  # noqa: PT011
        compare_outcome(instrument, baseline, current, **kwargs)


# --- Outcome readings in the order of the days they describe ------------------------------------------------


def _reading(day: int, at_visit: bool, value: int = 5) -> Reading:
    source = "visit" if at_visit else "intake"
    return Reading("nprs", datetime.date(2026, 11, day), f"{source} {day}", D(value), at_visit=at_visit)


@pytest.mark.parametrize(
    ("readings", "order"),
    [
        # Visits dated before an intake submitted later (entered afterwards): the intake is the newest.
        ([_reading(20, False), _reading(1, True), _reading(15, True)], ["visit 1", "visit 15", "intake 20"]),
        # The usual case: the intake before the visits.
        ([_reading(1, False), _reading(3, True), _reading(20, True)], ["intake 1", "visit 3", "visit 20"]),
        # The same day: the clinician's measurement is the later one, in whatever order they were given.
        ([_reading(15, True), _reading(15, False), _reading(1, True)], ["visit 1", "intake 15", "visit 15"]),
        ([_reading(1, True), _reading(1, False)], ["intake 1", "visit 1"]),
        ([], []),
    ],
)
def test_outcome_readings_are_in_the_order_of_the_days_they_describe(readings, order):
    assert [reading.source for reading in in_day_order(readings)] == order
