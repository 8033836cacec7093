"""Staff pages about reminders: the clinic admin's wording (with a preview) and the front
desk starting a patient's reminders again."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clinic import access, permissions, text_input
from clinic.outbox import wording
from clinic.outbox.clinic_wording import wording_for
from clinic.outbox.models import PER_VISIT_TYPE, MessageWording, WordingKind
from clinic.scheduling import reminder_services
from clinic.scheduling.models import AppointmentType


@login_required
@require_POST
def reminders_resume(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = access.patient_for(request.user, patient_pk)
    reminder_services.reminders_resume(actor=request.user, patient=patient)
    messages.success(request, "Reminders will be sent again.")
    return redirect("patient_detail", pk=patient.pk)


def _require_admin(request: HttpRequest) -> None:
    if not permissions.can_change_clinic_settings(request.user):
        raise PermissionDenied


@login_required
def wording_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    saved = {
        (row.kind, row.appointment_type_id): row
        for row in permissions.scoped(request.user, MessageWording).select_related("appointment_type")
    }
    visit_types = list(permissions.scoped(request.user, AppointmentType))
    rows = []
    for kind in WordingKind:
        rows.append({"kind": kind, "visit_type": None, "custom": (kind.value, None) in saved})
        if kind in PER_VISIT_TYPE:
            rows += [
                {"kind": kind, "visit_type": visit_type, "custom": (kind.value, visit_type.pk) in saved}
                for visit_type in visit_types
            ]
    return render(request, "scheduling/wording_list.html", {"rows": rows})


class WordingForm(text_input.ModelForm):
    class Meta:
        model = MessageWording
        fields = ["subject", "body", "sms_body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8}), "sms_body": forms.Textarea(attrs={"rows": 3})}


def _preview(form: WordingForm) -> dict[str, str] | None:
    if not form.is_valid():
        return None
    return {field: wording.fill(form.cleaned_data[field], wording.SAMPLE) for field in ("subject", "body", "sms_body")}


@login_required
def wording_edit(request: HttpRequest, kind: str, type_pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    if kind not in WordingKind.values or (type_pk is not None and kind not in PER_VISIT_TYPE):
        raise Http404
    clinic = request.user.clinic
    visit_type = access.appointment_type_for(request.user, type_pk) if type_pk is not None else None
    template = permissions.scoped(request.user, MessageWording).filter(kind=kind, appointment_type=visit_type).first()
    if template is None:
        # A new wording per visit type starts from what that type gets now.
        default = wording_for(clinic=clinic, kind=kind)
        template = MessageWording(
            clinic=clinic,
            kind=kind,
            appointment_type=visit_type,
            subject=default.subject,
            body=default.body,
            sms_body=default.sms_body,
        )
    form = WordingForm(request.POST or None, instance=template)
    preview = None
    if request.method == "POST":
        if "reset" in request.POST and template.pk:
            reminder_services.reminder_wording_reset(actor=request.user, template=template)
            messages.success(request, "The shipped wording is used again.")
            return redirect("reminder_wording_list")
        if "preview" in request.POST:
            preview = _preview(form)
        elif form.is_valid():
            try:
                reminder_services.reminder_wording_save(actor=request.user, template=form.instance)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Reminder wording saved.")
                return redirect("reminder_wording_list")
    return render(
        request,
        "scheduling/wording_edit.html",
        {
            "form": form,
            "kind": WordingKind(kind),
            "visit_type": visit_type,
            "placeholders": wording.allowed_list(kind),
            "preview": preview,
            "custom": template.pk is not None,
        },
    )
