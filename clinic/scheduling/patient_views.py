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
from clinic.scheduling import reminder_services, selectors, services
from clinic.scheduling.models import AppointmentStatus, ReminderLinkAction
from clinic.signed_links import LinkProblem

PROBLEM_PAGE = "scheduling/patient/link_problem.html"


def _open(request: HttpRequest, action: str, token: str, *, used_is_fine: bool = False):
    """(link, None) or (None, the friendly page that says why the link opens nothing)."""
    return link_pages.open_link(
        request,
        lambda: selectors.reminder_link(action, token),
        group="reminder-bad-link",
        template=PROBLEM_PAGE,
        clinic_of=lambda link: link.reminder.episode.patient.clinic,
        accept=[LinkProblem.USED] if used_is_fine else [],
    )


def _context(link, **extra) -> dict:
    """The context of a page about the reminder (its visit, if it is about one); each is a read."""
    reminder = link.reminder
    audit.record_read(
        actor=None,
        action=audit.Read.REMINDER_VIEWED_BY_PATIENT,
        obj=reminder.appointment or reminder,
        patient=reminder.episode.patient,
    )
    return {"clinic": reminder.episode.patient.clinic, "appointment": reminder.appointment, **extra}


def _not_booked(request: HttpRequest, link) -> HttpResponse:
    return render(request, PROBLEM_PAGE, {"problem": "not_booked", **_context(link)}, status=410)


@never_cache
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    link, problem = _open(request, ReminderLinkAction.CONFIRM, token, used_is_fine=True)
    if problem:
        return problem
    if link.reminder.appointment.status != AppointmentStatus.BOOKED:
        return _not_booked(request, link)
    if request.method != "POST" and link.reminder.appointment.confirmed_at is None:
        return render(request, "scheduling/patient/confirm.html", _context(link))
    try:
        appointment = services.appointment_confirm_by_patient(link=link)
    except ValidationError:
        return _not_booked(request, link)
    return render(request, "scheduling/patient/confirmed.html", _context(link, appointment=appointment))


@never_cache
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    link, problem = _open(request, ReminderLinkAction.CANCEL, token)
    if problem:
        return problem
    if link.reminder.appointment.status != AppointmentStatus.BOOKED:
        return _not_booked(request, link)
    if request.method == "POST":
        try:
            appointment = services.appointment_cancel_by_patient(link=link)
        except ValidationError:
            return _not_booked(request, link)
        return render(request, "scheduling/patient/cancelled.html", _context(link, appointment=appointment))
    return render(request, "scheduling/patient/cancel.html", _context(link))


@never_cache
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    link, problem = _open(request, ReminderLinkAction.OPT_OUT, token)
    if problem:
        return problem
    if request.method == "POST":
        try:
            reminder_services.reminders_opt_out(link=link)
        except ValidationError:
            return render(request, PROBLEM_PAGE, {"problem": "used", **_context(link)}, status=410)
        return render(request, "scheduling/patient/opted_out.html", _context(link))
    return render(request, "scheduling/patient/opt_out.html", _context(link))
