"""Signed versions with handouts for the handout, delivery and portal tests."""

from __future__ import annotations

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from assessments.models import Assessment, AssessmentKind, AssessmentStatus
from plans.models import Handout, HandoutDelivery, HandoutStatus, PlanVersion, TreatmentPlan

PDF = b"%PDF-1.7 home program"


def home_item(name: str, frequency: str = "daily", **extra) -> dict:
    return {
        "intervention": "",
        "name": name,
        "prong": "exercise",
        "dosage": f"2 × 10, {frequency}",
        "sets": 2,
        "reps": "10",
        "hold_seconds": "",
        "frequency": frequency,
        "instructions": f"How to do {name}.",
        "home_program": True,
        "because": [],
        "illustration": "",
        "override_contraindication": "",
        "override_reason": "",
        **extra,
    }


def plan_of(episode) -> TreatmentPlan:
    # An episode has one initial evaluation; later plans come from re-assessments.
    kind = AssessmentKind.REASSESSMENT if episode.assessments.exists() else AssessmentKind.INITIAL
    assessment = Assessment.objects.create(
        episode=episode,
        kind=kind,
        clinician=episode.lead_clinician,
        status=AssessmentStatus.COMPLETED,
        completed_at=timezone.now(),
    )
    return TreatmentPlan.objects.create(episode=episode, assessment=assessment, created_by=episode.lead_clinician)


def signed_version(
    episode,
    items: list[dict],
    *,
    weeks: int = 2,
    plan: TreatmentPlan | None = None,
    signed_at: datetime.datetime | None = None,
    handout: bool = True,
) -> PlanVersion:
    """A signed version shaped as ``plans.services.snapshot`` makes it, with a ready handout
    (a stand-in PDF) whose message was not sent."""
    plan = plan or plan_of(episode)
    number = plan.versions.count() + 1
    clinician = episode.lead_clinician
    version = PlanVersion.objects.create(
        plan=plan,
        number=number,
        body={
            "episode": episode.pk,
            "assessment": plan.assessment_id,
            "clinician": {"name": clinician.full_name, "credentials": "DC"},
            "visits_per_week": 1,
            "weeks": weeks,
            "goals": [],
            "running_advice": ["Take slightly shorter steps when you run."],
            "referrals": [],
            "missing_prong_reasons": {"soft_tissue": "Not needed."},
            "excluded": [],
            "items": [*items, {**home_item("Hip mobilisation"), "prong": "manipulation", "home_program": False}],
        },
        signed_by=clinician,
        signed_at=signed_at or timezone.now(),
    )
    if handout:
        row = Handout(version=version, status=HandoutStatus.READY, delivery=HandoutDelivery.NOT_SENT)
        row.file.save(f"plan-{plan.pk}-v{number}.pdf", ContentFile(PDF), save=False)
        row.save()
    return version
