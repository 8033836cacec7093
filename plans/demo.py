"""Synthetic plans for the demo clinic (``manage.py seed_demo``): the library, a signed plan
for each open episode with a re-assessment, and one plan left as a draft to edit.

Drafted and signed through the same services as a clinician's. Idempotent: episodes that
already have a plan are left alone.
"""

from __future__ import annotations

from assessments.models import Assessment, AssessmentKind, AssessmentStatus
from clinic.models import Clinic, EpisodeStatus
from plans import services
from plans.models import TreatmentPlan


def seed_plans(*, clinic: Clinic, drafts: int = 1) -> int:
    services.library_seed(clinic=clinic)
    initial = (
        Assessment.objects.filter(
            episode__patient__clinic=clinic,
            episode__status=EpisodeStatus.OPEN,
            kind=AssessmentKind.INITIAL,
            status=AssessmentStatus.COMPLETED,
        )
        .exclude(episode__in=TreatmentPlan.objects.values("episode"))
        .select_related("episode__lead_clinician", "episode__patient__clinic")
        .order_by("id")
    )
    made = 0
    # Plans made by an earlier run count towards the drafts, so a re-run adds none.
    drafted = (
        TreatmentPlan.objects.filter(episode__patient__clinic=clinic)
        .exclude(episode__assessments__kind=AssessmentKind.REASSESSMENT)
        .count()
    )
    for assessment in initial:
        has_progress = assessment.episode.assessments.filter(kind=AssessmentKind.REASSESSMENT).exists()
        if not has_progress:
            if drafted >= drafts:
                continue
            drafted += 1
        clinician = assessment.episode.lead_clinician
        plan = services.plan_draft(actor=clinician, assessment=assessment)
        made += 1
        if has_progress:
            reasons = dict.fromkeys(services.missing_prongs(plan), "Not needed at this stage.")
            if reasons:
                services.plan_update(actor=clinician, plan=plan, missing_prong_reasons=reasons)
            services.plan_sign(actor=clinician, plan=plan)
    return made
