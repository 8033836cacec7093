"""The plan panel on the episode page: clinicians see the plans; the front desk sees only
the visit frequency and duration it needs for scheduling."""

from __future__ import annotations

from django import template

from clinic import permissions
from plans.signed import SignedPlan

register = template.Library()


@register.inclusion_tag("plans/includes/episode_panel.html", takes_context=True)
def plans_panel(context, episode):
    user = context["request"].user
    plans = list(episode.plans.prefetch_related("versions"))
    latest = [(plan, plan.versions.all()[0]) for plan in plans if plan.versions.all()]
    signed = [(plan, version, SignedPlan.of(version)) for plan, version in latest]
    return {
        "plans": plans,
        "signed": signed,
        "clinical": permissions.can_view_clinical(user, episode.patient),
        "can_schedule": permissions.can_schedule(user),
    }
