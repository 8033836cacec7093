"""The patient portal: opened from a signed, expiring link; no account, no login."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from clinic.portal import selectors, services


def _open(request: HttpRequest, token: str):
    link, problem = selectors.link_for_token(token)
    if problem == selectors.LinkProblem.INVALID:
        return None, render(request, "portal/link_problem.html", {"problem": problem}, status=404)
    clinic = link.patient.clinic
    timezone.activate(clinic.zone)
    if problem is not None:
        return None, render(request, "portal/link_problem.html", {"problem": problem, "clinic": clinic}, status=410)
    return link, None


@never_cache
def home(request: HttpRequest, token: str) -> HttpResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    services.link_opened(link)
    patient = link.patient
    versions = selectors.home_programs(patient)
    # The newest version of each plan is current; earlier ones are kept for the record.
    current_plans: set[int] = set()
    current, past = [], []
    for version in versions:
        (past if version.plan_id in current_plans else current).append(version)
        current_plans.add(version.plan_id)
    return render(
        request,
        "portal/home.html",
        {
            "clinic": patient.clinic,
            "patient": patient,
            "current": current,
            "past": past,
            "appointments": selectors.upcoming_appointments(patient),
        },
    )
