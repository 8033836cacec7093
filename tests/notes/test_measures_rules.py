"""The re-measures' comparison with the baseline (the progress page's rules) and the PART rule,
as tables of cases."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessments.progress import Change, RomMethod
from notes import measures
from notes.measures import Baseline, PartExam, Remeasure, compare, compare_part, compare_special_test

SUPINE = RomMethod(position="supine", device="goniometer", mode="passive")
PRONE = RomMethod(position="prone", device="goniometer", mode="passive")
INCLINOMETER = RomMethod(position="supine", device="inclinometer", mode="passive")
ACTIVE = RomMethod(position="supine", device="goniometer", mode="active")

BASELINE = Baseline(
    rom={("flexion", "left"): (110, SUPINE), ("internal_rotation", "right"): (38, PRONE)},
    slr={"right": 45},
    special_tests={("thomas", "left"): "positive", ("thomas", "right"): "negative", ("faber", "right"): "not_tested"},
)


def _rom(degrees, *, motion="flexion", side="left", method=SUPINE) -> Remeasure:
    return Remeasure(kind="rom", code=motion, side=side, degrees=degrees, method=method)


@pytest.mark.parametrize(
    ("measure", "mdc", "change", "text"),
    [
        # Hip ROM against the baseline's 110°, MDC 5° by default: beyond it only when strictly more.
        (_rom(116), 5, Change.IMPROVED, "changed beyond MDC: better"),
        (_rom(115), 5, Change.NO_CHANGE, "within MDC"),
        (_rom(105), 5, Change.NO_CHANGE, "within MDC"),
        (_rom(104), 5, Change.WORSE, "changed beyond MDC: worse"),
        (_rom(110), 5, Change.NO_CHANGE, "within MDC"),
        # The clinic's own MDC decides.
        (_rom(116), 8, Change.NO_CHANGE, "within MDC"),
        (_rom(116), Decimal("5.5"), Change.IMPROVED, "changed beyond MDC: better"),
        # Never compare readings taken another way.
        (_rom(130, method=PRONE), 5, Change.NOT_COMPARABLE, "taken supine then prone: not comparable"),
        (
            _rom(130, method=INCLINOMETER),
            5,
            Change.NOT_COMPARABLE,
            "measured with a goniometer then an inclinometer: not comparable",
        ),
        (_rom(130, method=ACTIVE), 5, Change.NOT_COMPARABLE, "passive then active range: not comparable"),
        # No baseline reading for that motion or side.
        (_rom(40, motion="abduction"), 5, Change.NOT_COMPARABLE, "not comparable: a reading is missing"),
        (_rom(110, side="right"), 5, Change.NOT_COMPARABLE, "not comparable: a reading is missing"),
        (_rom(44, motion="internal_rotation", side="right", method=PRONE), 5, Change.IMPROVED, None),
        # SLR angle against 45° on the right, judged as hip flexion with the ROM MDC.
        (Remeasure(kind="slr", code="slr", side="right", degrees=60), 5, Change.IMPROVED, None),
        (Remeasure(kind="slr", code="slr", side="right", degrees=50), 5, Change.NO_CHANGE, "within MDC"),
        (Remeasure(kind="slr", code="slr", side="right", degrees=39), 5, Change.WORSE, None),
        (Remeasure(kind="slr", code="slr", side="left", degrees=70), 5, Change.NOT_COMPARABLE, None),
        # Special tests: a result, no MDC.
        (Remeasure(kind="special_test", code="thomas", side="left", result="negative"), 5, Change.IMPROVED, None),
        (Remeasure(kind="special_test", code="thomas", side="right", result="positive"), 5, Change.WORSE, None),
        (Remeasure(kind="special_test", code="thomas", side="left", result="positive"), 5, Change.NO_CHANGE, None),
        (
            Remeasure(kind="special_test", code="faber", side="right", result="positive"),
            5,
            Change.NOT_COMPARABLE,
            "not comparable: not tested at baseline",
        ),
        (Remeasure(kind="special_test", code="ober", side="left", result="negative"), 5, Change.NOT_COMPARABLE, None),
    ],
)
def test_compare_with_the_baseline(measure, mdc, change, text):
    comparison = compare(measure, BASELINE, rom_mdc=mdc)
    assert comparison.change == change
    if text is not None:
        assert comparison.text == text


def test_rom_uses_the_progress_pages_rule_text():
    assert compare(_rom(116), BASELINE).rule == "change beyond MDC 5°"
    assert compare(_rom(114), BASELINE, rom_mdc=Decimal("5.0")).rule == "change within MDC 5°"
    assert compare(_rom(116), BASELINE).baseline == "110°"


def test_a_rom_section_not_tested_at_baseline_says_so():
    baseline = Baseline(rom={}, slr={}, special_tests={}, not_tested=frozenset({"rom"}))
    assert compare(_rom(116), baseline).text == "not comparable: not tested at baseline"


@pytest.mark.parametrize(
    ("baseline", "current", "change", "text"),
    [
        ("positive", "negative", Change.IMPROVED, "changed: better"),
        ("negative", "positive", Change.WORSE, "changed: worse"),
        ("positive", "positive", Change.NO_CHANGE, "unchanged"),
        ("negative", "negative", Change.NO_CHANGE, "unchanged"),
        ("not_tested", "negative", Change.NOT_COMPARABLE, "not comparable: not tested at baseline"),
        (None, "positive", Change.NOT_COMPARABLE, "not comparable: not tested at baseline"),
    ],
)
def test_compare_special_test(baseline, current, change, text):
    comparison = compare_special_test(baseline, current)
    assert (comparison.change, comparison.text) == (change, text)


@pytest.mark.parametrize(("baseline", "current"), [("positive", "not_tested"), ("maybe", "positive"), (None, "")])
def test_compare_special_test_refuses_unknown_results(baseline, current):
    with pytest.raises(ValueError, match="result"):
        compare_special_test(baseline, current)


# --- PART --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exam", "supports", "letters"),
    [
        (PartExam(), False, "none"),
        (PartExam(pain=True), False, "P"),
        (PartExam(asymmetry=True), False, "A"),
        # Two criteria, neither A nor R: not enough.
        (PartExam(pain=True, tissue_tone=True), False, "P, T"),
        (PartExam(pain=True, asymmetry=True), True, "P, A"),
        (PartExam(pain=True, range_of_motion=True), True, "P, R"),
        (PartExam(asymmetry=True, range_of_motion=True), True, "A, R"),
        (PartExam(range_of_motion=True, tissue_tone=True), True, "R, T"),
        (PartExam(pain=True, asymmetry=True, range_of_motion=True, tissue_tone=True), True, "P, A, R, T"),
    ],
)
def test_part_supports_subluxation(exam, supports, letters):
    assert measures.part_supports_subluxation(exam) is supports
    assert exam.letters == letters


@pytest.mark.parametrize(
    ("first", "current", "change", "text"),
    [
        (None, PartExam(pain=True), Change.NOT_COMPARABLE, "not comparable: first exam of this segment"),
        (
            PartExam(pain=True, asymmetry=True, tissue_tone=True),
            PartExam(pain=True),
            Change.IMPROVED,
            "changed: better",
        ),
        (PartExam(pain=True), PartExam(pain=True, asymmetry=True), Change.WORSE, "changed: worse"),
        (PartExam(pain=True), PartExam(tissue_tone=True), Change.NO_CHANGE, "unchanged"),
        (PartExam(), PartExam(), Change.NO_CHANGE, "unchanged"),
    ],
)
def test_compare_part(first, current, change, text):
    comparison = compare_part(first, current)
    assert (comparison.change, comparison.text) == (change, text)


# --- Values ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "rom", "code": "flexion", "side": "left", "degrees": 110}, "records how it was taken"),
        ({"kind": "rom", "code": "flexion", "side": "left", "degrees": 1200, "method": SUPINE}, "not plausible"),
        ({"kind": "rom", "code": "extension", "side": "left", "degrees": -31, "method": SUPINE}, "not plausible"),
        ({"kind": "rom", "code": "flexion", "side": "middle", "degrees": 110, "method": SUPINE}, "side must be"),
        ({"kind": "rom", "code": "circumduction", "side": "left", "degrees": 1, "method": SUPINE}, "Unknown"),
        (
            {"kind": "rom", "code": "flexion", "side": "left", "degrees": 110, "method": SUPINE, "result": "positive"},
            "Only a special test",
        ),
        ({"kind": "slr", "code": "slr", "side": "left", "degrees": 161}, "SLR angle must be"),
        ({"kind": "slr", "code": "slr", "side": "left", "degrees": True}, "SLR angle must be"),
        ({"kind": "slr", "code": "slr", "side": "left", "degrees": None}, "Give the degrees"),
        ({"kind": "slr", "code": "slr", "side": "left", "degrees": 40, "method": SUPINE}, "no ROM method"),
        ({"kind": "slr", "code": "flexion", "side": "left", "degrees": 40}, "Unknown"),
        ({"kind": "special_test", "code": "thomas", "side": "left", "result": "not_tested"}, "positive or negative"),
        (
            {"kind": "special_test", "code": "thomas", "side": "left", "result": "positive", "degrees": 40},
            "not degrees",
        ),
        ({"kind": "special_test", "code": "lachman", "side": "left", "result": "positive"}, "Unknown"),
        ({"kind": "fms", "code": "deep_squat", "side": "left", "degrees": 2}, "Unknown"),
    ],
)
def test_impossible_remeasures_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        Remeasure(**arguments)


@pytest.mark.parametrize(
    ("measure", "label", "shown"),
    [
        (_rom(-4, motion="extension"), "Hip extension left", "-4°"),
        (Remeasure(kind="slr", code="slr", side="right", degrees=45), "SLR angle right", "45°"),
        (
            Remeasure(kind="special_test", code="faber", side="left", result="positive"),
            "FABER (Patrick) test left",
            "Positive",
        ),
    ],
)
def test_labels_and_values_as_shown(measure, label, shown):
    assert (measure.label, measure.shown) == (label, shown)


def test_the_part_rule_is_cited_in_the_readers_words():
    assert measures.PART_SOURCE == "PART criteria text (secondary)"
    assert "S225" not in measures.PART_RULE
    assert "DOMAIN" not in measures.PART_RULE
