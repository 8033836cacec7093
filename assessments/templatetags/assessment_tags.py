"""The assessments panel on the episode page: clinicians get links, the front desk only
sees that an assessment exists and when."""

from __future__ import annotations

from django import template
from django.utils import timezone

from assessments.forms import start_form_for
from assessments.models import AssessmentKind
from clinic import permissions

register = template.Library()


@register.inclusion_tag("assessments/includes/episode_panel.html", takes_context=True)
def assessments_panel(context, episode):
    user = context["request"].user
    assessments = list(episode.assessments.select_related("clinician").order_by("assessed_on", "id"))
    has_initial = any(assessment.kind == AssessmentKind.INITIAL for assessment in assessments)
    return {
        "request": context["request"],
        "episode": episode,
        "assessments": assessments,
        "clinical": permissions.can_view_clinical(user, episode.patient),
        "can_start": permissions.can_change_clinical(user, episode.patient),
        "start_form": start_form_for(
            context["request"],
            episode.pk,
            initial={
                "kind": AssessmentKind.REASSESSMENT if has_initial else AssessmentKind.INITIAL,
                "assessed_on": timezone.localdate(),
            },
        ),
        "completed_count": sum(assessment.is_completed for assessment in assessments),
    }
