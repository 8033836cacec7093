"""The run log's parts of pages other apps own: the portal home's link to the runner's pages and
the episode page's load ledger. Tags rather than the views' context, so those views stay as they are."""

from __future__ import annotations

from django import template

from clinic import audit, permissions, thresholds
from running import run_rules, run_selectors

register = template.Library()


@register.simple_tag
def portal_runs_shown(patient) -> bool:
    """Whether the portal home links to the runner's pages: an active return-to-run plan or any run."""
    return run_selectors.has_runs_or_plan(patient)


@register.simple_tag(takes_context=True)
def load_ledger(context, episode):
    """The episode's load ledger for a clinician (None for anyone else): its last runs, each with
    the load flags, read once per page; showing it is an audited read."""
    user = context["request"].user
    if not permissions.can_view_clinical(user, episode.patient):
        return None
    limits = thresholds.for_clinic(episode.patient.clinic)
    rows = run_selectors.episode_ledger(
        episode, progression_pct=limits["load_progression_pct"], spike_pct=limits["load_spike_pct"]
    )
    if rows:
        audit.record_read(actor=user, action=audit.Read.LOAD_LEDGER_VIEWED, obj=episode, patient=episode.patient)
    return {
        "rows": rows,
        "progression_pct": limits["load_progression_pct"],
        "spike_pct": limits["load_spike_pct"],
    }


@register.filter
def duration(seconds):
    return run_rules.format_duration(seconds)


@register.filter
def km(metres):
    value = run_rules.m_to_km(metres)
    return "" if value is None else f"{value} km"
