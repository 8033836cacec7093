"""The hip and tendon measures saved on an assessment, for its pages; a link to enter them on a draft."""

from __future__ import annotations

from django import template

from assessments import measure_selectors, progress
from clinic import permissions

register = template.Library()


@register.inclusion_tag("assessments/includes/outcome_measures.html", takes_context=True)
def outcome_measures(context, assessment, level=2):
    user = context["request"].user
    measures = [
        {
            "label": progress.MEASURE_LABELS[row.instrument],
            "score": row,
            "activities": [
                f"{name}: {row.answers.get(code)}" for code, name in (row.detail.get("activities") or {}).items()
            ],
        }
        for row in measure_selectors.saved(assessment)
    ]
    return {
        "assessment": assessment,
        "level": level,
        "measures": measures,
        "can_change": not assessment.is_completed and permissions.can_change_clinical(user, assessment.episode.patient),
    }
