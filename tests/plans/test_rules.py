"""The plan generator: rule selection, contraindications, red flags, merging, prongs, schedule and goals
(DOMAIN A; B5.7; B6.2; B7)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from assessments.findings import ExamInput, SpecialTest, derive_findings
from intake.scoring import is_meaningful_change
from plans.library import (
    CONTRAINDICATIONS,
    DEFAULT_VISITS_PER_WEEK,
    DEFAULT_WEEKS,
    INTAKE_FACT_LABELS,
    INTERVENTIONS_BY_KEY,
    LOAD_FACT_LABELS,
    PLAN_RULES,
    PLAN_RULES_BY_KEY,
    Dosage,
    PlanRule,
    Prong,
    RuleItem,
    with_side,
)
from plans.rules import (
    GOAL_SETTING_DEFAULTS,
    BaselineFacts,
    Draft,
    FindingFact,
    Library,
    RedFlagFact,
    finding_detail,
    generate,
    goals_from_baseline,
)

D = Decimal
SEED = Library.seed()
BASE = ("hip-flexor-stretch", "glute-bridge")  # the always rule (Part A)


def finding(code, side=None, label=None, detail=""):
    return FindingFact(code, side, label or (f"{code} – {side}" if side else code), detail)


def flag(code, tier, *, open=True):
    return RedFlagFact(code, tier, f"flag {code}", open)


def draft(findings=(), red_flags=(), load_facts=(), intake_facts=(), baseline=None, library=SEED, mcid=None) -> Draft:
    return generate(
        findings=list(findings),
        red_flags=list(red_flags),
        load_facts=load_facts,
        intake_facts=intake_facts,
        baseline=baseline or BaselineFacts(),
        library=library,
        mcid=mcid,
    )


def keys(result: Draft) -> list[str]:
    return [item.intervention for item in result.items]


def item(result: Draft, key: str):
    return next(entry for entry in result.items if entry.intervention == key)


def excluded(result: Draft) -> set[tuple[str, str, bool]]:
    return {(entry.intervention, entry.contraindication, entry.hard) for entry in result.excluded}


def with_rule(*rules: PlanRule) -> Library:
    return Library(SEED.interventions, (*rules, *PLAN_RULES), CONTRAINDICATIONS)


STRETCHES = PlanRule(
    key="test-stretches",
    name="Test: post-run stretches",
    when_findings=frozenset({"test_trigger"}),
    items=(RuleItem("hamstring-stretch"), RuleItem("itb-stretch"), RuleItem("piriformis-stretch")),
    visits_per_week=1,
    weeks=6,
    running_advice=(),
    source="test",
)
TRIGGER = finding("test_trigger", label="Test trigger")


# --- Rule selection ------------------------------------------------------------------------------------


def test_no_facts_gives_the_base_programme_only():
    result = draft()
    assert keys(result) == list(BASE)
    assert all(entry.rules == ("base-programme",) for entry in result.items)
    assert result.missing_prongs == (Prong.MANIPULATION, Prong.SOFT_TISSUE)
    assert not result.blocked
    assert result.excluded == ()
    assert result.referrals == ()
    assert (result.visits_per_week, result.weeks) == (DEFAULT_VISITS_PER_WEEK, DEFAULT_WEEKS)
    assert result.running_advice == PLAN_RULES_BY_KEY["base-programme"].running_advice
    assert result.goals == ()


def _triggers():
    for rule in PLAN_RULES:
        for code in sorted(rule.when_findings):
            detail = rule.when_detail
            yield pytest.param(rule, finding(code, "left", detail=detail), [], [], id=f"{rule.key}-{code}")
        for code in sorted(rule.when_load_facts):
            yield pytest.param(rule, None, [code], [], id=f"{rule.key}-{code}")
        for code in sorted(rule.when_intake):
            yield pytest.param(rule, None, [], [code], id=f"{rule.key}-{code}")


@pytest.mark.parametrize(("rule", "fact", "loads", "intakes"), list(_triggers()))
def test_every_seeded_rule_selects_its_items_and_advice_from_each_trigger(rule, fact, loads, intakes):
    result = draft([fact] if fact else [], load_facts=loads, intake_facts=intakes)
    label = fact.label if fact else (LOAD_FACT_LABELS | INTAKE_FACT_LABELS)[(loads or intakes)[0]]
    for rule_item in rule.items:
        chosen = item(result, rule_item.intervention)
        assert rule.key in chosen.rules
        assert label in chosen.because
    for advice in rule.running_advice:
        assert with_side(advice, fact.side if fact else None) in result.running_advice
    for note in rule.notes:
        assert note in result.notes


@pytest.mark.parametrize(
    ("findings", "loads", "intakes", "expected"),
    [
        (
            [finding("hip_flexor_tightness", "left")],
            [],
            [],
            ["hip-mobilisation", "hip-flexor-soft-tissue", "hip-flexor-stretch", "glute-bridge"],
        ),
        (
            [finding("deep_gluteal_piriformis", "right")],
            [],
            [],
            [
                "gluteal-piriformis-release",
                "foam-rolling",
                "icing",
                "damp-heat",
                "piriformis-stretch",
                "side-lying-hip-abduction",
                "glute-bridge",
                "hip-flexor-stretch",
            ],
        ),
        (
            [finding("neural_tension_positive", "left")],
            [],
            [],
            ["lumbar-mobilisation", "bird-dog", "plank", "hip-flexor-stretch", "glute-bridge"],
        ),
        (
            [finding("contralateral_hip_drop")],
            [],
            [],
            ["side-lying-hip-abduction", "clamshell", "single-leg-deadlift", "glute-bridge", "hip-flexor-stretch"],
        ),
        (
            [finding("si_joint_pain_pattern", "left")],
            [],
            [],
            ["lumbopelvic-thrust", "bird-dog", "glute-bridge", "hip-flexor-stretch"],
        ),
        (
            [finding("tfl_itb_tension", "right")],
            [],
            [],
            ["tfl-itb-soft-tissue", "foam-rolling", "side-lying-hip-abduction", "hip-flexor-stretch", "glute-bridge"],
        ),
        (
            [finding("gluteal_tendinopathy", "left")],
            [],
            [],
            ["side-lying-hip-abduction", "glute-bridge", "hip-flexor-stretch"],
        ),
        (
            [finding("fms_low_composite")],
            [],
            [],
            ["plank", "side-plank", "bird-dog", "single-leg-deadlift", "hip-flexor-stretch", "glute-bridge"],
        ),
        (
            [finding("reduced_hip_internal_rotation", "left")],
            [],
            [],
            ["hip-mobilisation", "hip-flexor-stretch", "glute-bridge"],
        ),
        (
            [],
            [],
            ["back_pain"],
            [
                "lumbar-hvla-thrust",
                "paraspinal-massage",
                "damp-heat",
                "glute-bridge",
                "plank",
                "bird-dog",
                "hip-flexor-stretch",
            ],
        ),
        ([finding("overstriding")], [], [], list(BASE)),
        ([finding("overpronation")], [], [], list(BASE)),
        ([], ["single_run_spike"], [], list(BASE)),
        ([], [], ["hip_pain"], list(BASE)),  # no rule reads hip pain alone
        ([finding("fai_suspected", "left")], [], [], list(BASE)),  # a contraindication, not a rule
    ],
)
def test_items_per_pattern_in_prong_order(findings, loads, intakes, expected):
    assert keys(draft(findings, load_facts=loads, intake_facts=intakes)) == expected


def test_advice_only_rules():
    result = draft([finding("overpronation"), finding("forward_lean_from_waist")], load_facts=["distance_progression"])
    advice = " ".join(result.running_advice)
    assert "orthotics" in advice
    assert "from your ankles" in advice
    assert "about 10 %" in advice
    assert "not a guarantee" in advice
    assert any("podiatrist" in note for note in result.notes)
    assert any("gait analysis" in note for note in result.notes)


def test_running_advice_is_deduplicated_in_rule_order():
    result = draft(
        [finding("tfl_itb_tension", "left"), finding("hip_abductor_weakness", "left"), finding("overstriding")]
    )
    stride = [advice for advice in result.running_advice if "shorter steps" in advice]
    assert len(stride) == 1
    expected = []
    for rule in PLAN_RULES:
        if rule.key in {"abductor-weakness-hip-drop", "lateral-hip-itb-tfl", "running-form", "base-programme"}:
            expected += [advice for advice in rule.running_advice if advice not in expected]
    assert list(result.running_advice) == expected


def test_a_rule_matches_on_any_one_condition():
    rule = PLAN_RULES_BY_KEY["non-specific-back-pain"]
    by_finding = draft([finding("non_specific_low_back_pain", label="Non-specific LBP")])
    by_intake = draft(intake_facts=["back_pain"])
    for result in (by_finding, by_intake):
        assert {entry.intervention for entry in result.items} >= {entry.intervention for entry in rule.items}
    assert item(by_finding, "paraspinal-massage").because == ("Non-specific LBP",)
    assert item(by_intake, "paraspinal-massage").because == ("Back pain reported at intake",)


def test_clinician_conditions_select_like_the_matching_findings():
    pairs = [
        ("lumbar_radiculopathy", "neural_tension_positive"),
        ("si_joint_pain", "si_joint_pain_pattern"),
        ("piriformis_syndrome", "deep_gluteal_piriformis"),
        ("itb_tfl_pain", "tfl_itb_tension"),
        ("hip_flexor_strain", "hip_flexor_tightness"),
    ]
    for condition, code in pairs:
        assert keys(draft([finding(condition)])) == keys(draft([finding(code)])), condition


# --- Thomas test: every tight structure of a side chooses its items (DOMAIN B4; B7.1) ------------------------


@pytest.mark.parametrize(
    ("tight", "rules"),
    [
        ({"iliopsoas", "rectus_femoris"}, {"hip-flexor-pattern"}),
        ({"iliopsoas", "tfl_itb"}, {"hip-flexor-pattern", "lateral-hip-itb-tfl"}),
        ({"rectus_femoris", "tfl_itb"}, {"hip-flexor-pattern", "lateral-hip-itb-tfl"}),
        ({"iliopsoas", "rectus_femoris", "tfl_itb"}, {"hip-flexor-pattern", "lateral-hip-itb-tfl"}),
    ],
)
def test_each_tight_thomas_structure_reaches_the_plan(tight, rules):
    exam = ExamInput(special_tests={"thomas": {"right": SpecialTest("positive", tight=frozenset(tight))}})
    facts = [FindingFact(found.code, found.side, found.label) for found in derive_findings(exam)]
    result = draft(facts)
    chosen = {rule for entry in result.items for rule in entry.rules}
    assert chosen - {"base-programme"} == rules
    labels = {label for entry in result.items for label in entry.because}
    assert {fact.label for fact in facts} <= labels


# --- Leg length: heel lift only for a structural discrepancy (DOMAIN A "Heel lift"; B3.3) -------------------

HEEL_LIFT = PLAN_RULES_BY_KEY["structural-leg-length"].running_advice[0]


def _lld(true, apparent):
    exam = ExamInput(true_left=true[0], true_right=true[1], apparent_left=apparent[0], apparent_right=apparent[1])
    (only,) = derive_findings(exam)
    return FindingFact(only.code, only.side, only.label)


@pytest.mark.parametrize(
    ("true", "apparent", "interpretation"),
    [
        ((850, 840), (900, 890), "structural"),
        ((850, 828), (900, 878), "structural"),  # significant band
        ((850, 840), (900, 900), "mixed"),
        ((850, 840), (None, None), "unclassified"),  # "structural or mixed": never a heel lift
        ((850, 850), (900, 890), "functional"),
    ],
)
def test_heel_lift_advice_only_for_a_structural_discrepancy(true, apparent, interpretation):
    fact = _lld(true, apparent)
    assert finding_detail(fact) == interpretation
    result = draft([fact])
    assert (with_side(HEEL_LIFT, fact.side) in result.running_advice) == (interpretation == "structural")
    assert "6 mm" in HEEL_LIFT
    assert "within a week" in HEEL_LIFT


@pytest.mark.parametrize(
    ("fact", "detail"),
    [
        (finding("leg_length_discrepancy", "left", label="LLD entered by hand"), ""),
        (finding("leg_length_discrepancy", "left", label="LLD entered by hand", detail="structural"), "structural"),
        (
            finding("leg_length_discrepancy", "left", label="x, left short, structural (y)", detail="functional"),
            "functional",
        ),
        (finding("hip_flexor_tightness", "left", label="x, left short, structural (y)"), ""),
    ],
)
def test_finding_detail_explicit_wins_and_free_labels_give_nothing(fact, detail):
    assert finding_detail(fact) == detail
    assert (with_side(HEEL_LIFT, "left") in draft([fact]).running_advice) == (detail == "structural")


# --- Merging, ordering, dosage -----------------------------------------------------------------------------


def test_an_intervention_chosen_by_several_rules_appears_once_with_merged_because():
    findings = [
        finding("hip_flexor_tightness", "left", "Hip flexor tightness – left"),
        finding("hip_flexor_tightness", "right", "Hip flexor tightness – right"),
        finding("hip_abductor_weakness", "left", "Hip abductor (gluteus medius) weakness – left"),
    ]
    result = draft(findings, intake_facts=["back_pain"])
    assert len(keys(result)) == len(set(keys(result)))
    bridge = item(result, "glute-bridge")
    assert bridge.because == (
        "Hip flexor tightness – left",
        "Hip flexor tightness – right",
        "Hip abductor (gluteus medius) weakness – left",
        "Back pain reported at intake",
        PLAN_RULES_BY_KEY["base-programme"].name,
    )
    assert bridge.rules == (
        "hip-flexor-pattern",
        "abductor-weakness-hip-drop",
        "non-specific-back-pain",
        "base-programme",
    )
    stretch = item(result, "hip-flexor-stretch")
    assert stretch.because[:2] == ("Hip flexor tightness – left", "Hip flexor tightness – right")


def test_a_repeated_finding_label_is_listed_once():
    same = finding("tfl_itb_tension", "left", "TFL / ITB tension – left")
    assert item(draft([same, same]), "foam-rolling").because == ("TFL / ITB tension – left",)


def test_items_are_ordered_by_prong_then_first_selection():
    result = draft([finding("fms_low_composite"), finding("si_joint_pain_pattern", "left")], intake_facts=["back_pain"])
    prongs = [entry.prong for entry in result.items]
    assert prongs == sorted(prongs, key=[Prong.MANIPULATION, Prong.SOFT_TISSUE, Prong.EXERCISE].index)
    assert keys(result)[:2] == ["lumbopelvic-thrust", "lumbar-hvla-thrust"]  # SI rule precedes back pain rule
    assert [key for key in keys(result) if INTERVENTIONS_BY_KEY[key].prong is Prong.EXERCISE][:3] == [
        "bird-dog",
        "glute-bridge",
        "plank",
    ]


def _dosage_library(first: Dosage | None, second: Dosage | None) -> Library:
    rules = (
        PlanRule("first", "First", frozenset({"a"}), (RuleItem("plank", first),), 1, 6, (), "test"),
        PlanRule("second", "Second", frozenset({"b"}), (RuleItem("plank", second),), 1, 6, (), "test"),
    )
    return Library(SEED.interventions, rules, ())


OVERRIDE_A = Dosage(sets=3, reps="20 s", frequency="daily")
OVERRIDE_B = Dosage(sets=1, reps="10 s")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (None, None, INTERVENTIONS_BY_KEY["plank"].dosage),
        (OVERRIDE_A, None, OVERRIDE_A),
        (OVERRIDE_A, OVERRIDE_B, OVERRIDE_A),
        (None, OVERRIDE_B, OVERRIDE_B),  # an override wins over the intervention's default
    ],
)
def test_dosage_is_the_first_override_else_the_default(first, second, expected):
    result = draft([finding("a"), finding("b")], library=_dosage_library(first, second))
    assert item(result, "plank").dosage == expected
    assert item(result, "plank").rules == ("first", "second")


def test_missing_prongs():
    assert draft([finding("overpronation")]).missing_prongs == (Prong.MANIPULATION, Prong.SOFT_TISSUE)
    assert draft([finding("tfl_itb_tension")]).missing_prongs == (Prong.MANIPULATION,)
    assert draft([finding("hip_flexor_tightness")]).missing_prongs == ()
    empty = Library(SEED.interventions, (), CONTRAINDICATIONS)
    result = draft([finding("hip_flexor_tightness")], library=empty)
    assert result.items == ()
    assert result.missing_prongs == tuple(Prong)
    assert (result.visits_per_week, result.weeks) == (DEFAULT_VISITS_PER_WEEK, DEFAULT_WEEKS)


def test_a_prong_emptied_by_a_contraindication_is_missing():
    result = draft([finding("si_joint_pain_pattern", "left")], [flag("night_pain", "urgent")])
    assert "lumbopelvic-thrust" not in keys(result)
    assert result.missing_prongs == (Prong.MANIPULATION, Prong.SOFT_TISSUE)


# --- Schedule (DOMAIN silent: the largest over the matched rules) ---------------------------------------------


def test_schedule_is_the_largest_over_matched_rules():
    assert (draft([finding("gluteal_tendinopathy")]).weeks, draft().weeks) == (8, DEFAULT_WEEKS)
    busy = PlanRule("busy", "Busy", frozenset({"busy"}), (), 3, 4, ("Test advice.",), "test")
    result = draft([finding("busy"), finding("gluteal_tendinopathy")], library=with_rule(busy))
    assert (result.visits_per_week, result.weeks) == (3, 8)
    assert (draft(library=with_rule(busy)).visits_per_week) == DEFAULT_VISITS_PER_WEEK  # rule not matched


# --- Contraindications and red flags (DOMAIN A; B6.2; B7.2; B7.5) --------------------------------------------


def test_neural_tension_excludes_hamstring_stretch_softly():
    result = draft(
        [TRIGGER, finding("neural_tension_positive", "left", "Positive neural tension test – left")],
        library=with_rule(STRETCHES),
    )
    assert "hamstring-stretch" not in keys(result)
    assert "itb-stretch" in keys(result)
    assert "piriformis-stretch" in keys(result)
    (entry,) = [entry for entry in result.excluded if entry.intervention == "hamstring-stretch"]
    assert (entry.contraindication, entry.hard, entry.prong) == ("radicular-hamstring-stretch", False, Prong.EXERCISE)
    assert entry.because == ("Positive neural tension test – left",)
    assert "nerve" in entry.reason


def test_without_radicular_signs_the_hamstring_stretch_stays():
    assert "hamstring-stretch" in keys(draft([TRIGGER], library=with_rule(STRETCHES)))


@pytest.mark.parametrize("code", ["gluteal_tendinopathy"])
def test_gluteal_tendinopathy_excludes_adducted_stretches_and_trochanter_compression(code):
    findings = [TRIGGER, finding(code, "left"), finding("tfl_itb_tension", "left"), finding("piriformis_syndrome")]
    result = draft(findings, library=with_rule(STRETCHES))
    gone = {"itb-stretch", "piriformis-stretch", "tfl-itb-soft-tissue"}
    assert not gone & set(keys(result))
    assert {(key, "gluteal-tendinopathy-compression", False) for key in gone} <= excluded(result)
    assert {"side-lying-hip-abduction", "glute-bridge", "hamstring-stretch", "foam-rolling"} <= set(keys(result))
    assert result.weeks == 8
    assert any("pillow between your knees" in advice for advice in result.running_advice)
    assert any("legs crossed" in advice for advice in result.running_advice)


def test_suspected_fai_excludes_deep_flexion_with_adduction():
    result = draft([finding("deep_gluteal_piriformis", "left"), finding("fai_suspected", "left")])
    assert "piriformis-stretch" not in keys(result)
    assert ("piriformis-stretch", "fai-deep-flexion-adduction", False) in excluded(result)


def test_an_item_excluded_twice_is_listed_per_contraindication():
    result = draft([finding("piriformis_syndrome"), finding("fai_suspected"), finding("gluteal_tendinopathy")])
    assert {entry.contraindication for entry in result.excluded if entry.intervention == "piriformis-stretch"} == {
        "gluteal-tendinopathy-compression",
        "fai-deep-flexion-adduction",
    }


def test_radicular_signs_make_thrust_a_soft_exclusion():
    result = draft([finding("lumbar_radiculopathy")], intake_facts=["back_pain"])
    assert "lumbar-hvla-thrust" not in keys(result)
    assert "lumbar-mobilisation" in keys(result)
    assert excluded(result) == {("lumbar-hvla-thrust", "radicular-thrust-relative", False)}
    assert result.referrals == ()


EMERGENCY_FACTS = {
    "findings": [finding("hip_flexor_tightness", "left"), finding("si_joint_pain_pattern", "left")],
    "intake_facts": ["back_pain"],
    "load_facts": ["distance_progression"],
    "baseline": BaselineFacts(nprs=D(6), odi=D(40)),
}


@pytest.mark.parametrize("code", ["saddle_numbness", "major_trauma", "aaa_signs", "leg_weakness"])
def test_an_open_emergency_flag_blocks_the_plan(code):
    unblocked = draft(**EMERGENCY_FACTS)
    result = draft(red_flags=[flag(code, "emergency")], **EMERGENCY_FACTS)
    assert result.blocked
    assert result.items == ()
    assert result.goals == ()
    assert result.running_advice == ()
    assert result.notes == ()
    assert result.missing_prongs == tuple(Prong)
    assert [entry.intervention for entry in result.excluded] == keys(unblocked)
    for entry in result.excluded:
        assert (entry.contraindication, entry.hard, entry.because) == ("emergency-red-flag", True, (f"flag {code}",))
        assert "emergency" in entry.reason
    assert len(result.referrals) == 1
    assert result.referrals[0].startswith("Emergency care now")


def test_a_blocked_plan_also_lists_other_referrals():
    result = draft(red_flags=[flag("saddle_numbness", "emergency"), flag("night_pain", "urgent")])
    assert result.blocked
    assert [referral.split(":")[0] for referral in result.referrals] == ["Emergency care now", "Urgent medical review"]
    assert {entry.contraindication for entry in result.excluded} == {"emergency-red-flag"}


@pytest.mark.parametrize(
    ("code", "contraindications"),
    [
        ("night_pain", {"urgent-red-flag"}),
        ("weight_loss", {"urgent-red-flag"}),
        ("serious_spinal_signs", {"urgent-red-flag"}),
        ("infection_signs", {"urgent-red-flag", "manipulation-absolute-red-flag"}),
        ("cancer_history", {"urgent-red-flag", "manipulation-absolute-red-flag"}),
        ("fragility_fracture", {"urgent-red-flag", "manipulation-absolute-red-flag"}),
    ],
)
def test_an_open_urgent_flag_blocks_spinal_thrust_only(code, contraindications):
    facts = {"findings": [finding("si_joint_pain_pattern", "left")], "intake_facts": ["back_pain"]}
    result = draft(red_flags=[flag(code, "urgent")], **facts)
    assert not result.blocked
    assert not {"lumbar-hvla-thrust", "lumbopelvic-thrust"} & set(keys(result))
    assert excluded(result) == {
        (key, contraindication, True)
        for key in ("lumbopelvic-thrust", "lumbar-hvla-thrust")
        for contraindication in contraindications
    }
    assert {"paraspinal-massage", "damp-heat", "glute-bridge", "plank", "bird-dog"} <= set(keys(result))
    assert result.referrals == ("Urgent medical review: record medical clearance before any spinal manipulation.",)
    assert result.goals == draft(**facts).goals


def test_urgent_flag_leaves_mobilisation():
    result = draft([finding("neural_tension_positive")], [flag("night_pain", "urgent")])
    assert "lumbar-mobilisation" in keys(result)


@pytest.mark.parametrize("tier", ["emergency", "urgent"])
def test_a_cleared_flag_does_not_count(tier):
    facts = {"findings": [finding("si_joint_pain_pattern", "left")], "intake_facts": ["back_pain"]}
    result = draft(red_flags=[flag("cancer_history", tier, open=False)], **facts)
    assert result == draft(**facts)
    assert "lumbar-hvla-thrust" in keys(result)
    assert "lumbopelvic-thrust" in keys(result)
    assert result.referrals == ()
    assert not result.blocked


@pytest.mark.parametrize("code", ["age_caution", "leg_weakness_stable"])
def test_a_caution_flag_changes_nothing(code):
    facts = {"intake_facts": ["back_pain"]}
    assert draft(red_flags=[flag(code, "caution")], **facts) == draft(**facts)


def test_library_refuses_an_unknown_intervention():
    bad = PlanRule("bad", "Bad", frozenset({"x"}), (RuleItem("no-such-thing"),), 1, 6, (), "test")
    with pytest.raises(ValueError, match="no-such-thing"):
        Library(SEED.interventions, (bad,), ())


def test_library_refuses_a_misfiled_intervention():
    with pytest.raises(ValueError, match="filed under"):
        Library({"other": INTERVENTIONS_BY_KEY["plank"]}, (), ())


# --- Goals (DOMAIN B5.7) -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "expected"),
    [
        (BaselineFacts(nprs=D(6)), "Reduce pain (NPRS) from 6 to 4 or lower"),  # 30 % = 1.8 < 2
        (BaselineFacts(nprs=10), "Reduce pain (NPRS) from 10 to 8 or lower"),  # 2 < 3
        (BaselineFacts(nprs=D(5)), "Reduce pain (NPRS) from 5 to 3 or lower"),  # 1.5 -> 3.5 -> 3
        (BaselineFacts(nprs=D(2)), "Reduce pain (NPRS) from 2 to 1 or lower"),  # 0.6 -> 1.4 -> 1
        (BaselineFacts(nprs=D(1)), "Reduce pain (NPRS) from 1 to 0 ("),
        (BaselineFacts(odi=D(38)), "Reduce disability (ODI) from 38 % to 28 % or lower"),  # 10 < 11.4
        (BaselineFacts(odi=D(20)), "Reduce disability (ODI) from 20 % to 14 % or lower"),  # 6 < 10
        (BaselineFacts(odi=D(100) / 3), "Reduce disability (ODI) from 33.3 % to 23.3 % or lower"),
        (BaselineFacts(odi=D(1600) / 45), "Reduce disability (ODI) from 35.6 % to 25.5 % or lower"),
        (BaselineFacts(lefs=D(50)), "Improve function (LEFS) from 50 to 59 or higher"),
        (BaselineFacts(lefs=D(70)), "Improve function (LEFS) from 70 to 79 or higher"),
        (BaselineFacts(lefs=D(75)), "Improve function (LEFS) from 75 to 80, the top of the scale"),
        (
            BaselineFacts(rom_below_norm=(("extension", "left", 14, 30),)),
            "Improve hip extension – left from 14° to 25° or more (within the 5° MDC of the 30° norm)",
        ),
        (
            BaselineFacts(fms_composite=12),
            "Raise the FMS composite from 12 to above 14 (a screening cue for movement quality, not an injury "
            "prediction)",
        ),
        (BaselineFacts(fms_composite=14), "Raise the FMS composite from 14 to above 14"),
    ],
)
def test_goal_from_baseline(baseline, expected):
    (goal,) = goals_from_baseline(baseline)
    assert goal.startswith(expected)
    assert draft(baseline=baseline).goals == (goal,)


@pytest.mark.parametrize(
    "baseline",
    [
        BaselineFacts(),
        BaselineFacts(nprs=D(0)),  # nothing measurable to improve; the relative rule is guarded at 0
        BaselineFacts(odi=D(0)),
        BaselineFacts(lefs=D(80)),
        BaselineFacts(fms_composite=15),
        BaselineFacts(rom_below_norm=(("flexion", "right", 116, 120),)),  # within the 5° MDC of the norm
    ],
)
def test_no_goal(baseline):
    assert goals_from_baseline(baseline) == ()


def test_goals_come_in_a_fixed_order():
    baseline = BaselineFacts(
        nprs=D(6),
        odi=D(38),
        lefs=D(50),
        fms_composite=12,
        rom_below_norm=(("extension", "left", 14, 30), ("internal_rotation", "right", 30, 45)),
    )
    goals = goals_from_baseline(baseline)
    assert [goal.split(" (")[0].split(" from")[0] for goal in goals] == [
        "Reduce pain",
        "Reduce disability",
        "Improve function",
        "Improve hip extension – left",
        "Improve hip internal rotation – right",
        "Raise the FMS composite",
    ]
    assert "(a clinically important change: at least 2 points or 30 %)" in goals[0]
    assert "(a clinically important change: at least 10 points or 30 %)" in goals[1]
    assert "(a clinically important change: at least 9 points)" in goals[2]


def _target(goal: str) -> Decimal:
    return Decimal(re.search(r" to (\d+(?:\.\d)?)", goal).group(1))


@pytest.mark.parametrize("baseline", range(1, 11))
def test_nprs_target_is_the_first_whole_score_meeting_the_mcid(baseline):
    (goal,) = goals_from_baseline(BaselineFacts(nprs=baseline))
    target = _target(goal)
    assert is_meaningful_change("nprs", D(baseline), target)
    assert target == 0 or not is_meaningful_change("nprs", D(baseline), target + 1)


@pytest.mark.parametrize("baseline", [D(1), D(4), D("17.8"), D(30), D("33.4"), D(34), D(50), D(100)])
def test_odi_target_meets_the_mcid_and_is_the_least_one_decimal_can_show(baseline):
    (goal,) = goals_from_baseline(BaselineFacts(odi=baseline))
    target = _target(goal)
    assert is_meaningful_change("odi", baseline, target)
    assert not is_meaningful_change("odi", baseline, target + D("0.1"))


@pytest.mark.parametrize("baseline", range(0, 72))
def test_lefs_target_meets_the_mcid(baseline):
    (goal,) = goals_from_baseline(BaselineFacts(lefs=baseline))
    target = _target(goal)
    assert target == baseline + 9 or target == 80
    assert is_meaningful_change("lefs", D(baseline), target)


def test_clinic_settings_change_the_goals():
    baseline = BaselineFacts(
        nprs=D(6), odi=D(40), lefs=D(50), fms_composite=15, rom_below_norm=(("extension", "left", 22, 30),)
    )
    settings = {
        "nprs_mcid_points": D(1),
        "odi_mcid_relative": D("0.20"),
        "lefs_mcid": 5,
        "rom_mdc_deg": D(3),
        "fms_low_composite": D(15),
        "load_spike_pct": D(110),  # another clinic threshold: ignored
    }
    goals = goals_from_baseline(baseline, settings)
    assert goals[0].startswith(
        "Reduce pain (NPRS) from 6 to 5 or lower (a clinically important change: at least 1 points"
    )
    assert goals[1].startswith("Reduce disability (ODI) from 40 % to 32 % or lower")
    assert goals[2].startswith("Improve function (LEFS) from 50 to 55 or higher")
    assert goals[3].startswith("Improve hip extension – left from 22° to 27° or more (within the 3° MDC")
    assert goals[4].startswith("Raise the FMS composite from 15 to above 15")
    assert draft(baseline=baseline, mcid=settings).goals == goals


def test_goal_defaults_are_domains():
    assert {
        "odi_mcid_points": D(10),
        "odi_mcid_relative": D("0.30"),
        "lefs_mcid": D(9),
        "nprs_mcid_points": D(2),
        "nprs_mcid_relative": D("0.30"),
        "hos_adl_mcid": D(9),
        "hos_sport_mcid": D(6),
        "ihot12_mcid": D(14),
        "psfs_mdc_mean": D(2),
        "psfs_mdc_single": D(3),
        "rom_mdc_deg": D(5),
        "fms_low_composite": D(14),
    } == GOAL_SETTING_DEFAULTS


@pytest.mark.parametrize(
    ("baseline", "mcid", "message"),
    [
        (BaselineFacts(nprs=D(11)), None, "NPRS baseline must be 0-10"),
        (BaselineFacts(odi=D(-1)), None, "ODI baseline must be 0-100"),
        (BaselineFacts(lefs=D(81)), None, "LEFS baseline must be 0-80"),
        (BaselineFacts(nprs=True), None, "NPRS baseline must be an int or Decimal"),
        (BaselineFacts(nprs=6.0), None, "NPRS baseline must be an int or Decimal"),
        (BaselineFacts(fms_composite=22), None, "FMS composite"),
        (BaselineFacts(rom_below_norm=(("extension", "left", "14", 30),)), None, "ROM value"),
        (BaselineFacts(nprs=D(6)), {"nprs_mcid_points": "2"}, "nprs_mcid_points"),
        (BaselineFacts(nprs=D(6)), {"nprs_mcid_points": D(-1)}, "nprs_mcid_points"),
    ],
)
def test_goal_refusals(baseline, mcid, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        goals_from_baseline(baseline, mcid)
    with pytest.raises(ValueError, match=re.escape(message)):
        draft(baseline=baseline, mcid=mcid, red_flags=[flag("saddle_numbness", "emergency")])
