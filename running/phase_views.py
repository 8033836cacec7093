"""The clinician's decisions on the walk-run phases: confirm the proposal with one click, or decide otherwise with
a reason. Thin: the service checks the role and the state; these pages only read the form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from clinic import access, audit, permissions
from running import phase_selectors, progression
from running.models import PhaseDecision, ReturnToRun
from running.phase_forms import OverrideForm
from running.services import phases


def _plan_for(request: HttpRequest, pk: int) -> ReturnToRun:
    plan = get_object_or_404(permissions.clinic_rows(request.user, ReturnToRun).select_related("episode"), pk=pk)
    access.clinical_episode_for(request.user, plan.episode_id, change=True)
    return plan


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(permissions.clinic_rows(request.user, PhaseDecision), pk=pk)
    plan = _plan_for(request, decision.return_to_run_id)
    try:
        decision = phases.confirm(actor=request.user, decision=decision)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Confirmed: {decision.get_proposed_step_display().lower()}.")
    return redirect("episode_detail", pk=plan.episode_id)


@login_required
def override(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    form = OverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phases.override(
                actor=request.user, plan=plan, step=form.cleaned_data["step"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(request, "Your decision is recorded.")
            return redirect("episode_detail", pk=plan.episode_id)
    panel = phase_selectors.panel(plan.episode)
    audit.record_read(
        actor=request.user, action=audit.Read.RETURN_TO_RUN_VIEWED, obj=plan, patient=plan.episode.patient
    )
    return render(
        request,
        "running/phase_override.html",
        {
            "plan": plan,
            "episode": plan.episode,
            "patient": plan.episode.patient,
            "pending": panel.pending if panel and panel.plan.pk == plan.pk else None,
            "form": form,
            "rule_help": progression.RULE_HELP,
        },
        status=400 if request.method == "POST" else 200,
    )
