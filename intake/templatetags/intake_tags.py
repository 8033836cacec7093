"""Intake panels for pages of the clinic core (episode page, dashboards).

Inclusion tags keep the core's views free of intake queries; each panel checks the same
permissions as the intake's own views.
"""

from __future__ import annotations

from django import template

from clinic import audit, permissions
from clinic.models import ContactChannel
from intake import selectors

register = template.Library()


@register.inclusion_tag("intake/includes/episode_panel.html", takes_context=True)
def intake_panel(context, episode):
    user = context["request"].user
    intake = selectors.intake_of(episode)
    invitation = selectors.latest_invitation(intake)
    return {
        "request": context["request"],
        "episode": episode,
        "intake": intake,
        "invitation": invitation,
        "status": selectors.desk_status(intake, invitation),
        "can_send": permissions.can_change_episode(user, episode) and not (intake and intake.is_submitted),
        "can_view_answers": permissions.can_view_clinical(user, episode.patient),
        "open_flags": selectors.open_red_flags(episode) if permissions.can_view_clinical(user, episode.patient) else [],
        "channels": ContactChannel.choices,
        "preferred": episode.patient.preferred_contact_channel,
    }


@register.inclusion_tag("intake/includes/red_flag_alerts.html", takes_context=True)
def red_flag_alerts(context, mine_only=True):
    user = context["request"].user
    episodes = list(selectors.episodes_with_open_red_flags(user=user, lead_clinician=user if mine_only else None)[:20])
    audit.record_shown(
        actor=user, action=audit.Read.RED_FLAG_ALERTS_VIEWED, patients=[episode.patient for episode in episodes]
    )
    return {"episodes": episodes}


@register.inclusion_tag("intake/includes/pending_intakes.html", takes_context=True)
def pending_intakes(context):
    user = context["request"].user
    intakes = list(selectors.pending_intakes(user=user)[:20])
    audit.record_shown(
        actor=user, action=audit.Read.PENDING_INTAKES_VIEWED, patients=[intake.episode.patient for intake in intakes]
    )
    rows = []
    for intake in intakes:
        invitation = intake.invitations.all()[0]
        rows.append((intake, invitation, selectors.desk_status(intake, invitation)))
    return {"rows": rows}
