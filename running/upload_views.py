"""The runner's device-file pages, under their portal link (phone first), and the clinician's
answer on a probable duplicate.

A link opens only its own patient's files: another patient's id answers 404 as a missing one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from clinic import access, audit, link_pages, permissions
from clinic.models import EpisodeStatus
from clinic.portal import selectors as portal_selectors
from running.models import RunFile, RunFileStatus
from running.services import uploads
from running.upload_forms import DecisionForm, DistanceForm, RunFileForm

RECENT = 10


def _open(request: HttpRequest, token: str):
    """The portal link the token opens, or the page that says why not (as the portal's pages)."""
    return link_pages.open_link(
        request,
        lambda: portal_selectors.link_for_token(token),
        group="portal-bad-link",
        template="portal/link_problem.html",
        clinic_of=lambda link: link.patient.clinic,
    )


def _episode(patient):
    """The course of care a runner's file belongs to: their newest open one."""
    return patient.episodes.filter(status=EpisodeStatus.OPEN).order_by("-opened_on", "-id").first()


def _context(link, token: str) -> dict:
    clinic = link.patient.clinic
    return {
        "clinic": clinic,
        "token": token,
        "logo_url": reverse("portal_logo", args=[token]) if clinic.logo else "",
    }


@never_cache
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, token: str) -> HttpResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    patient = link.patient
    episode = _episode(patient)
    form = RunFileForm()
    if request.method == "POST" and episode is not None:
        form = RunFileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                row = uploads.receive_file(episode, form.cleaned_data["file"])
            except ValidationError as refused:
                form.add_error("file", refused.messages)
            else:
                return redirect("portal_run_upload_status", token=token, upload_id=row.pk)
    recent = list(RunFile.objects.filter(episode__patient=patient).order_by("-uploaded_at", "-id")[:RECENT])
    if recent:
        audit.record_shown(actor=None, action=audit.Read.RUN_FILE_VIEWED_BY_PATIENT, patients=[patient])
    return render(
        request,
        "running/portal_upload.html",
        {**_context(link, token), "form": form, "episode": episode, "recent": recent},
        status=400 if form.errors else 200,
    )


def _run_url(token: str, run_id: int | None) -> str:
    """The runner's page of the run, where the runs area provides it."""
    if run_id is None:
        return ""
    try:
        return reverse("portal_run", args=[token, run_id])
    except NoReverseMatch:
        return ""


@never_cache
@require_http_methods(["GET", "POST"])
def upload_status(request: HttpRequest, token: str, upload_id: int) -> HttpResponse:
    link, problem = _open(request, token)
    if problem:
        return problem
    row = RunFile.objects.filter(pk=upload_id, episode__patient=link.patient).select_related("run").first()
    if row is None:
        raise Http404
    form = None
    if row.status == RunFileStatus.NEEDS_DISTANCE:
        form = DistanceForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                uploads.add_distance(run_file=row, distance_m=form.distance_m())
            except ValidationError as refused:
                form.add_error(None, refused.messages)
            else:
                messages.success(request, "Thank you: your run was added with that distance.")
                return redirect("portal_run_upload_status", token=token, upload_id=row.pk)
    elif request.method == "POST":
        messages.info(request, "This file does not need anything more from you.")
        return redirect("portal_run_upload_status", token=token, upload_id=row.pk)
    audit.record_read(actor=None, action=audit.Read.RUN_FILE_VIEWED_BY_PATIENT, obj=row, patient=link.patient)
    return render(
        request,
        "running/portal_upload_status.html",
        {
            **_context(link, token),
            "row": row,
            "form": form,
            "run_url": _run_url(token, row.run_id),
            "waiting": row.status in uploads.OPEN_STATUSES,
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def decide_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    """The clinician's answer on a probable duplicate, from the episode page."""
    rows = permissions.clinic_rows(request.user, RunFile).select_related("episode__patient")
    row = get_object_or_404(rows, pk=pk)
    access.clinical_episode_for(request.user, row.episode_id, change=True)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether the runs are the same or different.")
    else:
        try:
            uploads.decide_duplicate(actor=request.user, run_file=row, decision=form.cleaned_data["decision"])
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(request, "Saved your decision on the runner's file.")
    return redirect(f"{reverse('episode_detail', args=[row.episode_id])}#run-files")
