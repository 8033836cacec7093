"""The patient portal: opened from a signed, expiring link; no account, no login.

The token is in the path only: never in a query string, a log message or an audit row.
"""

from __future__ import annotations

import datetime
import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from clinic import audit, link_pages
from clinic.portal import adherence, selectors, services
from clinic.portal.forms import CheckInForm
from clinic.scheduling import patient_services, patient_views
from clinic.scheduling.models import Appointment
from plans import handouts
from plans import services as plan_services
from plans.models import HandoutStatus, PlanVersion
from plans.signed import SignedPlan


def _open(request: HttpRequest, token: str):
    """The portal link the token opens, or the friendly page that says why it opens nothing."""
    return link_pages.open_link(
        request,
        lambda: selectors.link_for_token(token),
        group="portal-bad-link",
        template="portal/link_problem.html",
        clinic_of=lambda link: link.patient.clinic,
    )


def _logo_url(clinic, token: str) -> str:
    return reverse("portal_logo", args=[token]) if clinic.logo else ""


def clinic_logo(request: HttpRequest, token: str) -> HttpResponse:
    """The clinic's logo for the portal's header, only to someone holding a link of that clinic."""
    link, problem = _open(request, token)
    if problem:
        return problem
    logo = link.patient.clinic.logo
    if not logo or not logo.storage.exists(logo.name):
        raise Http404
    response = FileResponse(logo.open("rb"), content_type=mimetypes.guess_type(logo.name)[0])
    # Cached by the patient's browser only, and never run as a document if opened on its own.
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _today(link) -> datetime.date:
    return timezone.localdate(timezone.now(), link.patient.clinic.zone)


def _program(
    version: PlanVersion, *, zone: datetime.tzinfo, current: bool, today: datetime.date, check_ins: dict
) -> dict:
    """What the portal shows of one home program."""
    signed = SignedPlan.of(version)
    days = adherence.check_in_days(signed.first_day(zone), signed.weeks, today) if current else []
    logged_today = check_ins.get(today)
    return {
        "version": version,
        "signed": signed,
        "current": current,
        "items": plan_services.home_program(signed),
        "first_day": signed.first_day(zone),
        "last_day": signed.last_day(zone),
        "handout_ready": getattr(version, "handout", None) is not None
        and version.handout.status == HandoutStatus.READY,
        "today_form": (
            CheckInForm(
                items=signed.home_items,
                initial={
                    "day": today,
                    "done_items": logged_today.done_items if logged_today else [],
                    "pain": logged_today.pain if logged_today else None,
                    "did_none": bool(logged_today) and not logged_today.done_items,
                },
                prefix=f"v{version.pk}",
            )
            if today in days and signed.home_items
            else None
        ),
        "logged_today": logged_today,
    }


@never_cache
def home(request: HttpRequest, token: str) -> HttpResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    services.portal_opened(link=link)
    patient = link.patient
    current, past = selectors.split_current(selectors.home_programs(patient))
    today = _today(link)
    check_ins = selectors.check_ins(current)
    zone = patient.clinic.zone
    return render(
        request,
        "portal/home.html",
        {
            "clinic": patient.clinic,
            "patient": patient,
            "token": token,
            "logo_url": _logo_url(patient.clinic, token),
            "current": [
                _program(version, zone=zone, current=True, today=today, check_ins=check_ins[version.pk])
                for version in current
            ],
            "past": past,
            "appointments": selectors.upcoming_appointments(patient),
            **_when_to_seek_help(),
        },
    )


def _when_to_seek_help() -> dict:
    """The same signs as the handout's box (DOMAIN A: on every handout), from the same source."""
    return {"when_to_call": handouts.WHEN_TO_CALL, "emergency_signs": handouts.EMERGENCY_SIGNS}


def _own_version(link, version_id: int) -> PlanVersion:
    version = selectors.home_program(link.patient, version_id)
    if version is None:
        raise Http404
    return version


@never_cache
def program(request: HttpRequest, token: str, version_id: int) -> HttpResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    version = _own_version(link, version_id)
    services.program_viewed(link=link, version=version)
    current = selectors.current_version_id(version.plan_id) == version.pk
    return render(
        request,
        "portal/program.html",
        {
            "clinic": link.patient.clinic,
            "token": token,
            "logo_url": _logo_url(link.patient.clinic, token),
            "program": _program(
                version, zone=link.patient.clinic.zone, current=current, today=_today(link), check_ins={}
            ),
            **_when_to_seek_help(),
        },
    )


@never_cache
def handout_download(request: HttpRequest, token: str, version_id: int) -> FileResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    handout = getattr(_own_version(link, version_id), "handout", None)
    if handout is None or handout.status != HandoutStatus.READY or not handout.file:
        raise Http404
    services.handout_downloaded(link=link, handout=handout)
    return FileResponse(
        handout.file.open("rb"), as_attachment=True, filename=f"home-program-v{handout.version.number}.pdf"
    )


def _day_asked(request: HttpRequest, today: datetime.date) -> datetime.date | None:
    raw = request.GET.get("day")
    if not raw:
        return today
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        return None


@never_cache
def check_in(request: HttpRequest, token: str, version_id: int) -> HttpResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    version = _own_version(link, version_id)
    if selectors.current_version_id(version.plan_id) != version.pk:
        messages.info(request, "This home program has been replaced by a newer one; log your exercises there.")
        return redirect("portal_home", token=token)
    today = _today(link)
    signed = SignedPlan.of(version)
    first_day = signed.first_day(link.patient.clinic.zone)
    days = adherence.check_in_days(first_day, signed.weeks, today)
    logged = selectors.check_ins([version])[version.pk]
    items = signed.home_items
    if request.method == "POST":
        form = CheckInForm(request.POST, items=items, prefix=f"v{version.pk}")
        if form.is_valid():
            try:
                saved = services.check_in_save(
                    link=link,
                    version=version,
                    day=form.cleaned_data["day"],
                    done_items=form.cleaned_data["done_items"],
                    pain=form.cleaned_data["pain"],
                    did_none=form.cleaned_data["did_none"],
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, f"Saved your log for {saved.day:%A %d %B}. Thank you.")
                return redirect(f"{reverse('portal_check_in', args=[token, version.pk])}?day={saved.day:%Y-%m-%d}")
        day = form.cleaned_data.get("day") or today
    else:
        day = _day_asked(request, today)
        if day is None or (day != today and day not in days):
            reason = (
                "That date could not be read."
                if day is None
                else adherence.check_in_day_problem(day, first_day, signed.weeks, today)
            )
            messages.error(request, f"{reason} Showing today instead.")
            day = today
        existing = logged.get(day)
        form = CheckInForm(
            items=items,
            initial={
                "day": day,
                "done_items": existing.done_items if existing else [],
                "pain": existing.pain if existing else None,
                "did_none": bool(existing) and not existing.done_items,
            },
            prefix=f"v{version.pk}",
        )
    audit.record_read(actor=None, action=audit.Read.PORTAL_CHECK_INS_VIEWED, obj=version, patient=link.patient)
    return render(
        request,
        "portal/check_in.html",
        {
            "clinic": link.patient.clinic,
            "token": token,
            "logo_url": _logo_url(link.patient.clinic, token),
            "version": version,
            "signed": signed,
            "form": form,
            "day": day,
            "today": today,
            "can_log": day in days and bool(items),
            "days": [(each, logged.get(each)) for each in days],
            "item_count": len(items),
        },
    )


# --- The patient's own visits: cancel or move one, within the clinic's policy ----------------


def _own_visit(link, token: str, visit_id: int) -> tuple[Appointment, dict]:
    """One of the patient's own booked, upcoming visits (anyone else's answers 404), and the
    context its pages share; showing it is a read of the visit."""
    visit = selectors.upcoming_appointment(link.patient, visit_id)
    if visit is None:
        raise Http404
    audit.record_read(actor=None, action=audit.Read.VISIT_VIEWED_BY_PATIENT, obj=visit, patient=link.patient)
    return visit, {
        "clinic": link.patient.clinic,
        "appointment": visit,
        "back_url": reverse("portal_home", args=[token]),
        "reschedule_url": reverse("portal_visit_reschedule", args=[token, visit.pk]),
    }


@never_cache
def visit_cancel(request: HttpRequest, token: str, visit_id: int) -> HttpResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    visit, context = _own_visit(link, token, visit_id)
    if request.method == "POST":
        try:
            cancelled = patient_services.appointment_cancel_from_portal(appointment=visit)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
            return redirect("portal_home", token=token)
        return render(request, "scheduling/patient/cancelled.html", {**context, "appointment": cancelled})
    return render(request, "scheduling/patient/cancel.html", context)


@never_cache
def visit_reschedule(request: HttpRequest, token: str, visit_id: int) -> HttpResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    visit, context = _own_visit(link, token, visit_id)
    return patient_views.reschedule_page(request, visit, link=None, context=context)
