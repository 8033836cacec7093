"""The discharge pages: the clinician's discharge of an episode (404 for another clinic's episode,
then 403 for a role without clinical records), its PDFs, the front desk's list of lapsed episodes
(names and last visit days only, no clinical content), and the patient's follow-up questionnaire
opened by link."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from clinic import access, audit, link_pages, permissions, thresholds
from intake.forms import field_name
from notes import discharge as services
from notes.discharge_forms import DischargeForm, FollowUpAnswersForm
from notes.follow_up_messages import LINKS
from notes.models import Discharge, DischargeDocument, FollowUp
from plans.models import HandoutStatus

LAPSED_PAGE = 25


@login_required
@require_http_methods(["GET", "POST"])
def discharge(request: HttpRequest, pk: int) -> HttpResponse:
    episode = access.clinical_episode_for(request.user, pk, change=request.method == "POST")
    done = Discharge.objects.filter(episode=episode).select_related("discharged_by").first()
    if done is not None:
        audit.record_read(actor=request.user, action=audit.Read.DISCHARGE_VIEWED, obj=done)
        context = {
            "episode": episode,
            "discharge": done,
            "documents": list(done.documents.all()),
            "follow_ups": list(episode.follow_ups.prefetch_related("scores")),
        }
        return render(request, "notes/discharge/done.html", context)
    if request.method == "POST":
        form = DischargeForm(request.POST)
        if form.is_valid():
            values = dict(form.cleaned_data)
            try:
                services.discharge_episode(actor=request.user, episode=episode, **values)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Episode discharged. The discharge summary is being made.")
                return redirect("episode_discharge", pk=episode.pk)
    else:
        form = DischargeForm(
            initial={
                **services.prefill(episode),
                "follow_up_consent": services.follow_up_consented(episode.patient),
            }
        )
    audit.record_read(actor=request.user, action=audit.Read.EPISODE_VIEWED, obj=episode)
    context = {
        "episode": episode,
        "form": form,
        "instruments": services.episode_instruments(episode),
        "can_reassess": permissions.can_change_clinical(request.user, episode.patient),
    }
    return render(request, "notes/discharge/form.html", context, status=400 if form.is_bound else 200)


@login_required
def discharge_document(request: HttpRequest, pk: int) -> FileResponse:
    document = get_object_or_404(
        permissions.clinic_rows(request.user, DischargeDocument).select_related("discharge__episode__patient"), pk=pk
    )
    if not permissions.can_view_clinical(request.user, document.patient):
        raise PermissionDenied
    if document.status != HandoutStatus.READY or not document.file:
        raise Http404
    audit.record_read(actor=request.user, action=audit.Read.DISCHARGE_DOCUMENT_DOWNLOADED, obj=document)
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=f"discharge-{document.discharge_id}-{document.kind}.pdf"
    )


@login_required
def lapsed_list(request: HttpRequest) -> HttpResponse:
    if not permissions.can_schedule(request.user):
        raise PermissionDenied
    weeks = thresholds.for_clinic(request.user.clinic)["lapsed_after_weeks"]
    episodes = services.lapsed_episodes(user=request.user, weeks=weeks)
    page = Paginator(episodes, LAPSED_PAGE).get_page(request.GET.get("page"))
    audit.record_shown(actor=request.user, action=audit.Read.LAPSED_EPISODES_VIEWED, patients=[e.patient for e in page])
    return render(request, "notes/discharge/lapsed.html", {"page": page, "lapsed_weeks": weeks.normalize()})


@login_required
@require_POST
def lapsed_discharge(request: HttpRequest, pk: int) -> HttpResponse:
    episode = access.episode_to_schedule(request.user, pk)
    try:
        services.discharge_stopped_attending(actor=request.user, episode=episode)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{episode.patient.full_name} discharged as stopped attending.")
    return redirect("lapsed_episodes")


# --- The patient's follow-up questionnaire ---------------------------------------------------------


def _open(request: HttpRequest, token: str):
    return link_pages.open_link(
        request,
        lambda: LINKS.find(FollowUp.objects.select_related("episode__patient__clinic"), token),
        group="follow-up-bad-link",
        template="intake/link_problem.html",
        clinic_of=lambda follow_up: follow_up.episode.patient.clinic,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def follow_up_answer(request: HttpRequest, token: str) -> HttpResponse:
    follow_up, problem = _open(request, token)
    if problem:
        return problem
    clinic = follow_up.episode.patient.clinic
    if follow_up.answered_at is not None:
        return render(request, "notes/discharge/follow_up_done.html", {"clinic": clinic})
    services.follow_up_opened(follow_up=follow_up)
    chosen = services.episode_instruments(follow_up.episode)
    form = FollowUpAnswersForm(request.POST if request.method == "POST" else None, chosen=chosen)
    if form.is_bound and form.is_valid():
        answers = {
            instrument.code: {
                item.code: form.cleaned_data[field_name(instrument.code, item.code)] for item in instrument.items
            }
            for instrument in chosen
        }
        # Answered meanwhile (a second tab): the first answers stand, and the patient is thanked either way.
        with contextlib.suppress(ValidationError):
            services.follow_up_answer(follow_up=follow_up, answers=answers)
        return render(request, "notes/discharge/follow_up_done.html", {"clinic": clinic})
    context = {"clinic": clinic, "form": form, "token": token}
    return render(request, "notes/discharge/follow_up.html", context, status=400 if form.is_bound else 200)
