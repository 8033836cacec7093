"""The seed library: keys, references, exercises, tags, codes and sources (DOMAIN A; B6; B7)."""

from __future__ import annotations

import re

import pytest

from assessments.findings import CLINICIAN_CONDITION_LABELS, CLINICIAN_CONDITIONS, FINDING_CODES
from domain.citations import CLINIC_DEFAULT, citation
from intake.rules import RED_FLAG_QUESTIONS_BY_CODE, Tier, load_facts
from plans.library import (
    CITED_CONTRAINDICATIONS,
    CITED_INTERVENTIONS,
    CITED_PLAN_RULES,
    CONTRAINDICATIONS,
    DEFAULT_VISITS_PER_WEEK,
    DEFAULT_WEEKS,
    DOCUMENTED_UNUSED_TAGS,
    INTAKE_FACT_LABELS,
    INTERVENTIONS,
    INTERVENTIONS_BY_KEY,
    LOAD_FACT_LABELS,
    NOT_ENCODED,
    PLAN_RULES,
    PLAN_RULES_BY_KEY,
    PRONG_LABELS,
    PRONG_ORDER,
    Dosage,
    Prong,
)

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
EXERCISES = [item for item in INTERVENTIONS if item.prong is Prong.EXERCISE]
KNOWN_FINDINGS = set(FINDING_CODES) | set(CLINICIAN_CONDITION_LABELS)

# Column sizes of plans/models.py, so every seeded value fits the database.
INTERVENTION_LIMITS = {"key": 60, "name": 120, "target": 120, "technique": 200, "source": 600, "cautions": 1000}
INTERVENTION_LIMITS |= {"progression": 1000, "regression": 1000, "instructions": 3000, "illustration": 80}
DOSAGE_LIMITS = {"reps": 40, "hold_seconds": 40, "frequency": 60}
# As written, each source names its DOMAIN section for the developer; users read the citations.
CITED_SOURCES = {
    entry.key: entry.source for entry in (*CITED_INTERVENTIONS, *CITED_PLAN_RULES, *CITED_CONTRAINDICATIONS)
}


@pytest.mark.parametrize(
    ("entries", "what"),
    [(INTERVENTIONS, "intervention"), (PLAN_RULES, "rule"), (CONTRAINDICATIONS, "contraindication")],
)
def test_keys_are_unique_slugs(entries, what):
    keys = [entry.key for entry in entries]
    assert len(keys) == len(set(keys)), what
    for key in keys:
        assert SLUG.match(key), key
        assert len(key) <= 60


def test_by_key_maps_match_tuples():
    assert list(INTERVENTIONS_BY_KEY) == [item.key for item in INTERVENTIONS]
    assert list(PLAN_RULES_BY_KEY) == [rule.key for rule in PLAN_RULES]


def test_the_three_prongs_are_each_seeded():
    assert PRONG_ORDER == (Prong.MANIPULATION, Prong.SOFT_TISSUE, Prong.EXERCISE)
    assert set(PRONG_LABELS) == set(Prong)
    assert {item.prong for item in INTERVENTIONS} == set(Prong)


@pytest.mark.parametrize("rule", PLAN_RULES, ids=lambda rule: rule.key)
def test_rule_items_exist_and_conditions_are_known(rule):
    for item in rule.items:
        assert item.intervention in INTERVENTIONS_BY_KEY, item.intervention
    assert len({item.intervention for item in rule.items}) == len(rule.items)
    assert rule.when_findings <= KNOWN_FINDINGS, rule.when_findings - KNOWN_FINDINGS
    assert rule.when_load_facts <= set(LOAD_FACT_LABELS)
    assert rule.when_intake <= set(INTAKE_FACT_LABELS)
    has_condition = bool(rule.when_findings or rule.when_load_facts or rule.when_intake)
    assert has_condition != rule.always, "a rule has conditions or is 'always', never both or neither"
    assert rule.items or rule.running_advice, "a rule brings items or advice"
    assert CITED_SOURCES[rule.key].startswith("DOMAIN")
    assert rule.source
    assert len(rule.source) <= 600
    assert len(rule.name) <= 120
    assert len(rule.when_detail) <= 60


@pytest.mark.parametrize("rule", PLAN_RULES, ids=lambda rule: rule.key)
def test_schedule_is_the_clinic_default_unless_domain_gives_a_length(rule):
    assert 1 <= rule.visits_per_week <= 7
    assert 1 <= rule.weeks <= 52
    assert rule.visits_per_week == DEFAULT_VISITS_PER_WEEK
    if rule.key == "gluteal-tendinopathy":
        assert rule.weeks == 8  # DOMAIN B7.4, S131
        assert citation(131) in rule.schedule_source
    else:
        assert rule.weeks == DEFAULT_WEEKS
    assert CLINIC_DEFAULT in rule.schedule_source.casefold()


def test_clinician_conditions_are_new_codes():
    codes = [code for code, _ in CLINICIAN_CONDITIONS]
    assert len(codes) == len(set(codes))
    assert not set(codes) & set(FINDING_CODES)
    assert {
        "gluteal_tendinopathy",
        "lumbar_radiculopathy",
        "si_joint_pain",
        "piriformis_syndrome",
        "hip_flexor_strain",
        "itb_tfl_pain",
        "non_specific_low_back_pain",
    } == set(codes)
    matched = {code for rule in PLAN_RULES for code in rule.when_findings}
    assert set(codes) <= matched, "every clinician condition selects a rule"


def test_load_fact_codes_are_the_ones_intake_raises():
    raised = load_facts(
        weekly_km_now=40,
        weekly_km_2_weeks_ago=20,
        weekly_km_4_weeks_ago=None,
        longest_run_km_last_7_days=20,
        longest_run_km_prior_30_days=10,
    )
    assert {fact.code for fact in raised} == set(LOAD_FACT_LABELS)


@pytest.mark.parametrize("contraindication", CONTRAINDICATIONS, ids=lambda item: item.key)
def test_contraindication_is_well_formed(contraindication):
    assert contraindication.when_findings <= KNOWN_FINDINGS
    assert contraindication.when_red_flag_tiers <= {tier.value for tier in Tier}
    assert contraindication.when_red_flag_codes <= set(RED_FLAG_QUESTIONS_BY_CODE)
    assert (
        contraindication.when_findings or contraindication.when_red_flag_tiers or (contraindication.when_red_flag_codes)
    ), "a contraindication needs a condition"
    assert contraindication.excludes_tags or contraindication.excludes_prongs or contraindication.blocks_plan
    assert contraindication.excludes_prongs <= set(Prong)
    if contraindication.blocks_plan:
        assert contraindication.hard
        assert contraindication.referral
    assert contraindication.reason
    assert CITED_SOURCES[contraindication.key].startswith("DOMAIN")
    assert contraindication.source
    assert len(contraindication.source) <= 600
    assert len(contraindication.name) <= 120


def test_every_tag_a_contraindication_reads_is_on_an_intervention_or_documented():
    tags = {tag for item in INTERVENTIONS for tag in item.tags}
    read = {tag for item in CONTRAINDICATIONS for tag in item.excludes_tags}
    assert read <= tags | set(DOCUMENTED_UNUSED_TAGS), read - tags
    assert not set(DOCUMENTED_UNUSED_TAGS) & tags, "a documented-unused tag that is used should leave the list"


@pytest.mark.parametrize(
    ("key", "tags"),
    [
        ("lumbar-hvla-thrust", {"thrust", "spinal_thrust"}),
        ("lumbopelvic-thrust", {"thrust", "spinal_thrust"}),
        ("lumbar-mobilisation", {"mobilisation"}),
        ("hip-mobilisation", {"mobilisation"}),
        ("tfl-itb-soft-tissue", {"compression_trochanter"}),
        ("cat-cow", {"flexion"}),
        ("childs-pose", {"flexion"}),
        ("hamstring-stretch", {"hamstring_stretch"}),
        ("itb-stretch", {"itb_stretch"}),
        ("piriformis-stretch", {"adducted_piriformis_stretch", "deep_hip_flexion_adduction"}),
    ],
)
def test_contraindication_tags_sit_on_the_right_interventions(key, tags):
    assert tags <= INTERVENTIONS_BY_KEY[key].tags


def test_mobilisation_never_carries_a_thrust_tag():
    for item in INTERVENTIONS:
        if "mobilisation" in item.tags:
            assert not item.tags & {"thrust", "spinal_thrust"}, item.key


def test_not_encoded_rows_say_why():
    assert NOT_ENCODED
    for row, why in NOT_ENCODED:
        assert "B7" in row
        assert why
    assert any("Flexion-intolerant" in row for row, _ in NOT_ENCODED)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda item: item.key)
def test_exercise_has_illustration_instructions_and_options(exercise):
    assert exercise.illustration == f"{exercise.key}.svg"
    assert exercise.home_program
    sentences = [part for part in re.split(r"(?<=[.!?])\s+", exercise.instructions) if part]
    assert 3 <= len(sentences) <= 5, sentences
    assert exercise.progression
    assert exercise.regression
    assert exercise.cautions
    assert not exercise.dosage.is_empty()


@pytest.mark.parametrize("item", INTERVENTIONS, ids=lambda item: item.key)
def test_intervention_fields(item):
    for name, limit in INTERVENTION_LIMITS.items():
        assert len(getattr(item, name)) <= limit, name
    for name, limit in DOSAGE_LIMITS.items():
        assert len(getattr(item.dosage, name)) <= limit, name
    assert CITED_SOURCES[item.key].startswith("DOMAIN")
    assert item.source
    assert item.tags
    assert item.name
    assert item.target
    assert item.technique
    if item.prong is not Prong.EXERCISE:
        assert item.illustration == ""
    if item.home_program:
        assert item.instructions, "a home-programme item needs patient instructions"
    else:
        assert item.instructions == "", "clinic-only techniques have no patient instructions"
    # Patient-facing text carries no source ids.
    assert "DOMAIN" not in item.instructions
    assert "(S" not in item.instructions


def test_home_programme_items():
    home = {item.key for item in INTERVENTIONS if item.home_program}
    assert home == {item.key for item in EXERCISES} | {"foam-rolling", "damp-heat", "icing"}


@pytest.mark.parametrize("key", ["iastm", "active-release", "damp-heat", "icing"])
def test_no_dose_in_domain_means_an_empty_dose_marked_silent(key):
    item = INTERVENTIONS_BY_KEY[key]
    assert item.dosage.is_empty()
    assert CLINIC_DEFAULT in item.source.casefold()


@pytest.mark.parametrize("key", ["damp-heat", "icing"])
def test_self_care_is_as_needed_for_relief(key):
    assert "as needed for relief" in INTERVENTIONS_BY_KEY[key].instructions


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("glute-bridge", "2 × 10–15, 2–3 times a week"),
        ("clamshell", "2 × 10–15 each side, 2–3 times a week"),
        ("side-lying-hip-abduction", "2 × 10–15 each side, 2–3 times a week"),
        ("hip-flexor-stretch", "2–4 holds each side, 20–30 s each, daily"),
        ("plank", "3–5 holds, 10–30 s each, 2–3 times a week"),
        ("side-plank", "3–5 holds each side, about 10 s each, 2–3 times a week"),
        ("bird-dog", "6–10 each side, 8–10 s each, 2–3 times a week"),
        ("single-leg-deadlift", "2 × 8–12 each leg, 2–3 times a week"),
        ("cat-cow", "1 × 10 slow cycles, daily"),
        ("childs-pose", "2–4 holds, 20–30 s each, daily"),
        ("hamstring-stretch", "2–4 holds each side, 20–30 s each, daily"),
        ("itb-stretch", "2–4 holds each side, 20–30 s each, daily"),
        ("piriformis-stretch", "2–4 holds each side, 20–30 s each, daily"),
        ("foam-rolling", "1–3 sets per area, 30–120 s each"),
        ("lumbar-hvla-thrust", ""),
    ],
)
def test_seeded_doses(key, text):
    """DOMAIN B7.3 / B7.4 template doses; sets start at the low end of a range of sets."""
    assert INTERVENTIONS_BY_KEY[key].dosage.text() == text


@pytest.mark.parametrize(
    ("dosage", "text"),
    [
        (Dosage(), ""),
        (Dosage(sets=3, reps="10–15", frequency="3 times a week"), "3 × 10–15, 3 times a week"),
        (Dosage(sets=3), "3 sets"),
        (Dosage(sets=1), "1 set"),
        (Dosage(sets=2, hold_seconds="20–30"), "2 sets, 20–30 s each"),
        (Dosage(hold_seconds="30"), "30 s"),
        (Dosage(reps="10 each side"), "10 each side"),
        (Dosage(frequency="daily"), "daily"),
        (Dosage(sets=2, reps="5", hold_seconds="10", frequency="daily"), "2 × 5, 10 s each, daily"),
    ],
)
def test_dosage_text(dosage, text):
    assert dosage.text() == text
    assert dosage.is_empty() == (text == "")


@pytest.mark.parametrize("sets", [0, -1, True, 2.5, "3"])
def test_dosage_refuses_bad_sets(sets):
    with pytest.raises(ValueError, match="sets"):
        Dosage(sets=sets)


def test_patient_facing_advice_is_plain():
    for rule in PLAN_RULES:
        for advice in rule.running_advice:
            assert not re.search(r"DOMAIN|\(S\d|\bB\d", advice), advice
            assert advice.endswith("."), advice
