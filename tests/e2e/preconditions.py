"""What a journey needs before its own part starts, made the way the product makes it: through
the services (and Celery, eager in tests), never by writing rows by hand."""

from __future__ import annotations

import datetime

from django.utils.datastructures import MultiValueDict

from assessments import services as assessment_services
from assessments.forms import AssessmentForm
from assessments.models import Assessment, AssessmentKind
from intake import services as intake_services
from intake import steps
from intake.models import Intake
from plans import services as plan_services
from plans.models import PlanVersion
from tests.assessments.helpers import exam_data
from tests.intake.helpers import STEP_CODES, step_data


def submitted_intake(episode, *, actor, answers: dict | None = None) -> Intake:
    """Send the intake link, then save every step's answers as the patient's pages do and submit.

    ``answers`` maps a step code to changes of tests.intake.helpers' valid answers (low back,
    ODI only, no red flag)."""
    intake_services.invitation_send(actor=actor, episode=episode, channel="email")
    intake = Intake.objects.get(episode=episode)
    for code in STEP_CODES:
        if code == "review":
            break
        step = steps.BY_CODE[code]
        changes = (answers or {}).get(code)
        if code == "consent":
            patient = episode.patient
            changes = {"signature": f"{patient.first_name} {patient.last_name}", **(changes or {})}
        posted = step_data(code, changes)
        form = steps.build_form(
            step,
            intake,
            data=MultiValueDict(
                {name: value if isinstance(value, list) else [value] for name, value in posted.items()}
            ),
        )
        assert form.is_valid(), (code, form.errors)
        intake = intake_services.step_save(intake=intake, step_code=code, answers=form.cleaned_data)
    return intake_services.intake_submit(intake=intake)


def completed_assessment(
    episode, *, clinician, kind: str = AssessmentKind.INITIAL, on: datetime.date, changes: dict | None = None
) -> Assessment:
    """A full exam (tests.assessments.helpers.EXAM with ``changes``), completed: findings derived."""
    assessment = assessment_services.assessment_start(actor=clinician, episode=episode, kind=kind, assessed_on=on)
    form = AssessmentForm(exam_data({"assessed_on": on.isoformat(), **(changes or {})}))
    assert form.is_valid(), form.errors
    assessment_services.assessment_save(actor=clinician, assessment=assessment, visit=form.visit(), exam=form.exam())
    assessment_services.assessment_complete(actor=clinician, assessment=assessment)
    assessment.refresh_from_db()
    return assessment


def signed_plan(assessment: Assessment, *, clinician) -> PlanVersion:
    """The generator's draft for the assessment, signed as it stands (an empty prong explained)."""
    plan = plan_services.plan_draft(actor=clinician, assessment=assessment)
    reasons = dict.fromkeys(plan_services.missing_prongs(plan), "Not indicated at this stage.")
    if reasons:
        plan_services.plan_update(actor=clinician, plan=plan, missing_prong_reasons=reasons)
    return plan_services.plan_sign(actor=clinician, plan=plan)
