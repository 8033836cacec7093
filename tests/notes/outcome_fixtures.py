"""Discharged episodes for the outcomes page, made with the ORM (the services are tested elsewhere), with their
outcome stored as the discharge service stores it."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from assessments.models import Assessment, AssessmentKind, AssessmentStatus, Finding, FindingOrigin, OutcomeScore
from clinic.models import EpisodeStatus
from clinic.scheduling.models import AppointmentStatus
from notes import outcome_facts
from notes.models import Discharge, DischargeReason, FollowUp, FollowUpKind
from plans.models import PlanStatus, PlanVersion, TreatmentPlan
from tests.factories import AppointmentFactory, EpisodeFactory

OPENED = datetime.date(2026, 1, 5)
# Each visit its own half hour, so no two of a clinician's visits overlap.
_SLOTS = itertools.count()


def _score(assessment, instrument, value):
    OutcomeScore.objects.create(
        assessment=assessment, instrument=instrument, value=Decimal(value), display=str(value), scored=True
    )


def discharged_episode(
    patient,
    clinician,
    *,
    discharged_on=datetime.date(2026, 3, 2),
    condition="gluteal_tendinopathy",
    because=("Hip abductor weakness",),
    hos=(50, 70),
    visits=2,
    follow_up_answered=None,
):
    """A discharged episode: an initial and a closing assessment with the HOS ADL, a signed plan whose one
    exercise item was chosen ``because``, ``visits`` attended visits and, unless ``follow_up_answered`` is
    None, a follow-up due before today."""
    episode = EpisodeFactory(patient=patient, lead_clinician=clinician, opened_on=OPENED)
    first = Assessment.objects.create(
        episode=episode,
        clinician=clinician,
        status=AssessmentStatus.COMPLETED,
        assessed_on=OPENED,
        completed_at=timezone.now(),
    )
    last = Assessment.objects.create(
        episode=episode,
        clinician=clinician,
        kind=AssessmentKind.REASSESSMENT,
        status=AssessmentStatus.COMPLETED,
        assessed_on=discharged_on,
        completed_at=timezone.now(),
    )
    if condition:
        Finding.objects.create(
            assessment=first, code=condition, label=condition, origin=FindingOrigin.ADDED, reason="Seen"
        )
    for assessment, value in zip((first, last), hos, strict=False):
        _score(assessment, "hos_adl", value)
    plan = TreatmentPlan.objects.create(
        episode=episode, assessment=first, created_by=clinician, status=PlanStatus.SIGNED
    )
    PlanVersion.objects.create(
        plan=plan,
        number=1,
        body={"items": [{"name": "Side-lying abduction", "prong": "exercise", "because": list(because)}]},
        signed_by=clinician,
        signed_at=timezone.now(),
    )
    for _ in range(visits):
        starts = timezone.make_aware(datetime.datetime.combine(OPENED, datetime.time(0))) + datetime.timedelta(
            minutes=30 * next(_SLOTS)
        )
        AppointmentFactory(
            episode=episode,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(minutes=30),
            status=AppointmentStatus.COMPLETED,
        )
    Discharge.objects.create(
        episode=episode,
        reason=DischargeReason.GOALS_MET,
        discharged_by=clinician,
        discharged_at=timezone.now(),
        discharged_on=discharged_on,
    )
    episode.status, episode.closed_on = EpisodeStatus.DISCHARGED, discharged_on
    episode.save(update_fields=["status", "closed_on"])
    if follow_up_answered is not None:
        FollowUp.objects.create(
            episode=episode,
            kind=FollowUpKind.FOLLOW_UP,
            due_on=discharged_on + datetime.timedelta(days=30),
            answered_at=timezone.now() if follow_up_answered else None,
        )
    outcome_facts.refresh_episode(episode.pk)
    return episode
