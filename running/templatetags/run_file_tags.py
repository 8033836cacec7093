"""The episode page's panel of the runner's device files waiting for the clinician: a tag, so
the episode page's view stays as it is. Clinicians of the episode's clinic only."""

from __future__ import annotations

from django import template

from clinic import audit, permissions
from running.models import RunFile, RunFileStatus

register = template.Library()


@register.inclusion_tag("running/_run_files_panel_body.html", takes_context=True)
def run_files_panel(context, episode) -> dict:
    user = context["request"].user
    if not permissions.can_view_clinical(user, episode.patient):
        return {"shown": False}
    waiting = list(
        RunFile.objects.filter(episode=episode, status=RunFileStatus.PROBABLE_DUPLICATE)
        .select_related("duplicate_of")
        .order_by("uploaded_at", "id")
    )
    if waiting:
        audit.record_shown(actor=user, action=audit.Read.RUN_FILE_LISTED, patients=[episode.patient])
    return {
        "shown": True,
        "waiting": waiting,
        "can_decide": permissions.can_change_clinical(user, episode.patient),
        "csrf_token": context.get("csrf_token"),
    }
