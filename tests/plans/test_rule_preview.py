"""plans.rule_preview: which sample cases a rule fires on, asked of the plan generator itself."""

from __future__ import annotations

import dataclasses

import pytest

from plans import library, library_words, rule_preview, rules

SEED = rules.Library.seed()
RULES = {rule.key: rule for rule in SEED.rules}


def _fired(rule: library.PlanRule) -> dict[str, rule_preview.Outcome]:
    return {outcome.case.label: outcome for outcome in rule_preview.preview(rule, SEED) if outcome.fires}


def test_every_finding_load_fact_and_intake_fact_is_a_sample_case():
    labels = [case.label for case in rule_preview.SAMPLE_CASES]

    for label in [*library_words.FINDING_LABELS.values(), *library.LOAD_FACT_LABELS.values()]:
        assert any(shown.startswith(label) for shown in labels), label
    for label in library.INTAKE_FACT_LABELS.values():
        assert label in labels
    assert len(labels) == len(set(labels))


@pytest.mark.parametrize(
    ("key", "fires_on"),
    [
        ("structural-leg-length", {"Leg-length discrepancy, structural"}),
        ("over-pronation", {"Over-pronation"}),
        ("running-load", set(library.LOAD_FACT_LABELS.values())),
        (
            "non-specific-back-pain",
            {library_words.FINDING_LABELS["non_specific_low_back_pain"], "Back pain reported at intake"},
        ),
        (
            "gluteal-tendinopathy",
            {library_words.FINDING_LABELS["gluteal_tendinopathy"]},
        ),
    ],
)
def test_a_seed_rule_fires_on_its_own_conditions_only(key, fires_on):
    assert set(_fired(RULES[key])) == fires_on


def test_an_always_rule_fires_on_every_case():
    outcomes = rule_preview.preview(RULES["base-programme"], SEED)

    assert all(outcome.fires for outcome in outcomes)
    assert len(outcomes) == len(rule_preview.SAMPLE_CASES)
    assert outcomes[0].adds == ("Half-kneeling hip-flexor stretch", "Glute bridge")


def test_the_preview_names_what_the_draft_gets_and_what_a_contraindication_keeps_out():
    rule = dataclasses.replace(
        RULES["neural-tension-radicular"],
        items=(*RULES["neural-tension-radicular"].items, library.RuleItem("hamstring-stretch")),
    )

    outcome = _fired(rule)["Positive neural tension test"]

    assert outcome.adds == ("Lumbar mobilisation", "Bird dog", "Front plank")
    assert outcome.kept_out == ("Lying hamstring stretch",)


def test_a_rule_with_no_condition_fires_on_nothing():
    rule = dataclasses.replace(RULES["over-pronation"], when_findings=frozenset())

    assert _fired(rule) == {}


def test_an_item_the_library_does_not_hold_is_left_out_as_drafting_leaves_it():
    rule = dataclasses.replace(RULES["over-pronation"], items=(library.RuleItem("retired-exercise"),))

    assert _fired(rule)["Over-pronation"].adds == ()
