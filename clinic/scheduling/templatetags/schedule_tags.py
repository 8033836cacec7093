from __future__ import annotations

from django import template
from django.utils import timezone

from clinic import audit, permissions
from clinic.outbox import selectors as outbox
from clinic.scheduling import selectors

register = template.Library()


@register.inclusion_tag("scheduling/includes/under_scheduled.html", takes_context=True)
def under_scheduled(context):
    user = context["request"].user
    rows = selectors.under_scheduled(user=user)[:30]
    audit.record_shown(
        actor=user, action=audit.Read.UNDER_SCHEDULED_VIEWED, patients=[row.episode.patient for row in rows]
    )
    return {"rows": rows}


@register.inclusion_tag("scheduling/includes/wait_list_panel.html", takes_context=True)
def wait_list_panel(context, episode):
    from clinic.scheduling.views import WaitListForm

    user = context["request"].user
    # The panel shows nothing to whoever does not schedule, or once the episode is closed.
    if not (permissions.can_schedule(user) and episode.status == "open"):
        return {"can_schedule": False}
    return {
        "episode": episode,
        "entry": episode.wait_list_entries.filter(closed_at__isnull=True).select_related("clinician").first(),
        "form": WaitListForm(user=user) if user.clinic_id else None,
        "can_schedule": True,
        "request": context["request"],
    }


@register.simple_tag
def reminder_line(visit) -> str:
    """The visit's reminder status for the front desk; the visit's reminders are prefetched."""
    return selectors.visit_reminder_line(visit, timezone.get_current_timezone())


FAILED_SHOWN = 20


@register.inclusion_tag("scheduling/includes/failed_messages.html", takes_context=True)
def failed_messages(context):
    user = context["request"].user
    if not permissions.can_schedule(user):
        return {"show": False}
    rows = outbox.recent_failed_messages(user=user, limit=FAILED_SHOWN + 1)
    changes = list(selectors.patient_changes(user=user)[: FAILED_SHOWN + 1])
    audit.record_shown(
        actor=user,
        action=audit.Read.REMINDER_PROBLEMS_VIEWED,
        patients=[row.patient for row in rows[:FAILED_SHOWN]]
        + [change.appointment.episode.patient for change in changes[:FAILED_SHOWN]],
    )
    return {
        "show": True,
        "rows": rows[:FAILED_SHOWN],
        "more": len(rows) > FAILED_SHOWN,
        "changes": changes[:FAILED_SHOWN],
        "more_changes": len(changes) > FAILED_SHOWN,
        "now": timezone.now(),
    }


@register.inclusion_tag("scheduling/includes/reminder_opt_out.html", takes_context=True)
def reminder_opt_out(context, patient):
    request = context["request"]
    return {
        "patient": patient,
        "can_change": permissions.can_change_patient(request.user, patient),
        "request": request,
    }
