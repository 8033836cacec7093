"""The patient's side of a reminder: confirm or cancel the visit, or stop reminders, from a
signed single-use link; no account, no login.

A GET never changes anything: mail scanners open links before the patient does, so every
page asks for a press of a button (a POST) before it confirms, cancels or stops reminders.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from clinic import audit, link_pages
from clinic.outbox.models import LinkAction
from clinic.scheduling import reminder_services, selectors, services
from clinic.scheduling.models import AppointmentStatus
from clinic.signed_links import LinkProblem

PROBLEM_PAGE = "scheduling/patient/link_problem.html"


def _open(request: HttpRequest, action: str, token: str, *, used_is_fine: bool = False):
    """(opened link, None) or (None, the friendly page that says why the link opens nothing)."""
    return link_pages.open_link(
        request,
        lambda: selectors.reminder_link(action, token),
        group="reminder-bad-link",
        template=PROBLEM_PAGE,
        clinic_of=lambda opened: opened.patient.clinic,
        accept=[LinkProblem.USED] if used_is_fine else [],
    )


def _context(opened, **extra) -> dict:
    """The context of a page about the reminder (its visit, if it is about one); each is a read."""
    audit.record_read(
        actor=None,
        action=audit.Read.REMINDER_VIEWED_BY_PATIENT,
        obj=opened.appointment or opened.link.message,
        patient=opened.patient,
    )
    return {"clinic": opened.patient.clinic, "appointment": opened.appointment, **extra}


def _not_booked(request: HttpRequest, opened) -> HttpResponse:
    return render(request, PROBLEM_PAGE, {"problem": "not_booked", **_context(opened)}, status=410)


@never_cache
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    opened, problem = _open(request, LinkAction.CONFIRM, token, used_is_fine=True)
    if problem:
        return problem
    if opened.appointment is None or opened.appointment.status != AppointmentStatus.BOOKED:
        return _not_booked(request, opened)
    if request.method != "POST" and opened.appointment.confirmed_at is None:
        return render(request, "scheduling/patient/confirm.html", _context(opened))
    try:
        appointment = services.appointment_confirm_by_patient(link=opened.link)
    except ValidationError:
        return _not_booked(request, opened)
    return render(request, "scheduling/patient/confirmed.html", _context(opened, appointment=appointment))


@never_cache
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    opened, problem = _open(request, LinkAction.CANCEL, token)
    if problem:
        return problem
    if opened.appointment is None or opened.appointment.status != AppointmentStatus.BOOKED:
        return _not_booked(request, opened)
    if request.method == "POST":
        try:
            appointment = services.appointment_cancel_by_patient(link=opened.link)
        except ValidationError:
            return _not_booked(request, opened)
        return render(request, "scheduling/patient/cancelled.html", _context(opened, appointment=appointment))
    return render(request, "scheduling/patient/cancel.html", _context(opened))


@never_cache
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    opened, problem = _open(request, LinkAction.OPT_OUT, token)
    if problem:
        return problem
    if request.method == "POST":
        try:
            reminder_services.reminders_opt_out(link=opened.link)
        except ValidationError:
            return render(request, PROBLEM_PAGE, {"problem": "used", **_context(opened)}, status=410)
        return render(request, "scheduling/patient/opted_out.html", _context(opened))
    return render(request, "scheduling/patient/opt_out.html", _context(opened))
