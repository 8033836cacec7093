"""Fixtures of the walk-run phases: a plan signed with the standard program, and runs logged in it."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from plans import services as plan_services
from plans.models import RunProgramTemplate
from running.models import ReturnToRun, Run
from tests.factories import PlanFactory

_minutes = itertools.count(1)


def program(key: str = "standard-walk-run") -> RunProgramTemplate:
    return RunProgramTemplate.objects.get(clinic=None, key=key, version=1)


def sign_with_program(clinician, plan, chosen: RunProgramTemplate | None):
    plan_services.run_program_choose(actor=clinician, plan=plan, program=chosen)
    return plan_services.plan_sign(actor=clinician, plan=plan)


@pytest.fixture
def draft(episode, clinician):
    return PlanFactory(assessment__episode=episode, created_by=clinician)


@pytest.fixture
def rtr(draft, clinician) -> ReturnToRun:
    """The runner at phase 1 of the standard program, from the plan's first signed version."""
    sign_with_program(clinician, draft, program())
    return ReturnToRun.objects.get(episode=draft.episode)


def log_run(plan: ReturnToRun, *, before=0, during=0, morning=0, swelling=False, distance_m=None, **more) -> Run:
    """A run in the plan's current phase, a little later than the one before (as the runs app logs it)."""
    started = timezone.now() + datetime.timedelta(minutes=next(_minutes))
    phase = plan.phases[plan.current_phase - 1]
    return Run.objects.create(
        episode=plan.episode,
        return_to_run=plan,
        phase=plan.current_phase,
        started_at=started,
        local_date=started.date(),
        distance_m=distance_m if distance_m is not None else phase.get("distance_m"),
        moving_s=1200,
        pain_before=before,
        pain_during=during,
        morning_pain=morning,
        swelling_or_stiffness=swelling,
        rpe=3,
        protocol_planned=True,
        **more,
    )
