"""A plan long enough to render for several seconds, so that a worker can be killed while
WeasyPrint is at it: shared by the handout reliability tests and ``bench/recovery.py``."""

from __future__ import annotations

from django.utils import timezone

from assessments.models import Assessment, AssessmentStatus
from plans import services
from plans.models import Intervention, PlanVersion, TreatmentPlan


def sign_every_home_exercise(episode, clinician, *, weeks: int) -> PlanVersion:
    """Sign, through the plan service, a plan holding every home exercise of the seeded library
    (and a daily log for ``weeks`` weeks: 30 take several seconds to render)."""
    services.library_seed(clinic=episode.patient.clinic)
    assessment = Assessment.objects.create(
        episode=episode, clinician=clinician, status=AssessmentStatus.COMPLETED, completed_at=timezone.now()
    )
    plan = TreatmentPlan.objects.create(
        episode=episode,
        assessment=assessment,
        created_by=clinician,
        weeks=weeks,
        running_advice=["Take slightly shorter steps when you run."],
    )
    library = Intervention.objects.filter(clinic=episode.patient.clinic)
    for intervention in [*library.filter(home_program=True), library.filter(prong="manipulation").first()]:
        services.item_add(actor=clinician, plan=plan, intervention=intervention)
    return services.plan_sign(actor=clinician, plan=plan)
