"""A synthetic runner part-way through a return-to-run plan, for the demo clinic (``manage.py seed_demo``).

The first progress example with a signed plan and no open red flag is the runner: a passing readiness
check recorded with the decision to start, the plan signed again with the standard walk-run program
(which starts the runner at phase 1), phase 1 done in two easy runs with their next-morning answers and
the progress proposal confirmed, then in phase 2 a run read from a watch file (FIT, with a step rate, so
the step-rate panel has a baseline) and a run logged by hand, whose proposal waits for the clinician.

Written through the same services as a clinician's and a runner's, so the audit trail, the outbox and
the webhooks look as they would. Signing starts the plan today; the demo then moves its start back to the
day of the check, before the runs, as notes/demo.py moves a note's creation back. Idempotent: an
episode that has had a return-to-run plan is left alone.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments.models import AssessmentKind
from clinic.models import Clinic, EpisodeOfCare, EpisodeStatus
from intake.models import RedFlag
from plans import services as plan_services
from plans.models import PlanStatus, RunProgramTemplate, TreatmentPlan
from running import readiness
from running.devices.fit_writer import run_fit
from running.models import PhaseDecision, ReturnToRun, RunFile
from running.services import phases, runs, uploads
from running.services import readiness as readiness_services

PROGRAM_KEY = "standard-walk-run"
# Days before today: the check, then each run. Phase 1's table is 1.0 mile, phase 2's 1.5 miles.
CHECK_DAYS_AGO = 10
PHASE_1_RUNS = ((9, 1609, 1080), (7, 1609, 1020))  # (days ago, metres, moving seconds)
FILE_RUN_DAYS_AGO = 4
LOGGED_RUN_DAYS_AGO = 2
# FIT's cadence is per foot: 84.5 is a step rate of 169 steps a minute.
FILE_CADENCE = 84.5
FILE_SPEED_M_S = 2.3
FILE_SECONDS = 1050


def _runner_episode(clinic: Clinic) -> EpisodeOfCare | None:
    flagged = RedFlag.objects.filter(cleared_at__isnull=True).values("episode")
    return (
        EpisodeOfCare.objects.filter(
            patient__clinic=clinic,
            status=EpisodeStatus.OPEN,
            plans__status=PlanStatus.SIGNED,
            assessments__kind=AssessmentKind.REASSESSMENT,
        )
        .exclude(pk__in=flagged)
        .select_related("patient__clinic", "lead_clinician")
        .order_by("opened_on", "pk")
        .first()
    )


def _passing_entry(day: datetime.date) -> readiness_services.Entry:
    """Every criterion passed, the Y-balance within the limit on the right, the hip scores high."""
    items = readiness.passing_items()
    values = {
        "checked_on": day,
        "pain_now": 1,
        "involved_side": "left",
        "reach_left_anterior": Decimal(74),
        "reach_right_anterior": Decimal(78),
        "reach_left_posteromedial": Decimal(86),
        "reach_right_posteromedial": Decimal(90),
        "reach_left_posterolateral": Decimal(84),
        "reach_right_posterolateral": Decimal(88),
        "hos_adl": Decimal(97),
        "hos_sport": Decimal(93),
        "decision": "start",
        "override_reason": "",
        "next_check_on": None,
    }
    return readiness_services.Entry(values=values, items=items)


def _program(clinic: Clinic) -> RunProgramTemplate | None:
    own = RunProgramTemplate.objects.filter(clinic=clinic, key=PROGRAM_KEY).order_by("-version").first()
    return own or RunProgramTemplate.objects.filter(clinic=None, key=PROGRAM_KEY).order_by("-version").first()


def _fit_upload(day: datetime.date, zone) -> SimpleUploadedFile:
    start = datetime.datetime.combine(day, datetime.time(7, 10), tzinfo=zone)
    offset = int(start.utcoffset().total_seconds())
    content = run_fit(
        start=start.astimezone(datetime.UTC),
        seconds=FILE_SECONDS,
        speed_m_s=FILE_SPEED_M_S,
        cadence=FILE_CADENCE,
        local_offset_s=offset,
        # Chicago's lakefront, so the map-free numbers still come from a real place's coordinates.
        lat0=41.88,
        lon0=-87.61,
    )
    return SimpleUploadedFile("morning-run.fit", content, content_type="application/octet-stream")


def seed_runner(*, clinic: Clinic) -> ReturnToRun | None:
    """The demo's runner in phase 2 with a proposal waiting; None when there is no episode to use."""
    episode = _runner_episode(clinic)
    program = _program(clinic)
    if episode is None or program is None or ReturnToRun.objects.filter(episode=episode).exists():
        return None
    clinician = episode.lead_clinician
    today = timezone.localdate(timezone=clinic.zone)
    # Within the episode, however recently the seed's calendar opened it.
    first_day = max(episode.opened_on, today - datetime.timedelta(days=CHECK_DAYS_AGO))

    def day(days_ago: int) -> datetime.date:
        return max(first_day, today - datetime.timedelta(days=days_ago))

    readiness_services.check_record(actor=clinician, episode=episode, entry=_passing_entry(first_day))
    plan = TreatmentPlan.objects.filter(episode=episode, status=PlanStatus.SIGNED).order_by("pk").first()
    plan_services.run_program_choose(actor=clinician, plan=plan, program=program)
    plan_services.plan_sign(actor=clinician, plan=plan)
    rtr = ReturnToRun.objects.get(episode=episode)
    ReturnToRun.objects.filter(pk=rtr.pk).update(started_on=first_day)

    for days_ago, metres, seconds in PHASE_1_RUNS:
        run = runs.log_run(
            episode=episode,
            local_date=day(days_ago),
            distance_m=metres,
            moving_s=seconds,
            start_time=datetime.time(7, 0),
            feel=runs.Feel(pain_before=1, pain_during=1, rpe=3, swelling_or_stiffness=False, note="Felt easy."),
        )
        runs.record_morning_pain(run=run, pain=1)
    proposal = PhaseDecision.objects.get(run=run)
    phases.confirm(actor=clinician, decision=proposal)

    row = uploads.receive_file(episode, _fit_upload(day(FILE_RUN_DAYS_AGO), clinic.zone))
    uploads.read_file(run_file_id=row.pk)
    file_run = RunFile.objects.get(pk=row.pk).run
    runs.record_feel(
        run=file_run,
        feel=runs.Feel(pain_before=1, pain_during=1, rpe=4, swelling_or_stiffness=False, note="Watch run."),
    )
    runs.record_morning_pain(run=file_run, pain=1)
    logged = runs.log_run(
        episode=episode,
        local_date=day(LOGGED_RUN_DAYS_AGO),
        distance_m=2414,
        moving_s=1500,
        start_time=datetime.time(18, 30),
        feel=runs.Feel(pain_before=1, pain_during=1, rpe=4, swelling_or_stiffness=False),
    )
    # Answered this morning: the rule's proposal (progress to phase 3) now waits for the clinician.
    runs.record_morning_pain(run=logged, pain=1)
    return ReturnToRun.objects.get(pk=rtr.pk)
