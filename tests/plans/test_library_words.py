"""Every code the library page can show has its own words (plans.library_words)."""

from __future__ import annotations

import pytest

from assessments.findings import CLINICIAN_CONDITION_LABELS, FINDING_CODES
from intake.rules import RED_FLAG_QUESTIONS, Tier, leg_weakness_flag, raised_red_flags
from plans import library, library_words


def _shown_codes() -> dict[str, tuple[set[str], dict[str, str]]]:
    """Each kind of code on the library page: every code the seeded library and the derivation use."""
    raised = {flag.code for flag in raised_red_flags({}, age=70, back_pain=True)}
    stable = leg_weakness_flag(weakness=True, worse=False)
    assert stable is not None
    return {
        "findings": (
            set(FINDING_CODES)
            | set(CLINICIAN_CONDITION_LABELS)
            | {code for rule in library.PLAN_RULES for code in rule.when_findings}
            | {code for row in library.CONTRAINDICATIONS for code in row.when_findings},
            library_words.FINDING_LABELS,
        ),
        "load facts": (
            {code for rule in library.PLAN_RULES for code in rule.when_load_facts},
            library.LOAD_FACT_LABELS,
        ),
        "intake facts": (
            {code for rule in library.PLAN_RULES for code in rule.when_intake},
            library.INTAKE_FACT_LABELS,
        ),
        "red-flag tiers": (
            {str(tier) for tier in Tier}
            | {str(tier) for row in library.CONTRAINDICATIONS for tier in row.when_red_flag_tiers},
            library_words.RED_FLAG_TIER_LABELS,
        ),
        "red flags": (
            {question.code for question in RED_FLAG_QUESTIONS}
            | raised
            | {stable.code}
            | {code for row in library.CONTRAINDICATIONS for code in row.when_red_flag_codes},
            library_words.RED_FLAG_LABELS,
        ),
        "tags": (
            {tag for item in library.INTERVENTIONS for tag in item.tags}
            | {tag for row in library.CONTRAINDICATIONS for tag in row.excludes_tags},
            library_words.TAG_LABELS,
        ),
        "prongs": ({str(prong) for prong in library.PRONG_ORDER}, library.PRONG_LABELS),
    }


@pytest.mark.parametrize(("codes", "labels"), _shown_codes().values(), ids=list(_shown_codes()))
def test_every_code_the_library_page_can_show_has_words(codes, labels):
    assert codes
    for code in codes:
        assert code in labels, code
        assert labels[code].strip(), code
        assert "_" not in labels[code], code
        assert "_" not in code or labels[code] != code, code


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"always": True, "when_findings": [], "when_load_facts": [], "when_intake": []},
            ["Every plan"],
        ),
        (
            {
                "always": False,
                "when_findings": ["hip_flexor_tightness", "hip_flexor_strain"],
                "when_load_facts": ["single_run_spike"],
                "when_intake": ["back_pain"],
            },
            [
                "Hip flexor tightness",
                "Hip-flexor strain / tight iliacus-iliopsoas",
                "A recent run was much longer than the longest run of the previous 30 days",
                "Back pain reported at intake",
            ],
        ),
    ],
)
def test_rule_conditions(kwargs, expected):
    assert library_words.rule_conditions(**kwargs) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"blocks_plan": True, "excludes_tags": ["thrust"], "excludes_prongs": []}, ["The whole plan"]),
        (
            {"blocks_plan": False, "excludes_tags": ["spinal_thrust"], "excludes_prongs": ["soft_tissue"]},
            ["Spinal thrust manipulation", "Soft-tissue work"],
        ),
        ({"blocks_plan": False, "excludes_tags": ["new_tag"], "excludes_prongs": []}, ["new tag"]),
    ],
)
def test_contraindication_excludes(kwargs, expected):
    assert library_words.contraindication_excludes(**kwargs) == expected


def test_contraindication_conditions():
    assert library_words.contraindication_conditions(
        when_findings=["fai_suspected"], when_red_flag_tiers=["urgent"], when_red_flag_codes=["age_caution"]
    ) == [
        "Suspected FAI / labral pathology",
        "Any urgent red flag",
        "Age with back pain – raised prior probability of serious pathology",
    ]


def test_every_finding_is_offered_once_under_its_tier():
    groups = library_words.finding_groups()

    offered = [code for _, choices in groups for code, _ in choices]
    assert sorted(offered) == sorted(library_words.FINDING_LABELS)
    assert next(legend for legend, _ in groups).startswith("Red flags")


def test_tags_in_use_are_offered_after_the_librarys_in_words():
    choices = library_words.tag_choices({"thrust", "dry_needling"})

    assert choices[: len(library_words.TAG_LABELS)] == list(library_words.TAG_LABELS.items())
    assert choices[len(library_words.TAG_LABELS) :] == [("dry_needling", "dry needling")]
