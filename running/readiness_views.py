"""The return-to-run check's pages: record a check (clinicians of the episode's clinic: 404 for
another clinic's episode, then 403 for a role without clinical records), read one, and the clinic
admin's wording of the criteria."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from clinic import access, audit, permissions
from running import readiness
from running.models import ReadinessCheck
from running.readiness_forms import CHECK_FIELD_NAMES, CheckForm, CriterionForm, ItemForm, entry_of
from running.services import readiness as services


def _page(request, episode, form, item_forms, *, verdict=None, status=200) -> HttpResponse:
    audit.record_read(actor=request.user, action=audit.Read.EPISODE_VIEWED, obj=episode)
    context = {
        "episode": episode,
        "form": form,
        "items": item_forms,
        "verdict": verdict,
        "results": {item.key: item for item in verdict.items} if verdict else {},
        "red_flags": services.open_red_flags(episode),
        "plan": services.active_return_to_run(episode),
        "source_note": readiness.SOURCE_NOTE,
        "low_back_note": readiness.LOW_BACK_NOTE,
    }
    return render(request, "running/readiness_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def check_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The check's form; "Check against the criteria" shows the verdict item by item without saving,
    "Record and sign" stores the check with the clinician's decision."""
    episode = access.clinical_episode_for(request.user, pk, change=True)
    criteria = [row for row in services.criteria_for(episode.patient.clinic) if row.active]
    if request.method == "GET":
        return _page(request, episode, CheckForm(), [ItemForm(criterion=row) for row in criteria])
    recording = request.POST.get("action") == "record"
    form = CheckForm(request.POST, recording=recording)
    item_forms = [ItemForm(request.POST, criterion=row) for row in criteria]
    valid = [form.is_valid(), *(item_form.is_valid() for item_form in item_forms)]
    if not all(valid):
        return _page(request, episode, form, item_forms, status=400)
    entry = entry_of(form, item_forms)
    verdict, _ = services.verdict_for(episode, entry)
    if not recording:
        return _page(request, episode, form, item_forms, verdict=verdict)
    try:
        check = services.check_record(actor=request.user, episode=episode, entry=entry)
    except ValidationError as error:
        for field, field_messages in (error.message_dict if hasattr(error, "error_dict") else {}).items():
            form.add_error(field if field in CHECK_FIELD_NAMES else None, field_messages)
        if not hasattr(error, "error_dict"):
            form.add_error(None, error.messages)
        return _page(request, episode, form, item_forms, verdict=verdict, status=400)
    messages.success(request, "Return-to-run check recorded and signed.")
    return redirect("readiness_check_detail", pk=check.pk)


@login_required
@require_http_methods(["GET"])
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rows = permissions.clinic_rows(request.user, ReadinessCheck).select_related(
        "episode__patient__clinic", "clinician", "return_to_run"
    )
    check = get_object_or_404(rows, pk=pk)
    if not permissions.can_view_clinical(request.user, check.episode.patient):
        raise PermissionDenied
    audit.record_read(actor=request.user, action=audit.Read.READINESS_CHECK_VIEWED, obj=check)
    context = {
        "check": check,
        "episode": check.episode,
        "items": list(check.items.all()),
        "lsi": services.lsi_of(check),
        "directions": readiness.DIRECTIONS,
        "formula": readiness.LSI_FORMULA_LABEL,
        "source_note": readiness.SOURCE_NOTE,
    }
    return render(request, "running/readiness_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def criteria(request: HttpRequest) -> HttpResponse:
    """The clinic admin's wording, targets and switches of the readiness criteria."""
    clinic = request.user.clinic
    if not permissions.can_change_clinic_settings(request.user, clinic):
        raise PermissionDenied
    rows = services.criteria_for(clinic)
    data = request.POST if request.method == "POST" else None
    forms = [CriterionForm(data, instance=row) for row in rows]
    status = 200
    if data is not None:
        # Every form validated, so each shows its own errors.
        valid = [form.is_valid() for form in forms]
        if all(valid):
            values = {form.instance.key: form.cleaned_data for form in forms}
            try:
                changed = services.criteria_update(actor=request.user, clinic=clinic, values=values)
            except ValidationError as error:
                forms[0].add_error(None, error)
            else:
                messages.success(request, "Criteria saved." if changed else "Nothing changed.")
                return redirect("readiness_criteria")
        status = 400
    context = {"forms": forms, "source_note": readiness.SOURCE_NOTE, "low_back_note": readiness.LOW_BACK_NOTE}
    return render(request, "running/readiness_criteria.html", context, status=status)
