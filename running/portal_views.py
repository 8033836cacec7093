"""The runner's pages on the patient portal: their phase and next session, a run logged by hand,
how a run felt, the next-morning pain. Opened from the portal link like every portal page; a run
of another patient answers 404. Phone first."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache

from clinic import audit
from clinic.models import EpisodeStatus
from clinic.portal.views import _logo_url, _open
from running import run_rules, run_selectors
from running.forms import FeelForm, MorningForm, RunForm
from running.models import Run, RunSource
from running.services import runs as services

PER_PAGE = 10


def _context(link, token: str) -> dict:
    clinic = link.patient.clinic
    return {"clinic": clinic, "token": token, "logo_url": _logo_url(clinic, token)}


def _upload_url(token: str) -> str:
    """The device-file upload page, when the app serving it is installed."""
    try:
        return reverse("portal_run_upload", args=[token])
    except NoReverseMatch:
        return ""


def _episode_for_logging(link):
    """The episode a run logged by hand goes to: the active plan's, else the newest open one."""
    plan = run_selectors.active_plan(link.patient)
    if plan is not None:
        return plan.episode, plan
    return link.patient.episodes.filter(status=EpisodeStatus.OPEN).order_by("-opened_on", "-id").first(), None


def _apply(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@never_cache
def runs(request: HttpRequest, token: str) -> HttpResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    patient = link.patient
    episode, plan = _episode_for_logging(link)
    form = None
    if episode is not None:
        today = services.local_today(episode)
        form_kwargs = {"today": today, "opened_on": episode.opened_on}
        if request.method == "POST":
            form = RunForm(request.POST, **form_kwargs)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    run = services.log_run(
                        episode=episode,
                        local_date=data["local_date"],
                        start_time=data["start_time"],
                        distance_m=run_rules.km_to_m(data["distance_km"]),
                        moving_s=data["duration"],
                        feel=form.feel(),
                    )
                except ValidationError as error:
                    _apply(form, error)
                else:
                    messages.success(request, "Your run is saved. Thank you.")
                    return redirect("portal_run", token=token, run_id=run.pk)
        else:
            form = RunForm(initial={"local_date": today}, **form_kwargs)
    elif request.method == "POST":
        raise Http404
    page = Paginator(run_selectors.patient_runs(patient), PER_PAGE).get_page(request.GET.get("page"))
    audit.record_shown(actor=None, action=audit.Read.RUNS_LISTED_BY_PATIENT, patients=[patient])
    phase = run_rules.phase_row(plan.phases, plan.current_phase) if plan is not None else None
    return render(
        request,
        "running/portal_runs.html",
        {
            **_context(link, token),
            "plan": plan,
            "phase": phase,
            "form": form,
            "page": page,
            "upload_url": _upload_url(token),
        },
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


def _own_run(link, run_id: int) -> Run:
    run = run_selectors.patient_run(link.patient, run_id)
    if run is None:
        raise Http404
    audit.record_read(actor=None, action=audit.Read.RUN_VIEWED_BY_PATIENT, obj=run, patient=link.patient)
    return run


@never_cache
def run(request: HttpRequest, token: str, run_id: int) -> HttpResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    found = _own_run(link, run_id)
    editable = services.feel_open(found)
    form = None
    if editable:
        if request.method == "POST":
            form = FeelForm(request.POST)
            if form.is_valid():
                try:
                    services.record_feel(run=found, feel=form.feel())
                except ValidationError as error:
                    _apply(form, error)
                else:
                    messages.success(request, "Saved how your run felt. Thank you.")
                    return redirect("portal_run", token=token, run_id=found.pk)
        else:
            form = FeelForm(initial=FeelForm.initial_of(found))
    elif request.method == "POST":
        messages.error(request, "This run is closed: your next-morning answer is in.")
        return redirect("portal_run", token=token, run_id=found.pk)
    return render(
        request,
        "running/portal_run.html",
        {
            **_context(link, token),
            "run": found,
            "form": form,
            "feel_missing": found.source == RunSource.FILE and found.pain_during is None,
            "duration": run_rules.format_duration(found.moving_s),
            "distance_km": run_rules.m_to_km(found.distance_m),
        },
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


@never_cache
def run_morning(request: HttpRequest, token: str, run_id: int) -> HttpResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    found = _own_run(link, run_id)
    form = None
    if found.morning_pain is None:
        if request.method == "POST":
            form = MorningForm(request.POST)
            if form.is_valid():
                try:
                    services.record_morning_pain(run=found, pain=form.cleaned_data["morning_pain"])
                except ValidationError as error:
                    _apply(form, error)
                else:
                    messages.success(request, "Saved your pain this morning. Thank you.")
                    return redirect("portal_run", token=token, run_id=found.pk)
        else:
            form = MorningForm()
    elif request.method == "POST":
        messages.info(request, "Your answer for this run was already saved.")
        return redirect("portal_run", token=token, run_id=found.pk)
    return render(
        request,
        "running/portal_run_morning.html",
        {**_context(link, token), "run": found, "form": form},
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )
