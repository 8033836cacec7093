"""Red flags and running-load facts derived from intake answers (DOMAIN A; B6; B8).

Pure Python (no Django). Rules read raw answers, so a clinic can change a threshold without a data
migration (DOMAIN B conventions). Every threshold is a keyword argument whose default is DOMAIN's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import StrEnum

from domain.facts import THRESHOLD_DEFAULTS
from domain.numbers import plain

_CONTEXT = Context(prec=28)


class Tier(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    CAUTION = "caution"


_TIER_ORDER = {Tier.EMERGENCY: 0, Tier.URGENT: 1, Tier.CAUTION: 2}


@dataclass(frozen=True)
class RedFlagQuestion:
    code: str
    tier: Tier
    question: str  # plain patient language, answered yes / no
    staff_label: str  # clinical wording
    source: str  # e.g. "DOMAIN B6.1, S110"
    # Emergency tier only: the sign in plain words for the handout's "seek emergency care" box, kept
    # here so the box and the intake catalogue cannot drift apart.
    warning_sign: str = ""


# One question per row of DOMAIN B6.1 that a patient can answer; tiers as in DOMAIN A "Red flags".
# Not asked here: the age row (computed below, CAUTION) and "no improvement after ~4-6 weeks of care"
# (a follow-up review, not an intake question). DOMAIN.md is silent on whether rows such as cancer
# history apply only with back pain: each "yes" raises its flag whatever the pain region.
# For cauda equina symptoms, recent onset (< 14 days) or worsening qualifies (DOMAIN B6.1, S112), so
# the questions ask about "new or getting worse" and give no day limit. Isolated constipation alone is
# not a trigger (S117) and is not asked.
RED_FLAG_QUESTIONS: tuple[RedFlagQuestion, ...] = (
    RedFlagQuestion(
        "saddle_numbness",
        Tier.EMERGENCY,
        "Do you have numbness, tingling or less feeling around your bottom, back passage or genitals "
        "that is new or getting worse?",
        "Saddle numbness – suspected cauda equina",
        "DOMAIN B6.1, S110, S111, S112, S113",
        "New numbness, tingling or less feeling around your bottom, back passage or genitals.",
    ),
    RedFlagQuestion(
        "bladder_problems",
        Tier.EMERGENCY,
        "Do you have new problems with your bladder, such as trouble starting to pee, not being able to "
        "pee, not feeling when you pee, or leaking urine?",
        "New bladder disturbance (hesitancy, retention, loss of sensation, incontinence) – suspected cauda equina",
        "DOMAIN B6.1, S110, S111, S112",
        "New problems with your bladder: trouble starting to pee, not being able to pee, not feeling "
        "when you pee, or leaking urine.",
    ),
    RedFlagQuestion(
        "bowel_incontinence",
        Tier.EMERGENCY,
        "Have you recently lost control of your bowels, or lost the feeling in your back passage when you "
        "open your bowels?",
        "New faecal incontinence or loss of rectal sensation – suspected cauda equina",
        "DOMAIN B6.1, S111, S112",
        "Losing control of your bowels, or losing the feeling in your back passage.",
    ),
    RedFlagQuestion(
        "bilateral_sciatica",
        Tier.EMERGENCY,
        "Do you have pain going down both legs, or has pain that went down one leg spread to the other leg?",
        "Bilateral sciatica (or unilateral becoming bilateral) – suspected cauda equina",
        "DOMAIN B6.1, S111, S114",
        "Pain going down both legs, or pain in one leg that spreads to the other leg.",
    ),
    RedFlagQuestion(
        "sexual_dysfunction",
        Tier.EMERGENCY,
        "Since your back or leg pain started, have you noticed new problems with sexual function, "
        "such as less feeling during sex?",
        "New sexual dysfunction with back/leg pain – suspected cauda equina",
        "DOMAIN B6.1, S111, S112",
        "New problems with sexual function, such as less feeling during sex.",
    ),
    RedFlagQuestion(
        # Weakness alone is not the emergency: DOMAIN B6.1 makes severe or progressive weakness, or acute
        # foot drop, the emergency, so LEG_WEAKNESS_WORSE asks the distinction (see leg_weakness_flag).
        "leg_weakness",
        Tier.EMERGENCY,
        "Do you have weakness in one or both of your legs?",
        "Severe or progressive leg weakness or acute foot drop – suspected cauda equina / severe radiculopathy",
        "DOMAIN B6.1, S110, S111, S114",
        "Leg weakness that is getting worse or is severe, or a foot that starts to drop or slap so your toes "
        "catch when you walk.",
    ),
    RedFlagQuestion(
        "major_trauma",
        Tier.EMERGENCY,
        "Did your pain start after a serious accident, such as a road accident or a fall from a height?",
        "Major trauma – suspected fracture; imaging before any manual therapy",
        "DOMAIN B6.1, S110",
        "Back pain after a serious accident, such as a road accident or a fall from a height.",
    ),
    RedFlagQuestion(
        "aaa_signs",
        Tier.EMERGENCY,
        "Have you felt a pulsing or throbbing lump in your belly, or has a doctor told you that you have "
        "an aneurysm (a swollen main blood vessel) in your belly?",
        "Pulsatile abdominal mass / known aneurysm – suspected abdominal aortic aneurysm (AAA)",
        "DOMAIN B6.1, S118",
        "A pulsing or throbbing lump in your belly.",
    ),
    RedFlagQuestion(
        "infection_signs",
        Tier.URGENT,
        "Do you have a fever or feel generally unwell, have you recently had a bacterial infection, have "
        "you ever injected drugs, or is your immune system weakened by an illness or medicine?",
        "Fever, systemically unwell, recent bacterial infection, IV drug use or immunosuppression "
        "– suspected spinal infection",
        "DOMAIN B6.1, S110, S111",
    ),
    RedFlagQuestion(
        "cancer_history",
        Tier.URGENT,
        "Have you ever had cancer?",
        "History of cancer with back pain – suspected metastasis",
        "DOMAIN B6.1, S110, S116",
    ),
    RedFlagQuestion(
        "weight_loss",
        Tier.URGENT,
        "Have you lost weight recently without trying to?",
        "Unexplained weight loss – suspected malignancy or infection",
        "DOMAIN B6.1, S110, S114",
    ),
    RedFlagQuestion(
        "night_pain",
        Tier.URGENT,
        "Do you have severe pain at night or at rest that does not ease when you change position, or pain "
        "that gets worse when you lie down?",
        "Severe / unremitting night pain, pain worse lying down or non-mechanical rest pain "
        "– suspected tumour or infection",
        "DOMAIN B6.1, S110, S115",
    ),
    RedFlagQuestion(
        # DOMAIN B6.1 says "older or osteoporotic patient; long-term steroids"; DOMAIN.md is silent on what
        # "older" means, so the question asks about thin bones and steroids only (age: the caution flag).
        "fragility_fracture",
        Tier.URGENT,
        "Did your pain start after a minor fall or lifting something heavy, and do you have thin bones "
        "(osteoporosis) or have you taken steroid medicine for a long time?",
        "Minor trauma or strenuous lift with osteoporosis or long-term steroids – suspected fragility fracture",
        "DOMAIN B6.1, S110, S118",
    ),
    RedFlagQuestion(
        "serious_spinal_signs",
        Tier.URGENT,
        "Do you have pain in your upper or middle back, numbness or weakness in many parts of your body, "
        "a change in the shape of your spine, or an inflammatory disease diagnosed by a doctor?",
        "Thoracic pain, widespread neurology, structural deformity or inflammatory disease "
        "– possible serious spinal pathology",
        "DOMAIN B6.1, S114",
    ),
)

RED_FLAG_QUESTIONS_BY_CODE: dict[str, RedFlagQuestion] = {question.code: question for question in RED_FLAG_QUESTIONS}

AGE_CAUTION_CODE = "age_caution"
LEG_WEAKNESS_STABLE_CODE = "leg_weakness_stable"


@dataclass(frozen=True)
class FollowUpQuestion:
    code: str
    asked_after: str  # the catalogue question whose "yes" makes this one required
    question: str  # plain patient language, answered yes / no


LEG_WEAKNESS_WORSE = FollowUpQuestion(
    "leg_weakness_worse",
    "leg_weakness",
    "If you have leg weakness: is it getting worse, is it severe, or has your foot started to drop or slap "
    "so that your toes catch when you walk?",
)
FOLLOW_UP_QUESTIONS: tuple[FollowUpQuestion, ...] = (LEG_WEAKNESS_WORSE,)


@dataclass(frozen=True)
class RaisedFlag:
    code: str
    tier: Tier
    label: str  # staff-facing


def leg_weakness_flag(*, weakness: bool | None, worse: bool | None) -> RaisedFlag | None:
    """The flag for the two leg-weakness answers (DOMAIN B6.1, S110, S111, S114), or None.

    Severe or progressive weakness, or acute foot drop, is the emergency: a "yes" to the follow-up
    raises it even after a "no" to weakness, since the sign is in its own wording. Weakness with the
    follow-up unanswered also stays the emergency: intakes stored before the follow-up existed asked one
    question, whose "yes" was the emergency, and no stored answer may lose its flag. Weakness that is
    neither severe nor getting worse has no red-flag tier in DOMAIN.md (it only tells the patient to
    seek help promptly), so it is a caution flag: shown to the clinician, blocking nothing.
    """
    question = RED_FLAG_QUESTIONS_BY_CODE["leg_weakness"]
    if worse is True:
        return RaisedFlag(question.code, Tier.EMERGENCY, question.staff_label)
    if weakness is not True:
        return None
    if worse is None:
        return RaisedFlag(
            question.code,
            Tier.EMERGENCY,
            "Leg weakness, not asked whether severe or progressive – treated as suspected cauda equina / "
            "severe radiculopathy",
        )
    return RaisedFlag(
        LEG_WEAKNESS_STABLE_CODE,
        Tier.CAUTION,
        "Leg weakness, reported as neither severe nor getting worse – an emergency if more than one root "
        "or acute foot drop (dorsiflexion ≤ 3/5) on examination",
    )


def emergency_warning_signs() -> list[str]:
    """Every emergency sign of the catalogue in plain words, for the patient's handout."""
    return [question.warning_sign for question in RED_FLAG_QUESTIONS if question.tier == Tier.EMERGENCY]


# DOMAIN A "Red flags" / B6.2: shown to the patient at once when any EMERGENCY flag is raised.
# DOMAIN.md is silent on the emergency number and services (they depend on the clinic's country),
# so the text names none.
EMERGENCY_INSTRUCTION = (
    "Some of your answers describe symptoms that need medical attention straight away. "
    "Please seek emergency care now: call the emergency services or go to the nearest emergency department today. "
    "Do not wait for your appointment with us. Your answers have also been passed to your clinic."
)


def raised_red_flags(
    answers: Mapping[str, bool | None],
    *,
    age: int,
    back_pain: bool,
    caution_age_over: int | Decimal = THRESHOLD_DEFAULTS["caution_age_over"],
    caution_age_under: int | Decimal = THRESHOLD_DEFAULTS["caution_age_under"],
) -> list[RaisedFlag]:
    """Flags raised by the red-flag answers ({question code: True / False / None}) and the age rule.

    Each "yes" (True) raises its question's flag; "no" and unanswered raise nothing; leg weakness
    and its follow-up are tiered together by ``leg_weakness_flag``. Ordered
    emergency, urgent, caution, then by question order. Raises ValueError for an unknown question
    code, a non-boolean answer or an impossible age.
    """
    unknown = sorted(set(answers) - set(RED_FLAG_QUESTIONS_BY_CODE) - {q.code for q in FOLLOW_UP_QUESTIONS})
    if unknown:
        raise ValueError(f"Unknown red-flag question(s): {', '.join(unknown)}")
    for code, answer in answers.items():
        if answer is not None and not isinstance(answer, bool):
            raise ValueError(f"{code}: answer must be True, False or None, not {answer!r}")
    if isinstance(age, bool) or not isinstance(age, int) or age < 0:
        raise ValueError(f"age must be a whole number of years, not {age!r}")

    flags = []
    for question in RED_FLAG_QUESTIONS:
        if question.code == "leg_weakness":
            flag = leg_weakness_flag(weakness=answers.get(question.code), worse=answers.get(LEG_WEAKNESS_WORSE.code))
            flags += [flag] if flag else []
        elif answers.get(question.code) is True:
            flags.append(RaisedFlag(question.code, question.tier, question.staff_label))
    # DOMAIN B6.1, S110, S114: age > 50 (some pathways > 55) or < 20 with new back pain is a caution
    # flag; the thresholds are configurable (B6.2). DOMAIN.md is silent on what "new" back pain
    # means, so the flag is raised for any back pain the patient reports.
    if back_pain and (age > caution_age_over or age < caution_age_under):
        flags.append(
            RaisedFlag(
                AGE_CAUTION_CODE,
                Tier.CAUTION,
                f"Age {age} with back pain (over {plain(caution_age_over)} or under {plain(caution_age_under)}) "
                "– raised prior probability of serious pathology",
            )
        )
    flags.sort(key=lambda flag: _TIER_ORDER[flag.tier])  # stable: question order kept within a tier
    return flags


# --- Load management ------------------------------------------------------------------------------

# DOMAIN B8, S150: the 10 % rule did not prevent injury in an RCT; show it as a conservative guide only.
TEN_PERCENT_GUIDANCE = (
    "A conservative guide is to increase your weekly running distance by about 10 % a week. "
    "This is guidance only, not a safety rule: a plan built on it did not lower injury rates in a trial."
)


@dataclass(frozen=True)
class LoadFact:
    code: str
    value: Decimal  # exact, in %
    threshold: Decimal  # in %
    message: str  # staff-facing


def _one_decimal(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _distance(value: object, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{name} must be an int, Decimal or None, not {value!r}")
    result = Decimal(value)
    if not result.is_finite() or result < 0:
        raise ValueError(f"{name} must be a distance of 0 or more, not {value}")
    return result


def _threshold(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
        raise ValueError(f"{name} must be an int or Decimal, not {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be above 0, not {value}")
    return Decimal(value)


def percent_change(old: int | Decimal | None, new: int | Decimal | None) -> Decimal | None:
    """Exact % change from ``old`` to ``new`` (e.g. 10 -> 13 is 30); None when either is None or ``old`` is 0."""
    old_value = _distance(old, "old")
    new_value = _distance(new, "new")
    if old_value is None or new_value is None or old_value == 0:
        return None
    return _CONTEXT.divide((new_value - old_value) * 100, old_value)


def load_facts(
    *,
    weekly_km_now: int | Decimal | None,
    weekly_km_2_weeks_ago: int | Decimal | None,
    weekly_km_4_weeks_ago: int | Decimal | None,
    longest_run_km_last_7_days: int | Decimal | None,
    longest_run_km_prior_30_days: int | Decimal | None,
    progression_threshold_pct: int | Decimal = THRESHOLD_DEFAULTS["load_progression_pct"],
    spike_threshold_pct: int | Decimal = THRESHOLD_DEFAULTS["load_spike_pct"],
) -> list[LoadFact]:
    """The load facts the two DOMAIN B8 rules raise; an empty list when neither applies.

    ``weekly_km_4_weeks_ago`` raises no fact (no DOMAIN rule); it is validated so the summary page can
    show ``percent_change(weekly_km_4_weeks_ago, weekly_km_now)``. A missing or zero baseline gives no
    fact. Raises ValueError for a negative distance or a threshold that is not above 0.
    """
    now = _distance(weekly_km_now, "weekly_km_now")
    two_weeks_ago = _distance(weekly_km_2_weeks_ago, "weekly_km_2_weeks_ago")
    _distance(weekly_km_4_weeks_ago, "weekly_km_4_weeks_ago")
    longest_recent = _distance(longest_run_km_last_7_days, "longest_run_km_last_7_days")
    longest_prior = _distance(longest_run_km_prior_30_days, "longest_run_km_prior_30_days")
    progression_threshold = _threshold(progression_threshold_pct, "progression_threshold_pct")
    spike_threshold = _threshold(spike_threshold_pct, "spike_threshold_pct")

    facts: list[LoadFact] = []

    # DOMAIN B8, S151: flag a two-week increase in weekly distance above 30 % (borderline evidence,
    # p = 0.07, in novice runners). Exactly at the threshold is not flagged ("> 30 %").
    increase = percent_change(two_weeks_ago, now)
    if increase is not None and increase > progression_threshold:
        facts.append(
            LoadFact(
                code="distance_progression",
                value=increase,
                threshold=progression_threshold,
                message=(
                    f"Weekly distance rose {_one_decimal(increase)} % in two weeks "
                    f"({_one_decimal(two_weeks_ago)} km to {_one_decimal(now)} km), above the "
                    f"{plain(progression_threshold)} % flag. In novice runners, more than 30 % over two weeks "
                    "went with more distance-related injuries (borderline evidence)."
                ),
            )
        )

    # DOMAIN B8, S153: flag a run longer than 110 % of the longest run in the previous 30 days.
    # Exactly at the threshold is not flagged ("> 110 %").
    if longest_recent is not None and longest_prior:
        ratio = _CONTEXT.divide(longest_recent * 100, longest_prior)
        if ratio > spike_threshold:
            facts.append(
                LoadFact(
                    code="single_run_spike",
                    value=ratio,
                    threshold=spike_threshold,
                    message=(
                        f"Longest run in the last 7 days ({_one_decimal(longest_recent)} km) is "
                        f"{_one_decimal(ratio)} % of the longest run in the previous 30 days "
                        f"({_one_decimal(longest_prior)} km), above the {plain(spike_threshold)} % flag. "
                        "Runs more than 10 % longer than the 30-day longest run went with more overuse injuries."
                    ),
                )
            )
    return facts
