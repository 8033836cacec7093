"""The front desk's panel of lapsed episodes on the dashboard: the longest lapsed first, the
rest on their own paginated page. Names and last visit days only, no clinical content."""

from __future__ import annotations

from django import template

from clinic import audit, permissions, thresholds
from notes import discharge

register = template.Library()

DASHBOARD_LAPSED = 10


@register.inclusion_tag("notes/discharge/dashboard_lapsed.html", takes_context=True)
def lapsed_episodes(context):
    user = context["request"].user
    if not permissions.can_schedule(user) or user.clinic_id is None:
        return {"shown": False}
    weeks = thresholds.for_clinic(user.clinic)["lapsed_after_weeks"]
    rows = list(discharge.lapsed_episodes(user=user, weeks=weeks)[: DASHBOARD_LAPSED + 1])
    shown = rows[:DASHBOARD_LAPSED]
    audit.record_shown(actor=user, action=audit.Read.LAPSED_EPISODES_VIEWED, patients=[e.patient for e in shown])
    return {
        "shown": True,
        "episodes": shown,
        "more": len(rows) > DASHBOARD_LAPSED,
        "lapsed_weeks": weeks.normalize(),
        "request": context["request"],
    }
