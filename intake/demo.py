"""Synthetic intakes for the demo clinic (``manage.py seed_demo``).

Submitted intakes go through the same services as a real patient's, so their scores, red
flags and load facts are computed, not invented. Idempotent: episodes that already have
an intake are left alone.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from clinic.models import EpisodeOfCare, EpisodeStatus, User
from intake import forms, instruments, rules, services
from intake.models import Intake

_REGION_SETS = (
    ["low_back_right", "buttock_right"],
    ["hip_side_left"],
    ["low_back_left", "low_back_right"],
    ["hip_front_right", "thigh_front_right"],
    ["buttock_left", "thigh_back_left"],
)


def _answers(rng: random.Random, patient, regions: list[str], red_flag: str | None) -> dict[str, dict]:
    now = rng.randint(2, 7)
    weekly_two_weeks_ago = rng.choice([20, 25, 30, 35])
    jump = rng.choice([Decimal("1.0"), Decimal("1.1"), Decimal("1.5")])
    chosen = [instrument for instrument in instruments.instruments_for_regions(regions) if instrument.code != "nprs"]
    return {
        "about": {
            "email": patient.email,
            "mobile_phone": str(patient.mobile_phone or ""),
            "preferred_contact_channel": patient.preferred_contact_channel,
            "emergency_contact": "",
        },
        "consent": {"agree": True, "signer": "patient", "signature": f"{patient.first_name} {patient.last_name}"},
        "complaint": {
            "regions": regions,
            "began": rng.choice([code for code, _ in forms.SINCE_CHOICES]),
            "onset": rng.choice(["sudden", "gradual"]),
            "onset_story": "",
            "pain_now": now,
            "pain_least": max(0, now - rng.randint(1, 3)),
            "pain_worst": min(10, now + rng.randint(1, 3)),
            "worse_with": ["running", "sitting"],
            "better_with": ["rest", "heat"],
            "pattern": rng.choice([code for code, _ in forms.PATTERN_CHOICES]),
            "night_pain": "no",
            "nerve_symptoms": [],
            "nerve_where": "",
        },
        "running": {
            "years_running": Decimal(rng.randint(1, 15)),
            "runs_per_week": Decimal(rng.randint(3, 6)),
            "distance_unit": "km",
            "weekly_now": Decimal(weekly_two_weeks_ago) * jump,
            "weekly_2_weeks_ago": Decimal(weekly_two_weeks_ago),
            "weekly_4_weeks_ago": Decimal(weekly_two_weeks_ago - 5),
            "longest_last_7_days": Decimal(rng.randint(10, 18)),
            "longest_prior_30_days": Decimal(14),
            "surfaces": ["road"],
            "shoes": "Daily trainer",
            "shoe_age_months": Decimal(rng.randint(2, 14)),
            "goal_race": "",
            "goal_race_date": None,
            "recent_changes": ["more_distance"] if jump > 1 else [],
            "recent_changes_notes": "",
        },
        "daily": {"sitting_hours": Decimal(rng.randint(4, 10)), "work": "Office work", "sleep_hours": Decimal(7)},
        "history": {"prior_injuries": "", "surgery": "", "medications": "", "imaging": [], "other_conditions": ""},
        "red_flags": {
            question.code: "yes" if question.code == red_flag else "no" for question in rules.RED_FLAG_QUESTIONS
        },
        "questionnaires": {
            forms.field_name(instrument.code, item.code): rng.choice([option.value for option in item.options][:4])
            for instrument in chosen
            for item in instrument.items
            if not item.optional
        },
    }


def submit_intake(episode: EpisodeOfCare, answers: dict[str, dict]) -> Intake:
    """The episode's intake filled in step by step and submitted, as a patient does it."""
    intake = Intake.objects.create(episode=episode)
    for step_code, step_answers in answers.items():
        services.step_save(intake=intake, step_code=step_code, answers=step_answers)
    services.intake_submit(intake=intake)
    # Demo patients filled in their form the evening before their episode opened.
    evening = datetime.datetime.combine(
        episode.opened_on - datetime.timedelta(days=1), datetime.time(19), tzinfo=episode.patient.clinic.zone
    )
    Intake.objects.filter(pk=intake.pk).update(submitted_at=evening)
    return intake


def submitted_intakes(*, episodes: list[EpisodeOfCare], seed: int) -> int:
    """A submitted intake, without red flags, for each of ``episodes`` that has none."""
    rng = random.Random(seed)
    made = 0
    for number, episode in enumerate(episodes):
        if not Intake.objects.filter(episode=episode).exists():
            submit_intake(episode, _answers(rng, episode.patient, _REGION_SETS[number % len(_REGION_SETS)], None))
            made += 1
    return made


def seed_intakes(*, episodes: list[EpisodeOfCare], front_desk: User, pending: int = 2) -> int:
    """Submitted intakes for most open episodes, sent-but-unanswered ones for the newest few."""
    rng = random.Random(31337)
    open_episodes = [episode for episode in episodes if episode.status == EpisodeStatus.OPEN]
    have_intake = set(Intake.objects.filter(episode__in=open_episodes).values_list("episode_id", flat=True))
    newest = sorted(open_episodes, key=lambda episode: (episode.opened_on, episode.pk))[-pending:]
    made = submitted = 0
    for number, episode in enumerate(open_episodes):
        if episode.pk in have_intake:
            continue
        if episode in newest:
            services.invitation_send(actor=front_desk, episode=episode)
        else:
            # The first submitted intake carries an urgent red flag, so the dashboards show the alert.
            red_flag = "night_pain" if submitted == 0 else None
            submit_intake(episode, _answers(rng, episode.patient, _REGION_SETS[number % len(_REGION_SETS)], red_flag))
            submitted += 1
        made += 1
    return made
