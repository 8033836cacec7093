"""The episode page's step-rate retraining panel: clinicians of the patient's clinic only, in two
queries (the current prescription, the runs' step rates)."""

from __future__ import annotations

from django import template

from clinic import permissions
from clinic.models import EpisodeStatus
from running import cadence
from running.models import CadencePrescription
from running.services.cadence import measured_baseline

register = template.Library()


@register.inclusion_tag("running/includes/cadence_panel.html", takes_context=True)
def cadence_panel(context, episode) -> dict:
    user = context["request"].user
    if not permissions.can_view_clinical(user, episode.patient):
        return {"shown": False}
    return {
        "shown": True,
        "episode": episode,
        "current": CadencePrescription.objects.filter(episode=episode, stopped_at__isnull=True).first(),
        "baseline": measured_baseline(episode),
        "can_change": permissions.can_change_clinical(user, episode.patient) and episode.status == EpisodeStatus.OPEN,
        "increases": cadence.INCREASES_PCT,
        "evidence": cadence.EVIDENCE,
        "csrf_token": context.get("csrf_token"),
    }
