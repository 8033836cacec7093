"""Patient-facing advice that depends on a side says which side, in the patient's words: the side of the
findings that chose an item or a rule's advice (DOMAIN A "Bilateral data", "Heel lift"; B3.1, B3.3)."""

from __future__ import annotations

import pytest

from assessments.findings import ExamInput, derive_findings
from plans.library import INTERVENTIONS, PLAN_RULES_BY_KEY, side_note, with_side
from plans.rules import BaselineFacts, FindingFact, Library, generate
from plans.versions import diff

SEED = Library.seed()


def finding(code, side=None, detail=""):
    return FindingFact(code, side, f"{code} – {side}" if side else code, detail)


def draft(findings):
    return generate(
        findings=findings, red_flags=[], load_facts=(), intake_facts=(), baseline=BaselineFacts(), library=SEED
    )


@pytest.mark.parametrize(
    ("text", "side", "expected"),
    [
        ("under your {side} heel", "left", "under your left heel"),
        ("under your {side} heel", "right", "under your right heel"),
        ("under your {side} heel", None, "under your heel"),
        ("lie on your {other} side and lift your {side} leg", "left", "lie on your right side and lift your left leg"),
        ("lie on your {other} side and lift your {side} leg", None, "lie on your side and lift your leg"),
        ("your {side}", None, "your "),
        ("no side here", "right", "no side here"),
        ("your {side} hip", "both", "your hip"),
    ],
)
def test_with_side(text, side, expected):
    assert with_side(text, side) == expected


@pytest.mark.parametrize(
    ("patient_side", "side", "expected"),
    [
        (
            "Stretch your {side} hip: kneel on your {side} knee.",
            "right",
            "Stretch your right hip: kneel on your right knee.",
        ),
        (
            "Stretch your {side} hip: kneel on your {side} knee.",
            "left",
            "Stretch your left hip: kneel on your left knee.",
        ),
        ("Stretch your {side} hip.", None, ""),  # no side: the instructions alone (both sides)
        ("Stretch your {side} hip.", "", ""),
        ("", "left", ""),  # no sided wording for this item
        ("   ", "left", ""),
    ],
)
def test_side_note(patient_side, side, expected):
    assert side_note(patient_side, side) == expected


@pytest.mark.parametrize("intervention", [item for item in INTERVENTIONS if item.patient_side], ids=lambda i: i.key)
@pytest.mark.parametrize("side", ["left", "right"])
def test_each_seeded_sided_wording_names_the_side_in_plain_words(intervention, side):
    note = side_note(intervention.patient_side, side)
    assert intervention.home_program
    assert f"your {side} " in note
    assert "{" not in note
    assert "}" not in note
    assert not any(word in note for word in ("DOMAIN", "B7", "(S"))


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ([], {"hip-flexor-stretch": None, "glute-bridge": None}),  # the base rule has no side
        ([finding("hip_flexor_tightness", "left")], {"hip-flexor-stretch": "left", "glute-bridge": None}),
        ([finding("reduced_hip_extension", "right")], {"hip-flexor-stretch": "right"}),
        (
            [finding("hip_flexor_tightness", "left"), finding("hip_flexor_tightness", "right")],
            {"hip-flexor-stretch": None},
        ),
        # A finding with no side does not take the side away.
        ([finding("hip_flexor_tightness", "left"), finding("hip_flexor_strain")], {"hip-flexor-stretch": "left"}),
        (
            [finding("hip_abductor_weakness", "right")],
            {"clamshell": "right", "side-lying-hip-abduction": "right", "single-leg-deadlift": "right"},
        ),
        (
            [finding("hip_abductor_weakness", "right"), finding("hip_flexor_tightness", "left")],
            {"single-leg-deadlift": "right", "hip-flexor-stretch": "left", "glute-bridge": None},
        ),
        # Chosen by findings on both sides (through two rules): both sides, as the instructions say.
        (
            [finding("hip_abductor_weakness", "right"), finding("deep_gluteal_piriformis", "left")],
            {"side-lying-hip-abduction": None, "piriformis-stretch": "left", "clamshell": "right"},
        ),
        ([finding("poor_single_leg_control", "left")], {"single-leg-deadlift": "left", "plank": None}),
    ],
)
def test_an_item_takes_the_one_side_of_the_findings_that_chose_it(findings, expected):
    sides = {item.intervention: item.side for item in draft(findings).items}
    assert {key: sides[key] for key in expected} == expected


HEEL_LIFT = PLAN_RULES_BY_KEY["structural-leg-length"].running_advice[0]


@pytest.mark.parametrize(
    ("true", "apparent", "heel"),
    [
        ((900, 888), (950, 939), "under your right heel"),  # the right leg is 12 mm short, structural
        ((888, 900), (939, 950), "under your left heel"),
    ],
)
def test_the_heel_lift_goes_under_the_short_legs_heel(true, apparent, heel):
    exam = ExamInput(true_left=true[0], true_right=true[1], apparent_left=apparent[0], apparent_right=apparent[1])
    (lld,) = derive_findings(exam)
    advice = [text for text in draft([FindingFact(lld.code, lld.side, lld.label)]).running_advice if "lift" in text]
    assert advice == [with_side(HEEL_LIFT, lld.side)]
    assert f"inside your {lld.side} shoe, {heel}, may help" in advice[0]


def test_a_heel_lift_with_no_side_still_reads():
    advice = draft([finding("leg_length_discrepancy", None, detail="structural")]).running_advice
    assert advice[0].startswith("A thin lift inside your shoe, under your heel, may help")


def test_a_change_of_side_is_a_change_between_versions():
    item = {"intervention": "hip-flexor-stretch", "name": "Hip-flexor stretch", "prong": "exercise"}
    before = {"items": [{**item, "side_note": "Stretch your left hip: kneel on your left knee."}]}
    after = {"items": [{**item, "side_note": "Stretch your right hip: kneel on your right knee."}]}
    (change,) = diff(before, after)
    assert (change.kind, change.subject) == ("changed", "Hip-flexor stretch – side")
    assert change.after == "Stretch your right hip: kneel on your right knee."
    # Bodies signed before sides were recorded read as no side.
    assert diff({"items": [item]}, {"items": [item]}) == []
