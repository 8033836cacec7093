"""The plan panel on the episode page: clinicians see the plans; the front desk sees only
the visit frequency and duration it needs for scheduling."""

from __future__ import annotations

from django import template

from clinic import permissions
from plans.signed import SignedPlan

register = template.Library()


@register.inclusion_tag("plans/includes/episode_panel.html", takes_context=True)
def plans_panel(context, episode, plans):
    """``plans``: ``selectors.episode_plans(episode)``, which the page also reads the home programs from."""
    user = context["request"].user
    signed = [(plan, plan.latest[0], SignedPlan.of(plan.latest[0])) for plan in plans if plan.latest]
    return {
        "plans": plans,
        "signed": signed,
        "clinical": permissions.can_view_clinical(user, episode.patient),
        "can_schedule": permissions.can_schedule(user),
    }
