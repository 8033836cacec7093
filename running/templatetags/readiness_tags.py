"""The episode page's panel of return-to-run checks. The episode page belongs to the core, below
running in the layers, so it asks through this tag: clinicians of the patient's clinic see the
checks (one query, whatever their number); anyone else sees nothing."""

from __future__ import annotations

from django import template

from clinic import permissions
from running.models import ReadinessCheck

register = template.Library()

SHOWN = 10


@register.inclusion_tag("running/readiness_panel.html", takes_context=True)
def readiness_panel(context, episode) -> dict:
    user = context["request"].user
    if not permissions.can_view_clinical(user, episode.patient):
        return {"shown": False}
    checks = list(
        ReadinessCheck.objects.filter(episode=episode)
        .select_related("clinician")
        .order_by("-checked_on", "-id")[: SHOWN + 1]
    )
    return {
        "shown": True,
        "episode": episode,
        "checks": checks[:SHOWN],
        "more": len(checks) > SHOWN,
        "can_record": episode.closed_on is None and permissions.can_change_clinical(user, episode.patient),
    }
