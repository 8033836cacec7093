"""Writes of the runner's run log (DOMAIN A "Runner's post-run log"; B10.5): a run logged by hand
(by the runner, or by a clinician on their behalf), how a device-file run felt, and the pain the
next morning. Each write is audited; a logged run owes the ``run.logged`` webhook and the
next-morning pain question (through the outbox, in the patient's time zone).

The patient's time zone is the clinic's (patients have none of their own); a run counts towards
the patient's local day (DOMAIN B11.1).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import audit, thresholds
from clinic.models import EpisodeOfCare, EpisodeStatus, User
from clinic.outbox import reminders
from clinic.outbox import services as outbox
from clinic.outbox.models import MessageKind
from clinic.webhooks import services as webhooks
from clinic.webhooks.rules import EventType
from running import run_rules
from running.models import ReturnToRun, ReturnToRunStatus, Run, RunSource
from running.services import phases

LOGGED = "run.logged"
FEEL_RECORDED = "run.feel_recorded"
MORNING_PAIN_RECORDED = "run.morning_pain_recorded"
FEEL_FIELDS = ("pain_before", "pain_during", "rpe", "swelling_or_stiffness", "note")


@dataclass(frozen=True)
class Feel:
    """How a run felt, as the runner tells it afterwards (DOMAIN B10.5)."""

    pain_during: int | None
    rpe: int | None
    swelling_or_stiffness: bool | None
    note: str = ""
    # The pain-monitoring rule compares the pain during the run with the pain before it (DOMAIN B10.3).
    pain_before: int | None = None


def local_today(episode: EpisodeOfCare) -> datetime.date:
    return timezone.localdate(timezone.now(), episode.patient.clinic.zone)


def _require_open(episode: EpisodeOfCare) -> None:
    if episode.status != EpisodeStatus.OPEN:
        raise ValidationError("This episode of care is closed; runs can no longer be logged in it.")


def log_run(
    *,
    episode: EpisodeOfCare,
    local_date: datetime.date,
    distance_m: int,
    moving_s: int,
    feel: Feel,
    start_time: datetime.time | None = None,
    actor: User | None = None,
) -> Run:
    """A run logged by hand, by the runner (no ``actor``) or by a clinician on their behalf.

    The day is the patient's local day: never in the future, never before the episode opened.
    In an active return-to-run plan the run is tied to the plan and its current phase, and
    labelled protocol-planned when its distance is the phase's within the clinic's tolerance."""
    _require_open(episode)
    zone = episode.patient.clinic.zone
    problem = run_rules.run_day_problem(local_date, today=local_today(episode), opened_on=episode.opened_on)
    if problem:
        raise ValidationError({"local_date": problem})
    now = timezone.now()
    start = run_rules.started_at(local_date, start_time, zone, now=now)
    if start > now:
        raise ValidationError({"start_time": "The run cannot start in the future."})
    limits = thresholds.for_clinic(episode.patient.clinic)
    with transaction.atomic():
        plan = (
            ReturnToRun.objects.select_for_update()
            .filter(episode=episode, status=ReturnToRunStatus.ACTIVE, started_on__lte=local_date)
            .first()
        )
        run = Run(
            episode=episode,
            source=RunSource.MANUAL,
            started_at=start,
            local_date=local_date,
            distance_m=distance_m,
            moving_s=moving_s,
            pain_before=feel.pain_before,
            pain_during=feel.pain_during,
            rpe=feel.rpe,
            swelling_or_stiffness=feel.swelling_or_stiffness,
            note=feel.note,
        )
        _tie_to_plan(run, plan, limits)
        run.full_clean()
        run.save()
        audit.record(actor=actor, action=LOGGED, obj=run, patient=episode.patient)
        owe_morning_question(run)
        after_run_logged(run)
        phases.propose_after_run(run.pk)
    return run


def _tie_to_plan(run: Run, plan: ReturnToRun | None, limits) -> None:
    """In an active return-to-run plan a run belongs to the plan's current phase, and is
    protocol-planned when its distance is the phase's within the clinic's tolerance."""
    if plan is None:
        return
    run.return_to_run, run.phase = plan, plan.current_phase
    run.protocol_planned = run_rules.matches_phase(
        run.distance_m,
        run_rules.phase_row(plan.phases, plan.current_phase),
        Decimal(limits["run_protocol_distance_tolerance_pct"]),
    )


def file_run_added(run: Run) -> None:
    """Inside the transaction that made a run of a device file: the run joins the active plan's
    phase as a logged one would, and owes the next-morning question and the webhook. The rule
    proposes once the runner tells how it felt (``record_feel``)."""
    episode = run.episode
    plan = (
        ReturnToRun.objects.select_for_update()
        .filter(episode=episode, status=ReturnToRunStatus.ACTIVE, started_on__lte=run.local_date)
        .first()
    )
    _tie_to_plan(run, plan, thresholds.for_clinic(episode.patient.clinic))
    if plan is not None:
        run.save(update_fields=["return_to_run", "phase", "protocol_planned", "updated_at"])
    owe_morning_question(run)
    after_run_logged(run)


def after_run_logged(run: Run) -> None:
    """Inside the transaction that stored a new run (logged by hand or read from a device file):
    owe the ``run.logged`` webhook, ids only, sent after the commit as every event."""
    webhooks.emit(
        EventType.RUN_LOGGED,
        clinic_id=run.episode.patient.clinic_id,
        data={"episode": run.episode_id, "run": run.pk},
    )


def owe_morning_question(run: Run) -> None:
    """Owe the next-morning pain question about the run, unless it is answered or its morning
    is over (``run_rules.morning_prompt_due``); consent, the opt-out and quiet hours are the
    outbox's, as for every reminder. One question per run: owing it again changes nothing."""
    if run.morning_pain is not None:
        return
    clinic = run.episode.patient.clinic
    hour = int(thresholds.for_clinic(clinic)["run_morning_prompt_hour"])
    due = run_rules.morning_prompt_due(run.local_date, hour=hour, zone=clinic.zone, now=timezone.now())
    if due is None:
        return
    outbox.enqueue(
        kind=MessageKind.RUN_MORNING,
        episode=run.episode,
        subject_id=run.pk,
        due_at=reminders.outside_quiet_hours(clinic, due),
    )


def _locked(run: Run) -> Run:
    return Run.objects.select_for_update().select_related("episode__patient__clinic").get(pk=run.pk)


def feel_open(run: Run) -> bool:
    """How the run felt may be told, or changed, until the next-morning answer is in."""
    return run.morning_pain is None


def record_feel(*, run: Run, feel: Feel, actor: User | None = None) -> Run:
    """How the run felt (pain during it, effort, swelling or stiffness, a note): told once a
    device-file run is in, and changed until the next-morning answer closes it."""
    with transaction.atomic():
        locked = _locked(run)
        if not feel_open(locked):
            raise ValidationError("This run is closed: the next-morning answer is in.")
        changed = [name for name in FEEL_FIELDS if getattr(locked, name) != getattr(feel, name)]
        for name in FEEL_FIELDS:
            setattr(locked, name, getattr(feel, name))
        locked.full_clean()
        locked.save(update_fields=[*FEEL_FIELDS, "updated_at"])
        audit.record(
            actor=actor, action=FEEL_RECORDED, obj=locked, patient=locked.episode.patient, changed_fields=changed
        )
        phases.propose_after_run(locked.pk)
    return locked


def record_morning_pain(*, run: Run, pain: int, actor: User | None = None) -> Run:
    """The next-morning pain, 0-10, once; a late answer is taken as it comes (the rule reads
    whether it is there, not when it came). Its unsent question is then not needed."""
    if isinstance(pain, bool) or not isinstance(pain, int) or not 0 <= pain <= 10:
        raise ValidationError({"morning_pain": "Choose a number from 0 to 10."})
    with transaction.atomic():
        locked = _locked(run)
        if locked.morning_pain is not None:
            raise ValidationError("The next-morning pain of this run is already recorded.")
        locked.morning_pain, locked.morning_pain_at = pain, timezone.now()
        locked.save(update_fields=["morning_pain", "morning_pain_at", "updated_at"])
        audit.record(
            actor=actor,
            action=MORNING_PAIN_RECORDED,
            obj=locked,
            patient=locked.episode.patient,
            changed_fields=["morning_pain"],
        )
        outbox.cancel(kind=MessageKind.RUN_MORNING, subject_id=locked.pk, reason="The patient already answered.")
        phases.propose_after_run(locked.pk)
    return locked
