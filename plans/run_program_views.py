"""Pages of walk-run programs: a clinic admin's list and edit (each save a new version), and adding a program to
a draft plan."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clinic import access, permissions
from plans import selectors, services
from plans.models import RunProgramTemplate
from plans.run_program_forms import (
    ChooseProgramForm,
    PhaseFormSet,
    ProgramNameForm,
    RuleFormSet,
    filled_phases,
    filled_rules,
    initial_phases,
)


@login_required
@require_POST
def plan_run_program(request: HttpRequest, pk: int) -> HttpResponse:
    plan = access.plan_for(request.user, pk, change=True)
    form = ChooseProgramForm(request.POST, programs=selectors.run_programs_for(plan.episode.patient.clinic_id))
    if not form.is_valid():
        for message in form.errors.get("program", []):
            messages.error(request, message)
        return redirect("plan_detail", pk=plan.pk)
    try:
        services.run_program_choose(actor=request.user, plan=plan, program=form.cleaned_data["program"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("plan_detail", pk=plan.pk)
    chosen = form.cleaned_data["program"]
    messages.success(
        request, f"Return-to-run program: {chosen.name}." if chosen else "The plan has no return-to-run program now."
    )
    return redirect("plan_detail", pk=plan.pk)


def _require_admin(request: HttpRequest) -> None:
    if not permissions.can_change_clinic_settings(request.user):
        raise PermissionDenied


@login_required
def run_program_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(
        request, "plans/run_program_list.html", {"programs": selectors.run_programs_for(request.user.clinic_id)}
    )


@login_required
def run_program_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    base = next((p for p in selectors.run_programs_for(request.user.clinic_id) if p.pk == pk), None)
    if base is None:
        # Another clinic's program, or an older version: only the newest version is edited.
        if RunProgramTemplate.objects.filter(pk=pk).exists():
            raise Http404("Only the newest version of a program is edited.")
        raise Http404
    if request.method == "POST":
        name_form = ProgramNameForm(request.POST, prefix="program")
        phase_forms = PhaseFormSet(request.POST, prefix="phases")
        rule_forms = RuleFormSet(request.POST, prefix="rules")
        if name_form.is_valid() and phase_forms.is_valid() and rule_forms.is_valid():
            try:
                program = services.run_program_save(
                    actor=request.user,
                    base=base,
                    name=name_form.cleaned_data["name"],
                    phases=filled_phases(phase_forms),
                    rule_texts=filled_rules(rule_forms),
                )
            except ValidationError as error:
                name_form.add_error(None, error.messages)
            else:
                messages.success(request, f"Saved as version {program.version}. Plans already signed keep theirs.")
                return redirect("run_program_list")
    else:
        name_form = ProgramNameForm(initial={"name": base.name}, prefix="program")
        phase_forms = PhaseFormSet(initial=initial_phases(base), prefix="phases")
        rule_forms = RuleFormSet(initial=[{"text": rule} for rule in base.rules], prefix="rules")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "plans/run_program_edit.html",
        {"program": base, "form": name_form, "phase_forms": phase_forms, "rule_forms": rule_forms},
        status=status,
    )
