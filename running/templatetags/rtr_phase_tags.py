"""The walk-run phases where pages of the core show them (the episode page, the dashboard), which may not import
running: clinicians of the patient's clinic only."""

from __future__ import annotations

from django import template

from clinic import audit, permissions
from clinic.permissions import Role
from running import phase_selectors, progression
from running.models import PhaseStep

register = template.Library()


@register.inclusion_tag("running/_return_to_run_panel_body.html", takes_context=True)
def return_to_run_panel(context, episode) -> dict:
    user = context["request"].user
    if not permissions.can_view_clinical(user, episode.patient):
        return {"shown": False}
    panel = phase_selectors.panel(episode)
    if panel is not None:
        audit.record_read(actor=user, action=audit.Read.RETURN_TO_RUN_VIEWED, obj=panel.plan, patient=episode.patient)
    return {
        "shown": True,
        "panel": panel,
        "can_change": permissions.can_change_clinical(user, episode.patient),
        "steps": PhaseStep.choices,
        "rule_help": progression.RULE_HELP,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("running/_dashboard_phases_body.html", takes_context=True)
def return_to_run_dashboard(context) -> dict:
    user = context["request"].user
    if Role.CLINICIAN not in permissions.roles_of(user) or not permissions.can_view_clinical_records(user):
        return {"shown": False}
    lists = phase_selectors.dashboard(user)
    audit.record_shown(actor=user, action=audit.Read.DASHBOARD_VIEWED, patients=lists.patients)
    return {"shown": True, "lists": lists}
