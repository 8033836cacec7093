"""Red flags (DOMAIN B6) and load facts (DOMAIN B8)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from intake.rules import (
    EMERGENCY_INSTRUCTION,
    LEG_WEAKNESS_STABLE_CODE,
    LEG_WEAKNESS_WORSE,
    RED_FLAG_QUESTIONS,
    RED_FLAG_QUESTIONS_BY_CODE,
    TEN_PERCENT_GUIDANCE,
    RaisedFlag,
    Tier,
    emergency_warning_signs,
    leg_weakness_flag,
    load_facts,
    percent_change,
    raised_red_flags,
)

# The catalogue: one question per patient-answerable row of DOMAIN B6.1, with its tier.
EXPECTED_TIERS = {
    "saddle_numbness": Tier.EMERGENCY,
    "bladder_problems": Tier.EMERGENCY,
    "bowel_incontinence": Tier.EMERGENCY,
    "bilateral_sciatica": Tier.EMERGENCY,
    "sexual_dysfunction": Tier.EMERGENCY,
    "leg_weakness": Tier.EMERGENCY,
    "major_trauma": Tier.EMERGENCY,
    "aaa_signs": Tier.EMERGENCY,
    "infection_signs": Tier.URGENT,
    "cancer_history": Tier.URGENT,
    "weight_loss": Tier.URGENT,
    "night_pain": Tier.URGENT,
    "fragility_fracture": Tier.URGENT,
    "serious_spinal_signs": Tier.URGENT,
}

ALL_NO = dict.fromkeys(EXPECTED_TIERS, False)
NEUTRAL_AGE = {"age": 35, "back_pain": True}  # no age caution


def test_catalogue_codes_and_tiers():
    assert {q.code: q.tier for q in RED_FLAG_QUESTIONS} == EXPECTED_TIERS
    assert len(RED_FLAG_QUESTIONS_BY_CODE) == len(RED_FLAG_QUESTIONS)


@pytest.mark.parametrize("question", RED_FLAG_QUESTIONS, ids=lambda q: q.code)
def test_question_is_well_formed(question):
    assert question.code.isidentifier()
    assert question.code == question.code.lower()
    assert question.question.endswith("?")
    assert question.staff_label
    assert len(question.staff_label) <= 200  # RedFlag.label max_length
    assert question.source.startswith("DOMAIN B6.1, S1")


# Leg weakness is tiered with its follow-up: test_leg_weakness_flag.
@pytest.mark.parametrize(("code", "tier"), [item for item in EXPECTED_TIERS.items() if item[0] != "leg_weakness"])
def test_each_yes_raises_exactly_its_flag(code, tier):
    answers = {**ALL_NO, code: True}
    flags = raised_red_flags(answers, **NEUTRAL_AGE)
    assert flags == [RaisedFlag(code, tier, RED_FLAG_QUESTIONS_BY_CODE[code].staff_label)]
    assert flags[0].tier == tier


@pytest.mark.parametrize(
    "answers",
    [ALL_NO, {}, dict.fromkeys(EXPECTED_TIERS), {"saddle_numbness": None, "cancer_history": False}],
)
def test_no_or_unanswered_raises_nothing(answers):
    assert raised_red_flags(answers, **NEUTRAL_AGE) == []


SEVERE = RED_FLAG_QUESTIONS_BY_CODE["leg_weakness"].staff_label
NOT_ASKED = "Leg weakness, not asked whether severe or progressive"
STABLE = "Leg weakness, reported as neither severe nor getting worse"


# DOMAIN B6.1: severe or progressive weakness or acute foot drop is the emergency, weakness alone is not.
# (weakness, getting worse / severe / foot drop, code, tier, label starts with)
LEG_WEAKNESS_CASES = [
    (True, True, "leg_weakness", Tier.EMERGENCY, SEVERE),
    (False, True, "leg_weakness", Tier.EMERGENCY, SEVERE),
    (None, True, "leg_weakness", Tier.EMERGENCY, SEVERE),
    (True, None, "leg_weakness", Tier.EMERGENCY, NOT_ASKED),  # stored before the follow-up was asked
    (True, False, LEG_WEAKNESS_STABLE_CODE, Tier.CAUTION, STABLE),
    (False, False, None, None, None),
    (False, None, None, None, None),
    (None, None, None, None, None),
    (None, False, None, None, None),
]


@pytest.mark.parametrize(("weakness", "worse", "code", "tier", "label"), LEG_WEAKNESS_CASES)
def test_leg_weakness_flag(weakness, worse, code, tier, label):
    flag = leg_weakness_flag(weakness=weakness, worse=worse)
    if code is None:
        assert flag is None
        return
    assert (flag.code, flag.tier) == (code, tier)
    assert flag.label.startswith(label)
    assert len(flag.label) <= 200


@pytest.mark.parametrize(("weakness", "worse", "code", "tier", "label"), LEG_WEAKNESS_CASES)
def test_raised_red_flags_tiers_leg_weakness_by_its_follow_up(weakness, worse, code, tier, label):
    answers = {**ALL_NO, "leg_weakness": weakness, LEG_WEAKNESS_WORSE.code: worse}
    flags = raised_red_flags(answers, **NEUTRAL_AGE)
    assert [(f.code, f.tier) for f in flags] == ([] if code is None else [(code, tier)])


def test_stable_leg_weakness_is_shown_after_urgent_flags():
    answers = {**ALL_NO, "leg_weakness": True, LEG_WEAKNESS_WORSE.code: False, "weight_loss": True}
    flags = raised_red_flags(answers, age=60, back_pain=True)
    assert [f.code for f in flags] == ["weight_loss", LEG_WEAKNESS_STABLE_CODE, "age_caution"]


def test_every_emergency_flag_has_a_plain_warning_sign_and_no_other_tier_has_one():
    for question in RED_FLAG_QUESTIONS:
        if question.tier == Tier.EMERGENCY:
            assert question.warning_sign.endswith("."), question.code
            assert not {"cauda", "sciatica", "aneurysm", "AAA", "radiculopathy"} & set(
                question.warning_sign.replace(",", " ").split()
            ), question.code
        else:
            assert question.warning_sign == "", question.code
    assert len(emergency_warning_signs()) == sum(q.tier == Tier.EMERGENCY for q in RED_FLAG_QUESTIONS) == 8


def test_flags_ordered_emergency_urgent_caution():
    answers = {**ALL_NO, "weight_loss": True, "aaa_signs": True, "cancer_history": True, "saddle_numbness": True}
    flags = raised_red_flags(answers, age=60, back_pain=True)
    assert [f.code for f in flags] == [
        "saddle_numbness",
        "aaa_signs",
        "cancer_history",
        "weight_loss",
        "age_caution",
    ]
    assert [f.tier for f in flags] == [Tier.EMERGENCY, Tier.EMERGENCY, Tier.URGENT, Tier.URGENT, Tier.CAUTION]


@pytest.mark.parametrize(
    ("age", "back_pain", "kwargs", "raised"),
    [
        (19, True, {}, True),
        (20, True, {}, False),
        (50, True, {}, False),
        (51, True, {}, True),
        (19, False, {}, False),
        (20, False, {}, False),
        (50, False, {}, False),
        (51, False, {}, False),
        (51, True, {"caution_age_over": 55}, False),
        (56, True, {"caution_age_over": Decimal(55)}, True),
        (17, True, {"caution_age_under": 16}, False),
        (15, True, {"caution_age_under": 16}, True),
    ],
)
def test_age_caution(age, back_pain, kwargs, raised):
    flags = raised_red_flags(ALL_NO, age=age, back_pain=back_pain, **kwargs)
    assert [f.code for f in flags] == (["age_caution"] if raised else [])
    if raised:
        assert flags[0].tier == Tier.CAUTION
        assert str(age) in flags[0].label
        assert len(flags[0].label) <= 200


@pytest.mark.parametrize(
    ("answers", "age"),
    [
        ({"not_a_question": True}, 30),
        ({"saddle_numbness": "yes"}, 30),
        ({"saddle_numbness": 1}, 30),
        ({"leg_weakness_worse": "no"}, 30),
        ({}, -1),
        ({}, True),
        ({}, 30.5),
    ],
)
def test_raised_red_flags_refuses_bad_input(answers, age):
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by input
        raised_red_flags(answers, age=age, back_pain=True)


def test_patient_facing_texts():
    assert "emergency" in EMERGENCY_INSTRUCTION.lower()
    assert "do not wait" in EMERGENCY_INSTRUCTION.lower()
    assert "today" in EMERGENCY_INSTRUCTION
    assert "10 %" in TEN_PERCENT_GUIDANCE
    assert "not a safety rule" in TEN_PERCENT_GUIDANCE


# --- Load facts -------------------------------------------------------------------------------------

QUIET = {
    "weekly_km_now": Decimal(20),
    "weekly_km_2_weeks_ago": Decimal(20),
    "weekly_km_4_weeks_ago": Decimal(20),
    "longest_run_km_last_7_days": Decimal(10),
    "longest_run_km_prior_30_days": Decimal(10),
}


@pytest.mark.parametrize(
    ("two_weeks_ago", "now", "value"),
    [
        (Decimal(10), Decimal(13), None),  # exactly 30 %: no flag
        (Decimal(10), Decimal("13.01"), Decimal("30.1")),  # 30.1 %: flag
        (Decimal(20), Decimal(30), Decimal(50)),
        (Decimal(20), Decimal(10), None),  # a decrease
        (Decimal(0), Decimal(30), None),  # zero baseline
        (None, Decimal(30), None),  # unknown baseline
        (Decimal(20), None, None),
        (3, 4, Decimal(100) / Decimal(3)),  # ints accepted; exact value kept
    ],
)
def test_distance_progression(two_weeks_ago, now, value):
    facts = load_facts(**{**QUIET, "weekly_km_2_weeks_ago": two_weeks_ago, "weekly_km_now": now})
    if value is None:
        assert facts == []
    else:
        [fact] = facts
        assert fact.code == "distance_progression"
        assert fact.value == value
        assert fact.threshold == Decimal(30)
        assert "30 % flag" in fact.message


@pytest.mark.parametrize(
    ("prior", "recent", "value"),
    [
        (Decimal(10), Decimal(11), None),  # exactly 110 %: no flag
        (Decimal(10), Decimal("11.1"), Decimal(111)),  # 111 %: flag
        (Decimal(10), Decimal(20), Decimal(200)),
        (Decimal(10), Decimal(5), None),
        (Decimal(0), Decimal(12), None),  # zero baseline
        (None, Decimal(12), None),
        (Decimal(10), None, None),
    ],
)
def test_single_run_spike(prior, recent, value):
    facts = load_facts(**{**QUIET, "longest_run_km_prior_30_days": prior, "longest_run_km_last_7_days": recent})
    if value is None:
        assert facts == []
    else:
        [fact] = facts
        assert fact.code == "single_run_spike"
        assert fact.value == value
        assert fact.threshold == Decimal(110)
        assert "110 % flag" in fact.message


def test_both_facts_and_custom_thresholds():
    facts = load_facts(
        weekly_km_now=Decimal(24),
        weekly_km_2_weeks_ago=Decimal(20),
        weekly_km_4_weeks_ago=None,
        longest_run_km_last_7_days=Decimal("10.6"),
        longest_run_km_prior_30_days=Decimal(10),
        progression_threshold_pct=Decimal("19.000"),
        spike_threshold_pct=105,
    )
    assert [(f.code, f.value, f.threshold) for f in facts] == [
        ("distance_progression", Decimal(20), Decimal(19)),
        ("single_run_spike", Decimal(106), Decimal(105)),
    ]
    assert "19 % flag" in facts[0].message


def test_four_weeks_ago_raises_no_fact():
    assert load_facts(**{**QUIET, "weekly_km_4_weeks_ago": Decimal(1)}) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"weekly_km_now": Decimal(-1)},
        {"weekly_km_4_weeks_ago": Decimal(-1)},
        {"longest_run_km_last_7_days": 10.5},
        {"weekly_km_now": "20"},
        {"progression_threshold_pct": 0},
        {"spike_threshold_pct": Decimal(-110)},
    ],
)
def test_load_facts_refuses_bad_input(overrides):
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by input
        load_facts(**{**QUIET, **overrides})


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (Decimal(20), Decimal(25), Decimal(25)),
        (Decimal(20), Decimal(15), Decimal(-25)),
        (Decimal(20), Decimal(20), Decimal(0)),
        (10, 13, Decimal(30)),
        (Decimal(0), Decimal(10), None),
        (None, Decimal(10), None),
        (Decimal(10), None, None),
    ],
)
def test_percent_change(old, new, expected):
    assert percent_change(old, new) == expected
