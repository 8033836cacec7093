"""The re-assessment page's part about the progress report. The assessment pages sit below notes in the
layers, so they ask through this tag rather than importing notes."""

from __future__ import annotations

from django import template

from clinic import permissions
from notes import selectors
from notes.models import ProgressReport

register = template.Library()


@register.simple_tag(takes_context=True)
def progress_report_part(context, assessment):
    """None where nothing is shown: the clinic does not track progress reports, the user may not see
    clinical records, or the assessment is not a completed re-assessment."""
    user = context["request"].user
    patient = assessment.episode.patient
    if not patient.clinic.progress_reports or not permissions.can_view_clinical(user, patient):
        return None
    if not assessment.is_completed or not selectors.is_reassessment(assessment):
        return None
    return {
        "report": ProgressReport.objects.filter(assessment=assessment).select_related("author").first(),
        "can_record": permissions.can_change_clinical(user, patient),
    }
