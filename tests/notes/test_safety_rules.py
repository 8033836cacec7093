"""The note's safety rules: new symptoms through the intake's red-flag rule, lines through the plans'
contraindications (the seed library's)."""

from __future__ import annotations

import pytest

from intake import rules as intake_rules
from notes import rules, safety
from plans import rules as plan_rules
from plans.library import CONTRAINDICATIONS

# --- The checklist and the flags it raises ------------------------------------------------------


def test_the_checklist_is_the_intakes_catalogue_and_its_follow_up():
    asked = [question.code for question in intake_rules.RED_FLAG_QUESTIONS]
    assert [symptom.code for symptom in safety.SYMPTOMS] == [
        *asked[: asked.index("leg_weakness") + 1],
        "leg_weakness_worse",
        *asked[asked.index("leg_weakness") + 1 :],
    ]


@pytest.mark.parametrize(
    ("ticked", "expected"),
    [
        ((), []),
        (("saddle_numbness",), [("saddle_numbness", "emergency")]),
        (("infection_signs",), [("infection_signs", "urgent")]),
        (("weight_loss", "bladder_problems"), [("bladder_problems", "emergency"), ("weight_loss", "urgent")]),
        # Weakness ticked alone: the clinician saw the "severe or getting worse" item beside it.
        (("leg_weakness",), [("leg_weakness_stable", "caution")]),
        (("leg_weakness", "leg_weakness_worse"), [("leg_weakness", "emergency")]),
        (("leg_weakness_worse",), [("leg_weakness", "emergency")]),
        (("major_trauma", "aaa_signs"), [("major_trauma", "emergency"), ("aaa_signs", "emergency")]),
        (("night_pain", "cancer_history"), [("cancer_history", "urgent"), ("night_pain", "urgent")]),
    ],
)
def test_raised_flags(ticked, expected):
    assert [(flag.code, flag.tier) for flag in safety.raised_flags(ticked)] == expected


@pytest.mark.parametrize("code", [q.code for q in intake_rules.RED_FLAG_QUESTIONS if q.code != "leg_weakness"])
def test_each_symptom_raises_what_the_intakes_yes_raises(code):
    intake_flags = intake_rules.raised_red_flags({code: True}, age=35, back_pain=False)
    assert safety.raised_flags([code]) == intake_flags
    assert len(intake_flags) == 1


def test_the_age_caution_is_never_raised_by_a_note():
    # An intake raises it for a 70-year-old with back pain; a note's new symptom does not re-raise it.
    assert [flag.code for flag in safety.raised_flags(["weight_loss"])] == ["weight_loss"]


@pytest.mark.parametrize("ticked", [["headache"], ["saddle_numbness", "age_caution"], ["leg_weakness_stable"]])
def test_unknown_symptoms_are_refused(ticked):
    with pytest.raises(ValueError, match="Unknown symptom"):
        safety.raised_flags(ticked)


@pytest.mark.parametrize(
    ("ticked", "answers"),
    [
        ((), {}),
        (("cancer_history",), {"cancer_history": True}),
        (("leg_weakness",), {"leg_weakness": True, "leg_weakness_worse": False}),
        (("leg_weakness_worse",), {"leg_weakness_worse": True}),
    ],
)
def test_symptom_answers_leave_unticked_items_unreported(ticked, answers):
    result = safety.symptom_answers(ticked)
    assert {code: value for code, value in result.items() if value is not None} == answers
    assert set(result) == safety.SYMPTOM_CODES


def test_every_tier_has_a_meaning_in_plain_words():
    assert set(safety.TIER_MEANINGS) == set(intake_rules.Tier)
    assert all("DOMAIN" not in text and "B6" not in text for text in safety.TIER_MEANINGS.values())


# --- Thrust techniques --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("library_tags", "mark", "expected", "thrust"),
    [
        ((), "", frozenset(), False),
        (("mobilisation",), "", {"mobilisation"}, False),
        (("thrust", "spinal_thrust"), "", {"thrust", "spinal_thrust"}, True),
        (("mobilisation",), "spinal", {"mobilisation", "thrust", "spinal_thrust"}, True),
        ((), "other", {"thrust"}, True),
        (("thrust", "spinal_thrust"), "other", {"thrust", "spinal_thrust"}, True),
    ],
)
def test_line_tags(library_tags, mark, expected, thrust):
    tags = safety.line_tags(library_tags, mark)
    assert tags == frozenset(expected)
    assert safety.is_thrust(tags) is thrust


def test_an_unknown_thrust_mark_is_refused():
    with pytest.raises(ValueError, match="thrust mark"):
        safety.line_tags((), "maybe")


# --- Screening lines against the contraindications ---------------------------------------------

SPINAL_THRUST = safety.SafetyLine("Lumbar HVLA", "manipulation", "delivered", frozenset({"thrust", "spinal_thrust"}))
HIP_THRUST = safety.SafetyLine("Hip thrust", "manipulation", "delivered", frozenset({"thrust"}))
MOBILISATION = safety.SafetyLine("Lumbar mobilisation", "manipulation", "delivered", frozenset({"mobilisation"}))
BRIDGE = safety.SafetyLine("Glute bridge", "exercise", "modified", frozenset({"strength"}))
SPINAL_NOT_DONE = safety.SafetyLine("Lumbar HVLA", "manipulation", "not_done", frozenset({"thrust", "spinal_thrust"}))


def _flag(code, tier, label="Zebraquail sign", open=True):
    return plan_rules.RedFlagFact(code=code, tier=tier, label=label, open=open)


EMERGENCY = _flag("saddle_numbness", "emergency", "Saddle numbness – suspected cauda equina")
URGENT = _flag("weight_loss", "urgent", "Unexplained weight loss – suspected malignancy or infection")
INFECTION = _flag("infection_signs", "urgent", "Fever – suspected spinal infection")
CAUTION = _flag("leg_weakness_stable", "caution")
RADICULAR = plan_rules.FindingFact(code="neural_tension_positive", side="left", label="Positive slump test, left")


@pytest.mark.parametrize(
    ("lines", "flags", "findings", "blocked", "hard", "soft"),
    [
        # Nothing open: nothing refused.
        ([SPINAL_THRUST, MOBILISATION, BRIDGE], [], [], False, {}, {}),
        ([SPINAL_THRUST], [CAUTION], [], False, {}, {}),
        # A cleared flag counts no more.
        ([SPINAL_THRUST], [_flag("saddle_numbness", "emergency", open=False)], [], False, {}, {}),
        # Urgent: spinal thrust refused; mobilisation, exercise and a hip thrust go on.
        ([SPINAL_THRUST, MOBILISATION, BRIDGE, HIP_THRUST], [URGENT], [], False, {0: ["urgent red flag"]}, {}),
        # Infection signs are also an absolute contraindication to any thrust, the hip's included.
        (
            [SPINAL_THRUST, HIP_THRUST, MOBILISATION],
            [INFECTION],
            [],
            False,
            {0: ["urgent red flag", "absolute contraindication"], 1: ["absolute contraindication"]},
            {},
        ),
        # Emergency: every line given is refused, as the plan is emptied; a line not done is not.
        (
            [SPINAL_THRUST, MOBILISATION, BRIDGE, SPINAL_NOT_DONE],
            [EMERGENCY],
            [],
            True,
            {0: ["emergency red flag"], 1: ["emergency red flag"], 2: ["emergency red flag"]},
            {},
        ),
        # Urgent, but the thrust was not done today.
        ([SPINAL_NOT_DONE], [URGENT], [], False, {}, {}),
        # A relative contraindication (radicular signs) is shown, never refused.
        ([SPINAL_THRUST, MOBILISATION], [], [RADICULAR], False, {}, {0: ["relative contraindication"]}),
    ],
)
def test_screen(lines, flags, findings, blocked, hard, soft):
    result = safety.screen(lines, findings=findings, red_flags=flags, contraindications=CONTRAINDICATIONS)
    assert result.blocked is blocked
    for position in range(len(lines)):
        messages = result.hard(position)
        assert len(messages) == len(hard.get(position, [])), (position, messages)
        for message, words in zip(messages, hard.get(position, []), strict=True):
            assert words in message.lower()
            assert message.startswith(f"{lines[position].name} cannot be marked delivered:")
        cautions = result.soft(position)
        assert len(cautions) == len(soft.get(position, [])), (position, cautions)
        for message, words in zip(cautions, soft.get(position, []), strict=True):
            assert words in message.lower()


def test_a_refusal_names_the_flag_that_raised_it():
    result = safety.screen([SPINAL_THRUST], findings=[], red_flags=[URGENT], contraindications=CONTRAINDICATIONS)
    (message,) = result.hard(0)
    assert "Unexplained weight loss – suspected malignancy or infection" in message
    assert "medical clearance" in message
    assert safety.sign_problems(result) == [message]


def test_an_emergency_gives_its_referral():
    result = safety.screen([BRIDGE], findings=[], red_flags=[EMERGENCY], contraindications=CONTRAINDICATIONS)
    assert any("emergency care" in referral.lower() for referral in result.referrals)


def test_a_clinic_without_the_contraindication_refuses_nothing():
    kept = [entry for entry in CONTRAINDICATIONS if entry.key == "fai-deep-flexion-adduction"]
    result = safety.screen([SPINAL_THRUST], findings=[], red_flags=[EMERGENCY, URGENT], contraindications=kept)
    assert (result.blocked, result.refusals) == (False, {})


def test_no_lines_nothing_to_refuse():
    result = safety.screen([], findings=[], red_flags=[EMERGENCY], contraindications=CONTRAINDICATIONS)
    assert result.blocked is True
    assert safety.sign_problems(result) == []


# --- Signing and pre-filling --------------------------------------------------------------------

NOT_DONE = rules.LineDraft(prong="manipulation", name="Lumbar HVLA", status="not_done", not_done_reason="Sent to A&E")


def _content(blocked: bool) -> rules.NoteContent:
    return rules.NoteContent(
        lines=(NOT_DONE,),
        total_minutes=10,
        timed_minutes=0,
        response="same",
        next_visit="After medical review",
        signer_credentials="DC",
        blocked=blocked,
    )


@pytest.mark.parametrize(("blocked", "problems"), [(False, 1), (True, 0)])
def test_a_blocked_visit_is_signed_with_nothing_delivered(blocked, problems):
    assert len(rules.sign_problems(_content(blocked))) == problems


def test_prefill_keeps_the_library_key_and_the_last_thrust_mark():
    planned = [rules.PlannedItem(prong="manipulation", name="Lumbar mobilisation", intervention_key="lumbar-mob")]
    before = [rules.LineDraft(prong="manipulation", name="Lumbar mobilisation", thrust="spinal", region="L4")]
    (fresh,) = rules.prefill_lines(planned, [])
    (repeated,) = rules.prefill_lines(planned, before)
    assert (fresh.intervention_key, fresh.thrust) == ("lumbar-mob", "")
    assert (repeated.intervention_key, repeated.thrust, repeated.region) == ("lumbar-mob", "spinal", "L4")
