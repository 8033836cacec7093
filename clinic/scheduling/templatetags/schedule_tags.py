from __future__ import annotations

from django import template

from clinic.scheduling import selectors

register = template.Library()


@register.inclusion_tag("scheduling/includes/under_scheduled.html", takes_context=True)
def under_scheduled(context):
    return {"rows": selectors.under_scheduled(user=context["request"].user)[:30]}


@register.inclusion_tag("scheduling/includes/wait_list_panel.html", takes_context=True)
def wait_list_panel(context, episode):
    from clinic.scheduling.views import WaitListForm

    user = context["request"].user
    return {
        "episode": episode,
        "entry": episode.wait_list_entries.filter(closed_at__isnull=True).select_related("clinician").first(),
        "form": WaitListForm(clinic_id=user.clinic_id) if user.clinic_id else None,
        "can_schedule": user.has_perm("scheduling.add_appointment") and episode.status == "open",
        "request": context["request"],
    }
