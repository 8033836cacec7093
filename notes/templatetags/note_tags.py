"""The visit page's line about its note. The visit page belongs to the schedule, below notes
in the layers, so it asks through this tag rather than importing notes: a clinician sees
the note's state and a link to it, the front desk only whether the visit is noted (to check
the visit out), and anyone else nothing."""

from __future__ import annotations

from django import template

from clinic import permissions
from notes import selectors

register = template.Library()


@register.inclusion_tag("notes/includes/visit_note_line.html", takes_context=True)
def visit_note_line(context, visit) -> dict:
    user = context["request"].user
    clinical = permissions.can_view_clinical(user, visit.episode.patient)
    if not clinical and not permissions.can_view_schedule(user):
        return {"shown": False}
    return {
        "shown": True,
        "visit": visit,
        "clinical": clinical,
        "can_write": permissions.can_change_clinical(user, visit.episode.patient),
        "state": selectors.note_state(visit),
        "csrf_token": context.get("csrf_token"),
    }
