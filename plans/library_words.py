"""Words for the codes the library page shows: what a rule or contraindication matches and what it excludes.

Pure Python (no ORM). The library rows hold codes (findings, load and intake facts, red flags, tags, prongs);
the page shows each in words. A code no list names (typed in the admin site) is shown with its underscores
as spaces rather than as a code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from assessments.finding_order import FINDING_CODE_LABELS, PLACES, TIERS
from assessments.scoring import LLD_INTERPRETATION_LABELS
from intake.rules import AGE_CAUTION_CODE, LEG_WEAKNESS_STABLE_CODE, RED_FLAG_QUESTIONS, Tier
from plans.library import INTAKE_FACT_LABELS, LOAD_FACT_LABELS, PRONG_LABELS

# The derived findings' codes and the conditions a clinician chooses from the list.
FINDING_LABELS: dict[str, str] = dict(FINDING_CODE_LABELS)

RED_FLAG_TIER_LABELS: dict[str, str] = {
    Tier.EMERGENCY: "Any emergency red flag",
    Tier.URGENT: "Any urgent red flag",
    Tier.CAUTION: "Any caution flag",
}
RED_FLAG_LABELS: dict[str, str] = {
    **{question.code: question.staff_label for question in RED_FLAG_QUESTIONS},
    AGE_CAUTION_CODE: "Age with back pain – raised prior probability of serious pathology",
    LEG_WEAKNESS_STABLE_CODE: "Leg weakness, reported as neither severe nor getting worse",
}

# The intervention tags contraindications exclude by (plans.library.Intervention.tags).
TAG_LABELS: dict[str, str] = {
    "thrust": "Thrust manipulation",
    "spinal_thrust": "Spinal thrust manipulation",
    "mobilisation": "Mobilisation",
    "massage": "Massage",
    "compression_trochanter": "Compression over the greater trochanter",
    "instrument": "Instrument-assisted soft-tissue work",
    "self_massage": "Self-massage",
    "heat": "Heat",
    "ice": "Ice",
    "strength": "Strengthening",
    "lumbar_extension": "Lumbar extension",
    "stretch": "Stretch",
    "static_stretch": "Static stretch",
    "trunk": "Trunk exercise",
    "hip_hinge": "Hip hinge",
    "flexion": "Spinal flexion",
    "mobility": "Mobility exercise",
    "hamstring_stretch": "Hamstring stretch",
    "itb_stretch": "ITB stretch",
    "adducted_piriformis_stretch": "Piriformis stretch with the hip across the body",
    "deep_hip_flexion_adduction": "Deep hip flexion with adduction",
}


# A rule's "when_detail": today only the leg-length interpretation qualifies a finding (plans.rules.finding_detail).
DETAIL_LABELS: dict[str, str] = {
    code: f"Only a leg-length discrepancy read as {text}"
    for code, text in LLD_INTERPRETATION_LABELS.items()
    if code != "none"
}

Choices = list[tuple[str, str]]


def finding_groups() -> list[tuple[str, Choices]]:
    """The findings a rule or contraindication may name, grouped by tier in the clinicians' reading order."""
    return [
        (tier_label, [(code, FINDING_LABELS[code]) for code, place in PLACES.items() if place.tier == tier])
        for tier, tier_label in TIERS
    ]


def tag_choices(in_use: Iterable[str] = ()) -> Choices:
    """The tags contraindications match: the library's, then any other tag the clinic already uses."""
    others = sorted(set(in_use) - TAG_LABELS.keys())
    return [*TAG_LABELS.items(), *((tag, tag.replace("_", " ")) for tag in others)]


def words(codes: Iterable[str], labels: Mapping[str, str]) -> list[str]:
    return [labels.get(code) or code.replace("_", " ") for code in codes]


def rule_conditions(
    *, always: bool, when_findings: Iterable[str], when_load_facts: Iterable[str], when_intake: Iterable[str]
) -> list[str]:
    """What selects a plan rule, in words (any one suffices)."""
    return [
        *(["Every plan"] if always else []),
        *words(when_findings, FINDING_LABELS),
        *words(when_load_facts, LOAD_FACT_LABELS),
        *words(when_intake, INTAKE_FACT_LABELS),
    ]


def contraindication_conditions(
    *, when_findings: Iterable[str], when_red_flag_tiers: Iterable[str], when_red_flag_codes: Iterable[str]
) -> list[str]:
    """What raises a contraindication, in words (any one suffices)."""
    return [
        *words(when_findings, FINDING_LABELS),
        *words(when_red_flag_tiers, RED_FLAG_TIER_LABELS),
        *words(when_red_flag_codes, RED_FLAG_LABELS),
    ]


def contraindication_excludes(
    *, blocks_plan: bool, excludes_tags: Iterable[str], excludes_prongs: Iterable[str]
) -> list[str]:
    """What a contraindication takes out of a plan, in words."""
    if blocks_plan:
        return ["The whole plan"]
    return [*words(excludes_tags, TAG_LABELS), *words(excludes_prongs, PRONG_LABELS)]
