"""The visit notes' re-measures where they are read: the note's Objective section, the episode
page's timeline of notes, and the progress page. The episode and progress pages belong to apps
below notes in the layers, so they ask through these tags rather than importing notes; clinicians
of the patient's clinic only (the front desk and the clinic admin see nothing of a note).

Each tag loads what it shows in a fixed number of queries, whatever the number of notes."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from clinic import permissions
from notes import measure_selectors, measures
from notes.measure_forms import PartForm, RemeasureForm

register = template.Library()

_PART = {"part_rule": measures.PART_RULE, "part_source": measures.PART_SOURCE}


@register.inclusion_tag("notes/includes/objective.html", takes_context=True)
def note_objective(context, visit, note, editable: bool) -> dict:
    """The note's re-measures and PART rows, each compared; with the forms that add them while
    the note is the viewer's unsigned draft (bound, with their errors, after a refused POST)."""
    rows = measure_selectors.objectives(visit.episode)
    objective = next((row for row in rows if row.note.pk == note.pk), None)
    shown = {
        "visit": visit,
        "objective": objective,
        "editable": editable,
        "csrf_token": context.get("csrf_token"),
        **_PART,
    }
    if editable:
        shown["measure_form"] = context.get("measure_form") or RemeasureForm()
        shown["part_form"] = context.get("part_form") or PartForm()
    return shown


@register.inclusion_tag("notes/includes/episode_notes.html", takes_context=True)
def visit_notes_timeline(context, episode) -> dict:
    """The episode's notes as a timeline (day, clinician, signed or draft, response, pain now),
    with their re-measures and the pain trend across visits."""
    if not permissions.can_view_clinical(context["request"].user, episode.patient):
        return {"shown": False}
    rows = measure_selectors.objectives(episode)
    # The SVG comes from the progress page's chart code, which escapes every text it writes.
    chart = mark_safe(measure_selectors.pain_chart(rows))  # noqa: S308
    return {
        "shown": True,
        "rows": rows,
        "pain_chart": chart,
        "any_part": any(row.part for row in rows),
        **_PART,
    }


@register.inclusion_tag("notes/includes/progress_remeasures.html", takes_context=True)
def visit_remeasures(context, episode) -> dict:
    """The re-measures of every visit note, each against the baseline, for the progress page."""
    if not permissions.can_view_clinical(context["request"].user, episode.patient):
        return {"shown": False}
    rows = [row for row in measure_selectors.objectives(episode) if row.measures or row.part]
    return {"shown": True, "rows": rows, **_PART}
