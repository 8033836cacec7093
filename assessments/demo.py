"""Synthetic assessments for the demo clinic (``manage.py seed_demo``).

Recorded and completed through the same services as a clinician's, so the findings are
derived, not invented. A few episodes also get a re-assessment that shows progress.
Idempotent: episodes that already have an assessment are left alone.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from assessments import findings, scoring, services
from assessments.forms import rom_field, special_field
from assessments.models import AssessmentKind
from clinic.models import EpisodeOfCare, EpisodeStatus

# Near the AAOS reference values (DOMAIN A), so the demo's findings are the intended ones.
_BASE_ROM = {
    "flexion": 123,
    "extension": 29,
    "abduction": 46,
    "adduction": 31,
    "internal_rotation": 45,
    "external_rotation": 46,
}


def _exam(rng: random.Random, day: datetime.date, *, better_by: int = 0) -> dict:
    """Form data for one plausible exam; ``better_by`` degrees of recovery on the tight side."""
    data: dict = {
        "assessed_on": day,
        "rom_device": "goniometer",
        "rom_mode": "passive",
        "pain_today": max(0, rng.randint(4, 6) - better_by // 3),
        "cadence": rng.choice([158, 164, 170]),
        "form_notes": "",
    }
    for motion, value in _BASE_ROM.items():
        left = value + rng.randint(-2, 2)
        right = value + rng.randint(-2, 2)
        if motion == "extension":
            left = max(-5, left - 12 + better_by)  # the tight side catches up over care
        data[rom_field(motion, "left")], data[rom_field(motion, "right")] = left, right
    for test in scoring.FMS_TESTS:
        if test.bilateral:
            data[f"fms_{test.code}_left"] = 2
            data[f"fms_{test.code}_right"] = 1 if test.code == "hurdle_step" and not better_by else 2
        else:
            data[f"fms_{test.code}"] = 2
    data["true_left_cm"], data["true_right_cm"] = Decimal("89.4"), Decimal("88.6")
    data["apparent_left_cm"], data["apparent_right_cm"] = Decimal("94.1"), Decimal("93.4")
    for test, _ in findings.SPECIAL_TESTS:
        for side in scoring.SIDES:
            data[special_field(test, side)] = "negative"
    if not better_by:
        data[special_field("thomas", "left")] = "positive"
        data[special_field("thomas", "left", "structure")] = "iliopsoas"
    data["overstriding"] = not better_by
    data["forward_lean"] = rng.random() < 0.4
    return data


def seed_assessments(*, episodes: list[EpisodeOfCare], progress_examples: int = 2) -> int:
    """An initial evaluation for open episodes with a submitted intake; re-assessments for a few."""
    rng = random.Random(4242)
    made = 0
    candidates = [
        episode
        for episode in episodes
        if episode.status == EpisodeStatus.OPEN
        and getattr(episode, "intake", None) is not None
        and episode.intake.is_submitted
        and not episode.assessments.exists()
    ]
    today = timezone.localdate()
    for number, episode in enumerate(candidates):
        clinician = episode.lead_clinician
        first_day = min(episode.opened_on, today)
        initial = services.assessment_start(
            actor=clinician, episode=episode, kind=AssessmentKind.INITIAL, assessed_on=first_day
        )
        services.assessment_save(actor=clinician, assessment=initial, data=_exam(rng, first_day))
        services.assessment_complete(actor=clinician, assessment=initial)
        made += 1
        if number < progress_examples and first_day < today:
            later = min(today, first_day + datetime.timedelta(days=28))
            again = services.assessment_start(
                actor=clinician, episode=episode, kind=AssessmentKind.REASSESSMENT, assessed_on=later
            )
            services.assessment_save(actor=clinician, assessment=again, data=_exam(rng, later, better_by=10))
            services.assessment_complete(actor=clinician, assessment=again)
            made += 1
    return made
