"""The note page's part about the plan: what the note's progressions change in the home program, and the
plan version they drafted. A tag rather than a view's context, so the note page's view stays as it is."""

from __future__ import annotations

from django import template

from clinic import permissions
from notes import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def plan_progress(context, note):
    user = context["request"].user
    if note is None or not permissions.can_view_clinical(user, note.appointment.episode.patient):
        return None
    progress = selectors.plan_progress(note)
    return {
        "progress": progress,
        "can_draft": permissions.can_change_clinical(user, note.appointment.episode.patient),
    }
