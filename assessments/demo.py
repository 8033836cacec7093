"""Synthetic assessments for the demo clinic (``manage.py seed_demo``).

Recorded and completed through the same services as a clinician's, so the findings are
derived, not invented. A few episodes also get a re-assessment that shows progress.
Idempotent: episodes that already have an assessment are left alone.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from assessments import findings, scoring, services
from assessments.models import AssessmentKind
from assessments.records import Visit
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


def _exam(rng: random.Random, day: datetime.date, *, better_by: int = 0) -> tuple[Visit, findings.ExamInput]:
    """One plausible visit and exam; ``better_by`` degrees of recovery on the tight side."""
    visit = Visit(
        assessed_on=day,
        rom_device="goniometer",
        rom_mode="passive",
        pain_today=max(0, rng.randint(4, 6) - better_by // 3),
    )
    cadence = rng.choice([158, 164, 170])
    rom = []
    for motion, value in _BASE_ROM.items():
        left = value + rng.randint(-2, 2)
        right = value + rng.randint(-2, 2)
        if motion == "extension":
            left = max(-5, left - 12 + better_by)  # the tight side catches up over care
        rom.append(
            scoring.RomReading(motion, left, right, position=scoring.DEFAULT_POSITIONS[motion], device=visit.rom_device)
        )
    fms_raw = dict.fromkeys(scoring.FMS_RAW_KEYS, 2)
    if not better_by:
        fms_raw["hurdle_step_right"] = 1
    special = {
        test: dict.fromkeys(scoring.SIDES, findings.SpecialTest("negative")) for test, _ in findings.SPECIAL_TESTS
    }
    if not better_by:
        special["thomas"]["left"] = findings.SpecialTest("positive", tight=frozenset({"iliopsoas", "rectus_femoris"}))
    exam = findings.ExamInput(
        rom=tuple(rom),
        fms_raw=fms_raw,
        true_left=894,
        true_right=886,
        apparent_left=941,
        apparent_right=934,
        special_tests=special,
        running_form={"overstriding": not better_by, "forward_lean": rng.random() < 0.4},
        cadence=cadence,
    )
    return visit, exam


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
        visit, exam = _exam(rng, first_day)
        services.assessment_save(actor=clinician, assessment=initial, visit=visit, exam=exam)
        services.assessment_complete(actor=clinician, assessment=initial)
        made += 1
        if number < progress_examples and first_day < today:
            later = min(today, first_day + datetime.timedelta(days=28))
            again = services.assessment_start(
                actor=clinician, episode=episode, kind=AssessmentKind.REASSESSMENT, assessed_on=later
            )
            visit, exam = _exam(rng, later, better_by=10)
            services.assessment_save(actor=clinician, assessment=again, visit=visit, exam=exam)
            services.assessment_complete(actor=clinician, assessment=again)
            made += 1
    return made
