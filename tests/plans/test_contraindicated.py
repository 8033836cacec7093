"""Every library item the patient's facts contraindicate, whether or not a rule proposed it (DOMAIN A
"Contraindications"; B6.2; B7.2; B7.5), and the items no rule can choose ("clinician's choice only")."""

from __future__ import annotations

import re

import pytest

from plans.library import INTERVENTIONS, PLAN_RULES, PlanRule, RuleItem
from plans.rules import (
    CLINICIANS_CHOICE,
    SELECTABLE_FINDINGS,
    BaselineFacts,
    FindingFact,
    Library,
    RedFlagFact,
    add_item_marks,
    can_select,
    clinicians_choice_only,
    contraindicated,
    generate,
)

SEED = Library.seed()
SOFT_THRUST = ("radicular-thrust-relative", False)
HAMSTRING = ("radicular-hamstring-stretch", False)
GLUTEAL = ("gluteal-tendinopathy-compression", False)


def finding(code, side=None):
    return FindingFact(code, side, f"{code} – {side}" if side else code)


def flag(code, tier, *, open=True):
    return RedFlagFact(code, tier, f"flag {code}", open)


def listed(findings=(), red_flags=(), library=SEED):
    return [
        (entry.intervention, tuple((e.contraindication, e.hard) for e in entry.exclusions))
        for entry in contraindicated(findings=list(findings), red_flags=list(red_flags), library=library)
    ]


@pytest.mark.parametrize(
    ("findings", "red_flags", "expected"),
    [
        ([], [], []),
        ([finding("hip_flexor_tightness", "left")], [], []),
        # The example: no rule proposes the hamstring stretch, yet a positive SLR / slump excludes it.
        (
            [finding("neural_tension_positive", "right")],
            [],
            [
                ("lumbar-hvla-thrust", (SOFT_THRUST,)),
                ("lumbopelvic-thrust", (SOFT_THRUST,)),
                ("hamstring-stretch", (HAMSTRING,)),
            ],
        ),
        (
            [finding("lumbar_radiculopathy")],
            [],
            [
                ("lumbar-hvla-thrust", (SOFT_THRUST,)),
                ("lumbopelvic-thrust", (SOFT_THRUST,)),
                ("hamstring-stretch", (HAMSTRING,)),
            ],
        ),
        (
            [finding("gluteal_tendinopathy")],
            [],
            [("tfl-itb-soft-tissue", (GLUTEAL,)), ("piriformis-stretch", (GLUTEAL,)), ("itb-stretch", (GLUTEAL,))],
        ),
        ([finding("fai_suspected", "left")], [], [("piriformis-stretch", (("fai-deep-flexion-adduction", False),))]),
        (
            [finding("gluteal_tendinopathy"), finding("fai_suspected", "left")],
            [],
            [
                ("tfl-itb-soft-tissue", (GLUTEAL,)),
                ("piriformis-stretch", (GLUTEAL, ("fai-deep-flexion-adduction", False))),
                ("itb-stretch", (GLUTEAL,)),
            ],
        ),
        (
            [],
            [flag("night_pain", "urgent")],
            [
                ("lumbar-hvla-thrust", (("urgent-red-flag", True),)),
                ("lumbopelvic-thrust", (("urgent-red-flag", True),)),
            ],
        ),
        (
            [],
            [flag("cancer_history", "urgent")],
            [
                ("lumbar-hvla-thrust", (("urgent-red-flag", True), ("manipulation-absolute-red-flag", True))),
                ("lumbopelvic-thrust", (("urgent-red-flag", True), ("manipulation-absolute-red-flag", True))),
            ],
        ),
        ([], [flag("cancer_history", "urgent", open=False)], []),
        ([], [flag("cauda_equina", "emergency", open=False)], []),
    ],
)
def test_every_contraindicated_library_item_is_listed_with_each_exclusion(findings, red_flags, expected):
    assert listed(findings, red_flags) == expected


def test_an_open_emergency_flag_excludes_every_item_for_good():
    entries = contraindicated(findings=[], red_flags=[flag("cauda_equina", "emergency")], library=SEED)
    assert {entry.intervention for entry in entries} == {item.key for item in INTERVENTIONS}
    assert all(entry.hard for entry in entries)
    assert {entry.reasons for entry in entries} == {(SEED.contraindications[0].reason,)}


def test_an_entry_gives_its_name_prong_reasons_and_because_once_each():
    entries = contraindicated(
        findings=[finding("neural_tension_positive", "right"), finding("lumbar_radiculopathy")],
        red_flags=[flag("cancer_history", "urgent")],
        library=SEED,
    )
    thrust = next(entry for entry in entries if entry.intervention == "lumbar-hvla-thrust")
    assert thrust.name == "Lumbar spine manipulation (HVLA thrust)"
    assert thrust.prong == "manipulation"
    assert thrust.hard
    assert [e.contraindication for e in thrust.exclusions] == [
        "urgent-red-flag",
        "manipulation-absolute-red-flag",
        "radicular-thrust-relative",
    ]
    assert len(thrust.reasons) == 3
    assert thrust.because == ("flag cancer_history", "neural_tension_positive – right", "lumbar_radiculopathy")
    hamstring = next(entry for entry in entries if entry.intervention == "hamstring-stretch")
    assert not hamstring.hard


@pytest.mark.parametrize("code", sorted(SELECTABLE_FINDINGS))
def test_what_the_generator_leaves_out_is_always_in_the_full_list(code):
    """The draft's own exclusions are a part of the list the page shows, for every finding a rule can read."""
    findings = [finding(code, "left")]
    draft = generate(
        findings=findings,
        red_flags=[flag("cancer_history", "urgent")],
        load_facts=(),
        intake_facts=("back_pain", "hip_pain"),
        baseline=BaselineFacts(),
        library=SEED,
    )
    full = {
        (e.intervention, e.contraindication)
        for entry in contraindicated(findings=findings, red_flags=[flag("cancer_history", "urgent")], library=SEED)
        for e in entry.exclusions
    }
    assert {(e.intervention, e.contraindication) for e in draft.excluded} <= full


# --- Items no rule can choose -----------------------------------------------------------------------------

# Every seeded item no rule can choose, and why DOMAIN supports no rule for it. A new item that no rule chooses
# fails the test below until it is listed here (and is shown as "clinician's choice only").
CLINICIANS_CHOICE_ONLY = {
    "iastm": "B7.3: targets 'as above', no dosage source (unverified)",
    "active-release": "B7.3: targets 'as above', no dosage source (unverified)",
    "cat-cow": "B7.4: a purpose (spinal mobility) but no condition; B7.5 flexion caution",
    "childs-pose": "B7.4: a purpose (flexion stretch) but no condition; B7.5 flexion caution",
    "hamstring-stretch": "Part A prevention only, no tight-hamstring finding; B7.5 excludes it with neural tension",
    "itb-stretch": "not in B7.4; B7.5 excludes it in gluteal tendinopathy, which overlaps ITB / TFL pain (B7.1)",
}


def test_the_seeded_items_no_rule_can_choose_are_exactly_the_listed_ones():
    assert clinicians_choice_only(SEED) == frozenset(CLINICIANS_CHOICE_ONLY)


def test_every_seeded_rule_can_be_selected():
    assert [rule.key for rule in PLAN_RULES if not can_select(rule)] == []


def _rule(**conditions) -> PlanRule:
    return PlanRule(
        key="r",
        name="R",
        when_findings=conditions.pop("when_findings", frozenset()),
        items=(RuleItem("cat-cow"),),
        visits_per_week=1,
        weeks=1,
        running_advice=(),
        source="",
        **conditions,
    )


@pytest.mark.parametrize(
    ("rule", "selectable"),
    [
        (_rule(), False),
        (_rule(always=True), True),
        (_rule(when_findings=frozenset({"hip_flexor_tightness"})), True),  # derived from the exam
        (_rule(when_findings=frozenset({"piriformis_syndrome"})), True),  # a condition a clinician adds
        (_rule(when_findings=frozenset({"hip_flexor_tightnes"})), False),  # a typo: no finding has this code
        (_rule(when_findings=frozenset({"typo", "leg_length_discrepancy"}), when_detail="structural"), True),
        (_rule(when_load_facts=frozenset({"distance_progression"})), True),
        (_rule(when_load_facts=frozenset({"weekly_marathon"})), False),
        (_rule(when_intake=frozenset({"back_pain"})), True),
        (_rule(when_intake=frozenset({"neck_pain"})), False),
    ],
)
def test_a_rule_can_select_only_when_one_of_its_conditions_exists(rule, selectable):
    assert can_select(rule) is selectable
    library = Library(SEED.interventions, (*SEED.rules, rule), SEED.contraindications)
    assert ("cat-cow" in clinicians_choice_only(library)) is not selectable


def test_an_item_is_clinicians_choice_only_once_its_last_rule_is_gone():
    without = Library(
        SEED.interventions, [rule for rule in SEED.rules if rule.key != "si-joint-pattern"], SEED.contraindications
    )
    assert clinicians_choice_only(without) - clinicians_choice_only(SEED) == {"lumbopelvic-thrust"}


@pytest.mark.parametrize(
    ("findings", "red_flags", "expected"),
    [
        (
            [],
            [],
            dict.fromkeys(CLINICIANS_CHOICE_ONLY, CLINICIANS_CHOICE),
        ),
        (
            [finding("neural_tension_positive", "right")],
            [flag("cancer_history", "urgent")],
            {
                **dict.fromkeys(CLINICIANS_CHOICE_ONLY, CLINICIANS_CHOICE),
                "hamstring-stretch": f"contraindicated, needs a written reason; {CLINICIANS_CHOICE}",
                "lumbar-hvla-thrust": "contraindicated, cannot be added",
                "lumbopelvic-thrust": "contraindicated, cannot be added",
            },
        ),
    ],
)
def test_the_add_item_marks(findings, red_flags, expected):
    entries = contraindicated(findings=findings, red_flags=red_flags, library=SEED)
    assert add_item_marks(entries, clinicians_choice_only(SEED)) == expected


@pytest.mark.parametrize("contraindication", SEED.contraindications, ids=lambda c: c.key)
def test_a_reason_the_clinician_reads_cites_no_section_of_the_reference(contraindication):
    assert not re.search(r"DOMAIN|\(S\d|\bB\d|Part A", contraindication.reason), contraindication.reason
