"""Findings in reading order: tiers by clinical weight, facets of one test grouped (assessments.finding_order)."""

from __future__ import annotations

import pytest

from assessments import finding_order
from assessments.finding_order import CONDITION, IMPAIRMENT, RED_FLAG, SCREENING_CUE
from assessments.findings import CLINICIAN_CONDITION_LABELS, FINDING_CODES, RUNNING_FORM, Finding
from assessments.scoring import FMS_TESTS, MOTIONS


def _expected_places() -> dict[str, tuple[str, str]]:
    """Every code derive_findings can produce with its tier and group, written out independently."""
    places: dict[str, tuple[str, str]] = {}
    for test in FMS_TESTS:
        places[f"fms_pain_{test.code}"] = (RED_FLAG, f"fms_{test.code}")
        places[f"fms_score_one_{test.code}"] = (SCREENING_CUE, f"fms_{test.code}")
        if test.bilateral:
            places[f"fms_asymmetry_{test.code}"] = (SCREENING_CUE, f"fms_{test.code}")
    places["fms_low_composite"] = (SCREENING_CUE, "fms_composite")
    for motion in MOTIONS:
        places[f"reduced_hip_{motion}"] = (IMPAIRMENT, f"hip_{motion}")
        places[f"hip_rom_asymmetry_{motion}"] = (IMPAIRMENT, f"hip_{motion}")
    for code, _ in RUNNING_FORM.values():
        places[code] = (IMPAIRMENT, "running_form")
    places |= {
        "neural_tension_positive": (CONDITION, "neural_tension"),
        "fai_suspected": (CONDITION, "fadir"),
        "deep_gluteal_piriformis": (CONDITION, "fair"),
        "si_joint_pain_pattern": (CONDITION, "faber"),
        "hip_joint_pain_pattern": (CONDITION, "faber"),
        "hip_flexor_tightness": (IMPAIRMENT, "flexor_length"),
        "rectus_femoris_tightness": (IMPAIRMENT, "flexor_length"),
        "tfl_itb_tension": (IMPAIRMENT, "flexor_length"),
        "hip_abductor_weakness": (IMPAIRMENT, "trendelenburg"),
        "poor_single_leg_control": (IMPAIRMENT, "single_leg_squat"),
        "leg_length_discrepancy": (IMPAIRMENT, "leg_length"),
    }
    # A condition the clinician chooses from the list is its own group among the conditions.
    places |= {code: (CONDITION, code) for code in CLINICIAN_CONDITION_LABELS}
    return places


EXPECTED = _expected_places()


@pytest.mark.parametrize("code", [*FINDING_CODES, *CLINICIAN_CONDITION_LABELS])
def test_every_derived_code_has_its_tier_and_group(code):
    place = finding_order.place_of(code)
    assert place is not None, f"{code} has no place in assessments.finding_order"
    assert (place.tier, place.group) == EXPECTED[code]
    assert place.tier in finding_order.TIER_LABELS
    for words in (place.group_label, place.label):
        assert words.strip()
        assert "_" not in words


def test_the_table_holds_only_codes_the_derivation_or_the_condition_list_produces():
    codes = {*FINDING_CODES, *CLINICIAN_CONDITION_LABELS}
    assert set(finding_order.PLACES) == codes
    assert set(EXPECTED) == codes


def test_a_group_holds_one_label_and_its_findings_are_consecutive_within_a_tier():
    ranks = sorted(finding_order.PLACES, key=lambda code: finding_order.CODE_RANKS[code])
    seen: list[tuple[str, str]] = []
    for code in ranks:
        place = finding_order.PLACES[code]
        key = (place.tier, place.group)
        if seen and seen[-1] == key:
            continue
        assert key not in seen, f"{code}: group {place.group} split within its tier"
        seen.append(key)
    labels: dict[str, set[str]] = {}
    for place in finding_order.PLACES.values():
        labels.setdefault(place.group, set()).add(place.group_label)
    assert all(len(names) == 1 for names in labels.values()), labels


def _f(code: str, side: str | None = None) -> Finding:
    return Finding(code, side, code, ())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # Red flag, condition, impairment, screening cue, whatever the alphabet says.
        (
            [("fms_low_composite", None), ("contralateral_hip_drop", None), ("fms_pain_deep_squat", None)],
            [("fms_pain_deep_squat", None), ("contralateral_hip_drop", None), ("fms_low_composite", None)],
        ),
        (
            [("reduced_hip_extension", "left"), ("neural_tension_positive", "right")],
            [("neural_tension_positive", "right"), ("reduced_hip_extension", "left")],
        ),
        # Facets of one test side by side: the hurdle step's score and asymmetry, not the in-line lunge between.
        (
            [
                ("fms_asymmetry_hurdle_step", None),
                ("fms_score_one_inline_lunge", None),
                ("fms_score_one_hurdle_step", None),
                ("fms_low_composite", None),
            ],
            [
                ("fms_low_composite", None),
                ("fms_score_one_hurdle_step", None),
                ("fms_asymmetry_hurdle_step", None),
                ("fms_score_one_inline_lunge", None),
            ],
        ),
        # One motion's findings together: reduced on each side (left, right), then the asymmetry.
        (
            [
                ("hip_rom_asymmetry_extension", None),
                ("reduced_hip_flexion", "left"),
                ("reduced_hip_extension", "right"),
                ("reduced_hip_extension", "left"),
            ],
            [
                ("reduced_hip_flexion", "left"),
                ("reduced_hip_extension", "left"),
                ("reduced_hip_extension", "right"),
                ("hip_rom_asymmetry_extension", None),
            ],
        ),
        # A clinician's finding whose words are a code takes that code's place; free text ends the conditions,
        # in the order added.
        (
            [
                ("clinician_tender_tfl", "right"),
                ("hip_flexor_tightness", "left"),
                ("clinician_overstriding", None),
                ("clinician_buttock_ache", None),
                ("si_joint_pain_pattern", "left"),
                ("fms_pain_hurdle_step", None),
            ],
            [
                ("fms_pain_hurdle_step", None),
                ("si_joint_pain_pattern", "left"),
                ("clinician_tender_tfl", "right"),
                ("clinician_buttock_ache", None),
                ("hip_flexor_tightness", "left"),
                ("clinician_overstriding", None),
            ],
        ),
        # A model row's side is "" rather than None; it still comes before left and right.
        (
            [("leg_length_discrepancy", "right"), ("tfl_itb_tension", "right"), ("tfl_itb_tension", "")],
            [("tfl_itb_tension", ""), ("tfl_itb_tension", "right"), ("leg_length_discrepancy", "right")],
        ),
    ],
)
def test_ordered(given, expected):
    assert [(f.code, f.side) for f in finding_order.ordered(_f(*item) for item in given)] == expected


def test_tiers_group_the_facets_of_one_test_under_its_name():
    tiers = finding_order.tiers(
        [
            _f("fms_asymmetry_hurdle_step"),
            _f("fms_score_one_hurdle_step"),
            _f("fms_low_composite"),
            _f("fms_pain_deep_squat"),
            _f("hip_flexor_tightness", "left"),
            _f("clinician_tender_tfl", "right"),
        ]
    )
    shape = [
        (tier.code, [(group.key, group.heading, [f.code for f in group.findings]) for group in tier.groups])
        for tier in tiers
    ]
    assert shape == [
        (RED_FLAG, [("fms_deep_squat", "", ["fms_pain_deep_squat"])]),
        (CONDITION, [("clinician_tender_tfl", "", ["clinician_tender_tfl"])]),
        (IMPAIRMENT, [("flexor_length", "", ["hip_flexor_tightness"])]),
        (
            SCREENING_CUE,
            [
                ("fms_composite", "", ["fms_low_composite"]),
                ("fms_hurdle_step", "FMS hurdle step", ["fms_score_one_hurdle_step", "fms_asymmetry_hurdle_step"]),
            ],
        ),
    ]
    assert [tier.label for tier in tiers] == [label for _, label in finding_order.TIERS]


def test_both_sides_of_one_finding_are_one_group():
    (tier,) = finding_order.tiers([_f("hip_flexor_tightness", "right"), _f("hip_flexor_tightness", "left")])
    (group,) = tier.groups
    assert group.heading == "Hip flexor and TFL / ITB length"
    assert [f.side for f in group.findings] == ["left", "right"]


def test_no_findings_no_tiers():
    assert finding_order.tiers([]) == []
