"""The order clinicians read findings in: by clinical weight, with the facets of one test together.

Pure Python (no Django). Every finding code has a place: a tier (red flags first, then conditions,
impairments and screening cues), a group (the test or measure it comes from, so "FMS hurdle step
scored 1" and "FMS hurdle step asymmetry" sit under one heading) and a label naming the code without a
side. The table below is the one place a new finding code is given its place; a test walks
``findings.FINDING_CODES`` so a code without one fails.

DOMAIN.md names the FMS pain flag "refer/assess, not train" (B1.3) and the "≤ 14" composite a screening
cue (B1.4); the rest of the tiering is the clinic's reading of B4 and B7.1 (a test pattern that
suggests a condition outranks a tight or weak structure).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from assessments.findings import CLINICIAN_CONDITIONS, RUNNING_FORM
from assessments.scoring import FMS_TESTS, MOTION_LABELS, MOTIONS

RED_FLAG = "red_flag"
CONDITION = "condition"
IMPAIRMENT = "impairment"
SCREENING_CUE = "screening_cue"

TIERS: tuple[tuple[str, str], ...] = (
    (RED_FLAG, "Red flags – assess or refer before training"),
    (CONDITION, "Conditions and pain patterns"),
    (IMPAIRMENT, "Impairments"),
    (SCREENING_CUE, "Screening cues"),
)
TIER_LABELS: dict[str, str] = dict(TIERS)

# A clinician's own finding is stored as "clinician_" + its words; words matching a code take that code's place.
CLINICIAN_PREFIX = "clinician_"
# A finding in the clinician's own words has no code to weigh it by. It is shown at the end of the conditions
# tier: high enough not to be buried under derived impairments, without calling it a red flag.
FREE_TEXT_TIER = CONDITION


@dataclass(frozen=True)
class Place:
    tier: str  # TIERS
    group: str  # the test or measure the finding comes from
    group_label: str
    label: str  # the code in words, without a side
    rank: int  # position in the table: the order within a tier


def _fms_name(label: str) -> str:
    return f"FMS {label[0].lower()}{label[1:]}"


def _table() -> list[tuple[str, str, str, str, str]]:
    """(code, tier, group, group label, code label), in reading order within each tier."""
    rows: list[tuple[str, str, str, str, str]] = []
    for test in FMS_TESTS:
        name = _fms_name(test.label)
        rows.append((f"fms_pain_{test.code}", RED_FLAG, f"fms_{test.code}", name, f"Pain on {name}"))
    # A condition the clinician chose from the list is a diagnosis: it leads the conditions it may explain.
    rows += [(code, CONDITION, code, label, label) for code, label in CLINICIAN_CONDITIONS]
    rows += [
        (
            "neural_tension_positive",
            CONDITION,
            "neural_tension",
            "Straight-leg raise and slump tests",
            "Positive neural tension test",
        ),
        ("fai_suspected", CONDITION, "fadir", "FADIR test", "Suspected FAI / labral pathology"),
        (
            "deep_gluteal_piriformis",
            CONDITION,
            "fair",
            "FAIR test",
            "Deep gluteal (piriformis) pattern",
        ),
        ("si_joint_pain_pattern", CONDITION, "faber", "FABER (Patrick) test", "SI joint pain pattern"),
        ("hip_joint_pain_pattern", CONDITION, "faber", "FABER (Patrick) test", "Hip joint pain pattern"),
    ]
    flexor_length = ("flexor_length", "Hip flexor and TFL / ITB length")
    rows += [
        ("hip_flexor_tightness", IMPAIRMENT, *flexor_length, "Hip flexor tightness"),
        ("rectus_femoris_tightness", IMPAIRMENT, *flexor_length, "Rectus femoris tightness"),
        ("tfl_itb_tension", IMPAIRMENT, *flexor_length, "TFL / ITB tension"),
        (
            "hip_abductor_weakness",
            IMPAIRMENT,
            "trendelenburg",
            "Trendelenburg test",
            "Hip abductor (gluteus medius) weakness",
        ),
        ("poor_single_leg_control", IMPAIRMENT, "single_leg_squat", "Single-leg squat", "Poor single-leg control"),
    ]
    for motion in MOTIONS:
        label = MOTION_LABELS[motion]
        rows.append(
            (f"reduced_hip_{motion}", IMPAIRMENT, f"hip_{motion}", label, f"Reduced {label[0].lower()}{label[1:]}")
        )
        rows.append((f"hip_rom_asymmetry_{motion}", IMPAIRMENT, f"hip_{motion}", label, f"{label} asymmetry"))
    rows.append(("leg_length_discrepancy", IMPAIRMENT, "leg_length", "Leg length", "Leg-length discrepancy"))
    rows += [(code, IMPAIRMENT, "running_form", "Running form", label) for code, label in RUNNING_FORM.values()]
    rows.append(("fms_low_composite", SCREENING_CUE, "fms_composite", "FMS composite", "Low FMS composite"))
    for test in FMS_TESTS:
        name = _fms_name(test.label)
        rows.append((f"fms_score_one_{test.code}", SCREENING_CUE, f"fms_{test.code}", name, f"{name} scored 1"))
        if test.bilateral:
            rows.append((f"fms_asymmetry_{test.code}", SCREENING_CUE, f"fms_{test.code}", name, f"{name} asymmetry"))
    return rows


PLACES: dict[str, Place] = {
    code: Place(tier, group, group_label, label, rank)
    for rank, (code, tier, group, group_label, label) in enumerate(_table())
}
FINDING_CODE_LABELS: dict[str, str] = {code: place.label for code, place in PLACES.items()}

_TIER_RANK = {code: rank for rank, (code, _) in enumerate(TIERS)}
# A test's facets may sit in two tiers (FMS pain, and its score of 1): a group is ranked by its first row in each tier.
_GROUP_RANK: dict[tuple[str, str], int] = {}
for _place in PLACES.values():
    _GROUP_RANK.setdefault((_place.tier, _place.group), _place.rank)
_SIDE_RANK = {"": 0, None: 0, "left": 1, "right": 2}


def _position(place: Place) -> tuple[int, int, int]:
    return (_TIER_RANK[place.tier], _GROUP_RANK[(place.tier, place.group)], place.rank)


# Every code's reading position as one even number (tier, then the group's first row in the tier, then the
# code's row); free text takes the odd number after the last code of its tier. The API orders by it in SQL.
CODE_RANKS: dict[str, int] = {
    code: 2 * position for position, code in enumerate(sorted(PLACES, key=lambda code: _position(PLACES[code])))
}
FREE_TEXT_RANK = 1 + max(CODE_RANKS[code] for code, place in PLACES.items() if place.tier == FREE_TEXT_TIER)


class Listed(Protocol):
    """A finding as the pages hold it: the model row or the derived value."""

    @property
    def code(self) -> str: ...

    @property
    def side(self) -> str | None: ...


F = TypeVar("F", bound=Listed)


def known_code(code: str) -> str | None:
    """The table's code for ``code``: a clinician's finding whose words are a known code takes that code."""
    for candidate in (code, code.removeprefix(CLINICIAN_PREFIX)):
        if candidate in PLACES:
            return candidate
    return None


def place_of(code: str) -> Place | None:
    known = known_code(code)
    return None if known is None else PLACES[known]


def sort_key(code: str, side: str | None) -> tuple[int, int]:
    """The code's rank, then side (none, left, right). Free text ends its tier, in the order given."""
    known = known_code(code)
    if known is None:
        return (FREE_TEXT_RANK, 0)
    return (CODE_RANKS[known], _SIDE_RANK.get(side, 3))


def ordered(findings: Iterable[F]) -> list[F]:
    """The findings in reading order (a stable sort: equal keys keep their order)."""
    return sorted(findings, key=lambda finding: sort_key(finding.code, finding.side))


@dataclass(frozen=True)
class Group(Generic[F]):
    key: str
    heading: str  # the test's name when more than one finding comes from it; "" for a finding on its own
    findings: tuple[F, ...]


@dataclass(frozen=True)
class Tier(Generic[F]):
    code: str
    label: str
    groups: tuple[Group[F], ...]


def tiers(findings: Iterable[F]) -> list[Tier[F]]:
    """The findings under their tiers (only tiers that hold one), facets of one test in one group."""
    by_tier: dict[str, dict[str, list[F]]] = {}
    headings: dict[str, str] = {}
    for finding in ordered(findings):
        place = place_of(finding.code)
        tier = place.tier if place else FREE_TEXT_TIER
        # Findings in a clinician's own words share no test: each code is its own group.
        group = place.group if place else finding.code
        headings[group] = place.group_label if place else ""
        by_tier.setdefault(tier, {}).setdefault(group, []).append(finding)
    return [
        Tier(code, label, tuple(_group(key, headings[key], members) for key, members in by_tier[code].items()))
        for code, label in TIERS
        if code in by_tier
    ]


def _group(key: str, heading: str, members: Sequence[F]) -> Group[F]:
    return Group(key, heading if len(members) > 1 else "", tuple(members))
