"""A patient's record built through the real services, for the FHIR export tests: a submitted
intake (NPRS, ODI, LEFS), a completed initial evaluation with findings, a signed plan with a
ready handout, a cleared red flag, and booked visits."""

from __future__ import annotations

import datetime
import random

from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from clinic.models import EpisodeOfCare, User
from intake import demo as intake_demo
from intake import services as intake_services
from intake.models import Intake, RedFlag, RedFlagTier
from plans import services as plan_services
from plans.models import Handout, HandoutDelivery, HandoutStatus, Prong, TreatmentPlan
from tests.assessments.helpers import login, record
from tests.factories import AppointmentFactory, EpisodeFactory

# Low back and the front of the hip: the intake asks the ODI and the LEFS (and the NPRS).
REGIONS = ["low_back_left", "hip_front_right"]


def submitted_intake(episode: EpisodeOfCare, *, seed: int = 7) -> Intake:
    """The demo's synthetic answers, saved step by step and submitted as a patient would."""
    answers = intake_demo._answers(random.Random(seed), episode.patient, REGIONS, None)
    intake = Intake.objects.create(episode=episode)
    for step_code, step_answers in answers.items():
        intake_services.step_save(intake=intake, step_code=step_code, answers=step_answers)
    return intake_services.intake_submit(intake=intake)


def signed_plan(clinician: User, assessment) -> TreatmentPlan:
    """The generator's draft, signed, with its handout made ready (a stand-in PDF: the render
    itself is tested with the handouts)."""
    plan = plan_services.plan_draft(actor=clinician, assessment=assessment)
    present = set(plan.items.values_list("prong", flat=True))
    reasons = {prong.value: "Not needed at this stage" for prong in Prong if prong.value not in present}
    if reasons:
        plan = plan_services.plan_update(actor=clinician, plan=plan, missing_prong_reasons=reasons)
    version = plan_services.plan_sign(actor=clinician, plan=plan)
    handout = Handout.objects.get(version=version)
    handout.status = HandoutStatus.READY
    handout.delivery = HandoutDelivery.NOT_SENT
    handout.file.save(f"plan-{plan.pk}-v1.pdf", ContentFile(b"%PDF-1.7 home program"), save=False)
    handout.save()
    plan.refresh_from_db()
    return plan


def full_episode(patient, clinician: User, *, seed: int = 7) -> EpisodeOfCare:
    episode = EpisodeFactory(patient=patient, lead_clinician=clinician)
    submitted_intake(episode, seed=seed)
    assessment = record(login(Client(), clinician), episode)
    signed_plan(clinician, assessment)
    # A red flag the clinician has cleared (an open urgent one would change the plan drafted above).
    RedFlag.objects.create(
        episode=episode,
        intake=episode.intake,
        code="night_pain",
        tier=RedFlagTier.URGENT,
        label="Severe / unremitting night pain",
        raised_at=timezone.now() - datetime.timedelta(hours=1),
        cleared_at=timezone.now(),
        cleared_by=clinician,
        clearance_note="Mechanical pattern on examination; eases with position change.",
    )
    for days in (1, 8):
        # Apart, and a week apart per episode seed: PostgreSQL refuses a clinician's overlapping visits.
        starts_at = timezone.now().replace(microsecond=0) + datetime.timedelta(days=days + seed, hours=1)
        AppointmentFactory(episode=episode, clinician=clinician, starts_at=starts_at)
    return episode
