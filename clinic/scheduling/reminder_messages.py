"""What a reminder says: the clinic's wording (or the shipped default) filled with the
reminder's values, by channel, with fresh single-use links made as the message is composed
(stored hashed, so the raw tokens exist only in the message)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic import thresholds
from clinic.models import ContactChannel
from clinic.outbox import wording
from clinic.outbox.clinic_wording import wording_for
from clinic.scheduling.models import (
    APPOINTMENT_KINDS,
    Reminder,
    ReminderKind,
    ReminderLink,
    ReminderLinkAction,
)
from clinic.signed_links import SignedLinks
from plans.signed import SignedPlan

LINKS = {action: SignedLinks(f"reminder.{action}") for action in ReminderLinkAction.values}
LINK_PATHS = {
    ReminderLinkAction.CONFIRM: "reminder_confirm",
    ReminderLinkAction.CANCEL: "reminder_cancel",
    ReminderLinkAction.OPT_OUT: "reminder_opt_out",
}


def plan_ends_at(version) -> datetime.datetime:
    return SignedPlan.of(version).ends_at


def placeholder_values(reminder: Reminder) -> dict[str, str]:
    patient = reminder.episode.patient
    clinic = patient.clinic
    values = {
        "first_name": patient.first_name,
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone.as_national if clinic.phone else "",
    }
    with timezone.override(clinic.zone):
        if reminder.appointment_id:
            appointment = reminder.appointment
            start = timezone.localtime(appointment.starts_at)
            values |= {
                "visit_day": f"{start:%A} {start.day} {start:%B}",
                "visit_time": f"{start:%H:%M}",
                "clinician": appointment.clinician.full_name,
                "visit_type": appointment.get_kind_display().lower(),
            }
        if reminder.invitation_id:
            sent = timezone.localtime(reminder.invitation.sent_at or reminder.invitation.created_at)
            values["sent_day"] = f"{sent.day} {sent:%B}"
        if reminder.plan_version_id:
            ends = timezone.localtime(plan_ends_at(reminder.plan_version))
            values["plan_end_day"] = f"{ends.day} {ends:%B}"
    return values


def _link(reminder: Reminder, action: str, expires_at: datetime.datetime) -> str:
    link_token, token_hash = LINKS[action].new()
    ReminderLink.objects.create(reminder=reminder, action=action, token_hash=token_hash, expires_at=expires_at)
    return settings.SITE_URL.rstrip("/") + reverse(LINK_PATHS[action], args=[link_token])


def compose(reminder: Reminder, *, channel: str) -> tuple[str, str]:
    """Subject and body of the reminder by ``channel``, with fresh single-use links (made here,
    stored hashed, so the raw tokens exist only in the message)."""
    from clinic.portal.services import link_issue

    patient = reminder.episode.patient
    clinic = patient.clinic
    appointment_type_id = None
    if reminder.appointment_id:
        appointment_type_id = (
            clinic.appointment_types.filter(kind=reminder.appointment.kind).values_list("pk", flat=True).first()
        )
    text = wording_for(clinic=clinic, kind=reminder.kind, appointment_type_id=appointment_type_id)
    values = placeholder_values(reminder)
    days = thresholds.for_clinic(clinic)["reminder_opt_out_link_days"]
    context = {
        "clinic": clinic,
        "opt_out": _link(reminder, ReminderLinkAction.OPT_OUT, timezone.now() + datetime.timedelta(days=float(days))),
        "kind": reminder.kind,
    }
    if reminder.kind in APPOINTMENT_KINDS:
        starts_at = reminder.appointment.starts_at
        context["confirm"] = _link(reminder, ReminderLinkAction.CONFIRM, starts_at)
        context["cancel"] = _link(reminder, ReminderLinkAction.CANCEL, starts_at)
    if reminder.kind == ReminderKind.CHECK_IN:
        context["portal"] = link_issue(patient=patient)
    if channel == ContactChannel.SMS:
        context["text"] = wording.fill(text.sms_body, values)
        return "", render_to_string("scheduling/messages/reminder_sms.txt", context).strip()
    context["text"] = wording.fill(text.body, values)
    body = render_to_string("scheduling/messages/reminder_email.txt", context).strip()
    return wording.fill(text.subject, values), body
