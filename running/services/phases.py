"""Writes of the walk-run phases: starting a runner's plan from a signed version, the pain rule's proposal after
each run, and the clinician's confirmation or override (which alone moves the phase, DOMAIN B10.3)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import audit, permissions, thresholds
from clinic.models import User
from clinic.webhooks import services as webhooks
from clinic.webhooks.rules import EventType
from plans.models import PlanVersion
from running import progression
from running.models import DecisionStatus, PhaseDecision, PhaseStep, ReturnToRun, ReturnToRunStatus, Run

OVERRIDE_REASON_MAX = PhaseDecision._meta.get_field("override_reason").max_length


def _today(episode) -> datetime.date:
    return timezone.now().astimezone(episode.patient.clinic.zone).date()


def start_from_version(version: PlanVersion) -> ReturnToRun | None:
    """Inside the signing transaction: the runner's place in the version's walk-run program. A first program
    starts at phase 1; a new version of the plan keeps the runner's phase (within the new table); a version
    without a program stops the active one."""
    program = version.body.get("return_to_run")
    episode = version.plan.episode
    active = ReturnToRun.objects.select_for_update().filter(episode=episode, status=ReturnToRunStatus.ACTIVE).first()
    if not program:
        if active is not None:
            active.status = ReturnToRunStatus.STOPPED
            active.ended_on = _today(episode)
            active.save(update_fields=["status", "ended_on", "updated_at"])
            active.decisions.filter(status=DecisionStatus.PROPOSED).update(status=DecisionStatus.SUPERSEDED)
            audit.record(actor=version.signed_by, action="return_to_run.stopped", obj=active, patient=episode.patient)
        return None
    phases = list(program["phases"])
    if active is None:
        active = ReturnToRun.objects.create(
            episode=episode,
            plan_version=version,
            phases=phases,
            current_phase=1,
            started_on=_today(episode),
            started_by=version.signed_by,
        )
        audit.record(actor=version.signed_by, action="return_to_run.started", obj=active, patient=episode.patient)
        return active
    active.plan_version = version
    active.phases = phases
    active.current_phase = min(active.current_phase, len(phases))
    active.save(update_fields=["plan_version", "phases", "current_phase", "updated_at"])
    # A proposal made against the earlier table may no longer fit the new one.
    active.decisions.filter(status=DecisionStatus.PROPOSED).update(status=DecisionStatus.SUPERSEDED)
    audit.record(
        actor=version.signed_by,
        action="return_to_run.updated",
        obj=active,
        patient=episode.patient,
        changed_fields=["plan_version", "phases"],
    )
    return active


def phase_entered_at(plan: ReturnToRun):
    """When the runner entered the current phase: the last decision that moved them, or the plan's start."""
    moved = (
        plan.decisions.filter(status__in=[DecisionStatus.CONFIRMED, DecisionStatus.OVERRIDDEN])
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    return moved or plan.created_at


def sessions_in_phase(plan: ReturnToRun, run: Run) -> int:
    """Runs done in the current phase since the runner entered it, up to and including ``run``."""
    return plan.runs.filter(
        phase=plan.current_phase,
        created_at__gte=phase_entered_at(plan),
        started_at__lte=run.started_at,
    ).count()


def propose_after_run(run_id: int) -> PhaseDecision | None:
    """The pain rule's proposal after a run was logged or its next-morning pain answered. Idempotent: called
    again it remakes the run's open proposal from the run as it now stands, and leaves a decided one alone.
    None when there is nothing to propose (no active plan, a run of an earlier phase, or an answer still due)."""
    with transaction.atomic():
        run = Run.objects.select_related("return_to_run__episode__patient__clinic").filter(pk=run_id).first()
        if run is None or run.return_to_run_id is None:
            return None
        plan = ReturnToRun.objects.select_for_update().get(pk=run.return_to_run_id)
        existing = PhaseDecision.objects.filter(run=run).first()
        if existing is not None and existing.status != DecisionStatus.PROPOSED:
            return existing
        if plan.status != ReturnToRunStatus.ACTIVE or run.phase != plan.current_phase:
            return existing
        proposal = progression.propose(
            progression.RunResponse(run.pain_before, run.pain_during, run.morning_pain, run.swelling_or_stiffness),
            phase=plan.current_phase,
            phase_count=len(plan.phases),
            sessions_in_phase=sessions_in_phase(plan, run),
            limits=progression.Limits.of(thresholds.for_clinic(run.return_to_run.episode.patient.clinic)),
        )
        if proposal.step == progression.Step.WAIT:
            if existing is not None:
                existing.delete()
            return None
        values = {
            "proposed_step": proposal.step.value,
            "reasons": list(proposal.reasons),
            "from_phase": proposal.from_phase,
            "to_phase": proposal.to_phase,
        }
        if existing is not None:
            for name, value in values.items():
                setattr(existing, name, value)
            existing.save(update_fields=[*values, "updated_at"])
            return existing
        # The newest run's proposal is the one to decide; an older one still open is replaced.
        plan.decisions.filter(status=DecisionStatus.PROPOSED).update(status=DecisionStatus.SUPERSEDED)
        decision = PhaseDecision.objects.create(return_to_run=plan, run=run, **values)
        audit.record(actor=None, action="return_to_run.proposed", obj=decision, patient=plan.episode.patient)
        return decision


def _require(actor: User, plan: ReturnToRun) -> None:
    if not permissions.can_change_clinical(actor, plan.episode.patient):
        raise PermissionDenied


def _apply(actor: User, plan: ReturnToRun, decision: PhaseDecision, step: str) -> None:
    """Move the runner as ``step`` says, and tell the webhooks when the phase or status changed."""
    phase, completed = progression.manual(
        progression.Step(step), phase=plan.current_phase, phase_count=len(plan.phases)
    )
    before = (plan.current_phase, plan.status)
    plan.current_phase = phase
    if completed:
        plan.status = ReturnToRunStatus.COMPLETED
        plan.ended_on = _today(plan.episode)
    plan.save(update_fields=["current_phase", "status", "ended_on", "updated_at"])
    decision.to_phase = phase
    decision.decided_by = actor
    decision.decided_at = timezone.now()
    decision.save()
    audit.record(actor=actor, action=f"return_to_run.{decision.status}", obj=decision, patient=plan.episode.patient)
    if (plan.current_phase, plan.status) != before:
        # Ids and phase numbers only, as every event: the receiver reads the rest through the API.
        webhooks.emit(
            EventType.RETURN_TO_RUN_PHASE_CHANGED,
            clinic_id=plan.episode.patient.clinic_id,
            data={
                "episode": plan.episode_id,
                "return_to_run": plan.pk,
                "from_phase": before[0],
                "to_phase": plan.current_phase,
                "phase_decision": decision.pk,
            },
        )


def _open(actor: User, decision: PhaseDecision) -> tuple[ReturnToRun, PhaseDecision]:
    plan = ReturnToRun.objects.select_for_update().select_related("episode__patient").get(pk=decision.return_to_run_id)
    _require(actor, plan)
    decision = PhaseDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.status != DecisionStatus.PROPOSED or plan.status != ReturnToRunStatus.ACTIVE:
        raise ValidationError("This proposal was already decided or replaced; reload the page.")
    return plan, decision


def confirm(*, actor: User, decision: PhaseDecision) -> PhaseDecision:
    """The clinician agrees with the proposal: the runner moves as proposed."""
    with transaction.atomic():
        plan, decision = _open(actor, decision)
        decision.status = DecisionStatus.CONFIRMED
        _apply(actor, plan, decision, decision.proposed_step)
    return decision


def override(*, actor: User, plan: ReturnToRun, step: str, reason: str) -> PhaseDecision:
    """The clinician decides otherwise than the open proposal (or without one), with a written reason."""
    reason = (reason or "").strip()
    problems = {}
    if step not in PhaseStep.values:
        problems["step"] = "Choose a step."
    if not reason:
        problems["reason"] = "Say why you decide otherwise than the proposal."
    elif len(reason) > OVERRIDE_REASON_MAX or "\x00" in reason:
        problems["reason"] = f"At most {OVERRIDE_REASON_MAX} characters of text."
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        locked = ReturnToRun.objects.select_for_update().select_related("episode__patient").get(pk=plan.pk)
        _require(actor, locked)
        if locked.status != ReturnToRunStatus.ACTIVE:
            raise ValidationError("This return-to-run plan has ended.")
        decision = (
            PhaseDecision.objects.select_for_update()
            .filter(return_to_run=locked, status=DecisionStatus.PROPOSED)
            .first()
        )
        if decision is None:
            decision = PhaseDecision(
                return_to_run=locked,
                proposed_step=PhaseStep.HOLD,
                reasons=["Decided by the clinician without a proposal."],
                from_phase=locked.current_phase,
                to_phase=locked.current_phase,
            )
        decision.status = DecisionStatus.OVERRIDDEN
        decision.decided_step = step
        decision.override_reason = reason
        _apply(actor, locked, decision, step)
    return decision
