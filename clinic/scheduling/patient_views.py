"""The patient's side of a reminder: confirm or cancel the visit, or stop reminders, from a
signed single-use link; no account, no login.

A GET never changes anything: mail scanners open links before the patient does, so every
page asks for a press of a button (a POST) before it confirms, cancels or stops reminders.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_ratelimit.core import get_usage

from clinic.scheduling import reminder_services, selectors, services
from clinic.scheduling.models import AppointmentStatus, ReminderLinkAction

PROBLEM_PAGE = "scheduling/patient/link_problem.html"


def _bad_links(request: HttpRequest, *, count: bool) -> dict:
    return get_usage(
        request, group="reminder-bad-link", key="ip", rate=settings.RATELIMIT_BAD_INTAKE_LINKS, increment=count
    )


def _open(request: HttpRequest, action: str, token: str, *, used_is_fine: bool = False):
    """(link, None) or (None, the friendly page that says why the link opens nothing)."""
    usage = _bad_links(request, count=False)
    if usage and usage["count"] >= usage["limit"]:
        return None, render(request, PROBLEM_PAGE, {"problem": "limited"}, status=429)
    link, problem = selectors.reminder_link(action, token)
    if problem == selectors.LinkProblem.INVALID:
        _bad_links(request, count=True)
        return None, render(request, PROBLEM_PAGE, {"problem": problem}, status=404)
    clinic = link.reminder.episode.patient.clinic
    timezone.activate(clinic.zone)
    if problem == selectors.LinkProblem.USED and used_is_fine:
        return link, None
    if problem is not None:
        return None, render(request, PROBLEM_PAGE, {"problem": problem, "clinic": clinic}, status=410)
    return link, None


def _context(link, **extra) -> dict:
    reminder = link.reminder
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
