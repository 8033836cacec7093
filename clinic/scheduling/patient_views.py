"""The patient's side of a reminder: confirm or cancel the visit, or stop reminders, from a
signed single-use link; no account, no login.

A GET never changes anything: mail scanners open links before the patient does, so every
page asks for a press of a button (a POST) before it confirms, cancels or stops reminders.
"""

from __future__ import annotations

import datetime
import math

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from clinic import audit, link_pages
from clinic.outbox import rules as outbox_rules
from clinic.outbox.models import LinkAction, MessageKind, MessageLink
from clinic.scheduling import patient_services, reminder_services, rules, selectors, services
from clinic.scheduling.models import Appointment, AppointmentStatus
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
    return problem or _confirm(request, opened)


def _confirm(request: HttpRequest, opened) -> HttpResponse:
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
    return problem or _cancel(request, opened)


def _cancel(request: HttpRequest, opened) -> HttpResponse:
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
    return problem or _opt_out(request, opened)


def _opt_out(request: HttpRequest, opened) -> HttpResponse:
    stops, still = outbox_rules.opt_out_covers(MessageKind.values)
    covers = {"stops": stops, "still": still}
    if request.method == "POST":
        try:
            reminder_services.reminders_opt_out(link=opened.link)
        except ValidationError:
            return render(request, PROBLEM_PAGE, {"problem": "used", **_context(opened)}, status=410)
        return render(request, "scheduling/patient/opted_out.html", _context(opened, **covers))
    return render(request, "scheduling/patient/opt_out.html", _context(opened, **covers))


@never_cache
def reschedule(request: HttpRequest, token: str) -> HttpResponse:
    opened, problem = _open(request, LinkAction.RESCHEDULE, token)
    return problem or _reschedule(request, opened)


def _reschedule(request: HttpRequest, opened) -> HttpResponse:
    if opened.appointment is None or opened.appointment.status != AppointmentStatus.BOOKED:
        return _not_booked(request, opened)
    return reschedule_page(request, opened.appointment, link=opened.link, context=_context(opened))


ACTS = {
    LinkAction.CONFIRM: _confirm,
    LinkAction.CANCEL: _cancel,
    LinkAction.RESCHEDULE: _reschedule,
    LinkAction.OPT_OUT: _opt_out,
}


@never_cache
def short(request: HttpRequest, token: str) -> HttpResponse:
    """A text message's link: one short address for every action, the link's row says which."""
    opened, problem = link_pages.open_link(
        request,
        lambda: selectors.reminder_short_link(token),
        group="reminder-bad-link",
        template=PROBLEM_PAGE,
        clinic_of=lambda opened: opened.patient.clinic,
        accept=[LinkProblem.USED],
        guessable=True,
    )
    if problem:
        return problem
    if opened.link.used_at is not None and opened.link.action != LinkAction.CONFIRM:
        return render(request, PROBLEM_PAGE, {"problem": LinkProblem.USED, "clinic": opened.patient.clinic}, status=410)
    return ACTS[opened.link.action](request, opened)


# --- Moving a visit: the same pages from a reminder's link and from the portal ----------------

CHOOSE_A_LISTED_TIME = "Please choose one of the times listed."
DAYS_A_PAGE = 7


def _chosen(raw: str) -> datetime.datetime | None:
    """The time a patient picked, as the page wrote it; None for anything else (typed, cut, forged)."""
    if not raw or len(raw) > 40 or not raw.isprintable():
        return None
    try:
        moment = datetime.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _page_number(request: HttpRequest, pages: int) -> int:
    raw = request.GET.get("week", "")
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else 0
    return min(number, pages - 1)


def _choices(appointment: Appointment, request: HttpRequest, *, chosen: str) -> dict:
    """One week of the times the patient may move the visit to (the day of the ``chosen`` one,
    if any, shown open), and the other weeks' numbers."""
    clinic = appointment.episode.patient.clinic
    policy = selectors.patient_policy(clinic)
    earliest, end = rules.patient_window(timezone.now(), policy.notice, policy.horizon_days, clinic.zone)
    first = earliest.astimezone(clinic.zone).date()
    last = (end - datetime.timedelta(microseconds=1)).astimezone(clinic.zone).date()
    every_day = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    pages = max(1, math.ceil(len(every_day) / DAYS_A_PAGE))
    number = _page_number(request, pages)
    shown = every_day[number * DAYS_A_PAGE : (number + 1) * DAYS_A_PAGE]
    slots = selectors.patient_slots(appointment, shown, earliest=earliest, end=end) if shown else {}
    days = []
    for day, found in slots.items():
        if found:
            listed = [{"value": slot.start.isoformat(), "start": slot.start, "end": slot.end} for slot in found]
            days.append({"day": day, "slots": listed, "chosen": any(slot["value"] == chosen for slot in listed)})
    return {
        "days": days,
        "chosen": chosen,
        "earlier": number - 1 if number > 0 else None,
        "later": number + 1 if number + 1 < pages else None,
    }


def reschedule_page(
    request: HttpRequest, appointment: Appointment, *, link: MessageLink | None, context: dict
) -> HttpResponse:
    """Choose a new time (GET), check it and ask to confirm (POST), move the visit (POST with
    ``confirm``). Inside the clinic's notice window: the policy and the phone number instead."""
    if patient_services.too_late_to_move(appointment):
        return render(request, "scheduling/patient/reschedule_too_late.html", context)
    error, raw = "", ""
    if request.method == "POST":
        raw = request.POST.get("slot", "")
        starts_at = _chosen(raw)
        try:
            if starts_at is None:
                raise ValidationError(CHOOSE_A_LISTED_TIME)
            if "confirm" in request.POST:
                moved = patient_services.appointment_reschedule_by_patient(
                    appointment=appointment, starts_at=starts_at, link=link
                )
                return render(
                    request,
                    "scheduling/patient/rescheduled.html",
                    {**context, "appointment": moved, "old_starts_at": appointment.starts_at},
                )
            patient_services.check_new_time(appointment, starts_at)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            return render(
                request,
                "scheduling/patient/reschedule_confirm.html",
                {**context, "slot": raw, "new_starts_at": starts_at, "new_ends_at": starts_at + _length(appointment)},
            )
    return render(
        request,
        "scheduling/patient/reschedule.html",
        {**context, **_choices(appointment, request, chosen=raw), "error": error},
        status=400 if error else 200,
    )


def _length(appointment: Appointment) -> datetime.timedelta:
    return appointment.ends_at - appointment.starts_at
