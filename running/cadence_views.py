"""Prescribing and stopping a step-rate target from the episode page: clinicians of the episode's
clinic who may change clinical records (404 for another clinic's episode, then 403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from clinic import access
from clinic.models import EpisodeStatus
from running.models import CadencePrescription
from running.services import cadence as services


def _back(episode) -> HttpResponse:
    return redirect(f"{reverse('episode_detail', args=[episode.pk])}#cadence-h")


@login_required
@require_POST
def prescribe(request: HttpRequest, pk: int) -> HttpResponse:
    episode = access.clinical_episode_for(request.user, pk, change=True)
    try:
        increase = int(request.POST.get("increase_pct", ""))
    except ValueError:
        increase = None
    try:
        if episode.status != EpisodeStatus.OPEN:
            raise ValidationError("This episode is discharged: nothing new can be prescribed in it.")
        prescription = services.prescribe(episode=episode, actor=request.user, increase_pct=increase)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Step-rate target set: {prescription.target_steps_per_min} steps/min.")
    return _back(episode)


@login_required
@require_POST
def stop(request: HttpRequest, pk: int) -> HttpResponse:
    episode = access.clinical_episode_for(request.user, pk, change=True)
    current = CadencePrescription.objects.filter(episode=episode, stopped_at__isnull=True).first()
    if current is not None:
        services.stop(prescription=current, actor=request.user)
        messages.success(request, "The step-rate prescription is stopped.")
    return _back(episode)
