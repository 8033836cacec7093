"""What every reminder has in common, whatever it is about: placed outside the clinic's quiet
hours when it is owed, worded by the clinic (or the shipped default) by channel, and carrying
fresh single-use links made as the message is composed (stored hashed, so the raw tokens
exist only in the message): always "stop reminders", and for a visit "confirm", "cancel" and
"move" (short ones in a text message).

Each kind's module (beside its subject) decides whether the reminder is still owed and which
values fill its wording, then calls ``compose``.
"""

from __future__ import annotations

import datetime
from urllib.parse import quote

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS

from clinic import phone_display, thresholds
from clinic.models import ContactChannel, EpisodeStatus
from clinic.outbox import batch, quiet_hours, wording
from clinic.outbox.clinic_wording import wording_for
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import LinkAction, MessageLink, MessageStatus, PatientMessage
from clinic.signed_links import ShortSignedLinks, SignedLinks

LINKS = {action: SignedLinks(f"reminder.{action}") for action in LinkAction.values}
# A text message's links: one short path for every action, the link's row says which it is.
SHORT_LINKS = ShortSignedLinks("reminder.short")
SHORT_PATH = "reminder_short"
_PLACEHOLDER = "LINKTOKEN"
LINK_PATHS = {
    LinkAction.CONFIRM: "reminder_confirm",
    LinkAction.CANCEL: "reminder_cancel",
    LinkAction.RESCHEDULE: "reminder_reschedule",
    LinkAction.OPT_OUT: "reminder_opt_out",
}


def outside_quiet_hours(clinic, due_at: datetime.datetime, latest: datetime.datetime | None = None):
    """``due_at`` moved out of the clinic's quiet hours (back before them if ``latest`` is near)."""
    return quiet_hours.outside_quiet_hours(
        due_at, start=clinic.quiet_hours_start, end=clinic.quiet_hours_end, zone=clinic.zone, latest=latest
    )


def days(value) -> datetime.timedelta:
    return datetime.timedelta(days=float(value))


def episode_closed(message: PatientMessage) -> NotOwed | None:
    """Reminders about an episode's care stop when it is closed."""
    if message.episode.status != EpisodeStatus.OPEN:
        return NotOwed(MessageStatus.CANCELLED, "The episode of care is closed.")
    return None


def values_of(patient) -> dict[str, str]:
    """The placeholders every reminder's wording may use."""
    clinic = patient.clinic
    return {
        "first_name": patient.first_name,
        "clinic_name": clinic.name,
        "clinic_phone": batch.once(("clinic_phone", clinic.pk), lambda: _national(clinic.phone)),
    }


def _national(phone) -> str:
    # Each test of a phone number validates it (phonenumbers' metadata, a fraction of a
    # millisecond): a batch's messages of one clinic format its number once.
    return phone.as_national if phone else ""


def _link(message: PatientMessage, action: str, expires_at: datetime.datetime) -> str:
    short = message.channel == ContactChannel.SMS
    link_token, token_hash = (SHORT_LINKS if short else LINKS[action]).new()
    batch.stage(MessageLink(message=message, action=action, token_hash=token_hash, expires_at=expires_at))
    return settings.SITE_URL.rstrip("/") + _path(SHORT_PATH if short else LINK_PATHS[action], link_token)


def _path(name: str, link_token: str) -> str:
    """``reverse(name, args=[link_token])``. Reversing walks the resolver, four times a reminder:
    a batch reverses each kind of link once and quotes each token into its place as
    ``reverse`` does (a token never holds "/", which the ``str`` converter refuses)."""
    prefix, suffix = batch.once(("link_path", name), lambda: reverse(name, args=[_PLACEHOLDER]).split(_PLACEHOLDER))
    return prefix + quote(link_token, safe=RFC3986_SUBDELIMS + "/~:@") + suffix


def compose(
    message: PatientMessage,
    *,
    values: dict[str, str],
    visit_starts_at: datetime.datetime | None = None,
    appointment_type_id: int | None = None,
    portal: str = "",
    portal_label: str = "Your home program",
) -> Outgoing:
    """The reminder in the clinic's wording by the message's channel. A reminder about a visit
    (``visit_starts_at``) carries links to confirm, cancel and move it, valid until it starts; a
    text message carries their short form."""
    clinic = message.patient.clinic
    text = wording_for(clinic=clinic, kind=message.kind, appointment_type_id=appointment_type_id)
    link_days = batch.once(("thresholds", clinic.pk), lambda: thresholds.for_clinic(clinic))[
        "reminder_opt_out_link_days"
    ]
    context = {
        "clinic": clinic,
        "clinic_phone": batch.once(
            ("clinic_phone_display", clinic.pk),
            lambda: phone_display.display(clinic.phone, phone_display.clinic_region(clinic)),
        ),
        "opt_out": _link(message, LinkAction.OPT_OUT, timezone.now() + days(link_days)),
        "portal": portal,
        "portal_label": portal_label,
    }
    if visit_starts_at is not None:
        context["confirm"] = _link(message, LinkAction.CONFIRM, visit_starts_at)
        context["cancel"] = _link(message, LinkAction.CANCEL, visit_starts_at)
        context["reschedule"] = _link(message, LinkAction.RESCHEDULE, visit_starts_at)
    if message.channel == ContactChannel.SMS:
        context["text"] = wording.fill(text.sms_body, values)
        return Outgoing(subject="", body=render_to_string("scheduling/messages/reminder_sms.txt", context).strip())
    context["text"] = wording.fill(text.body, values)
    body = render_to_string("scheduling/messages/reminder_email.txt", context).strip()
    return Outgoing(subject=wording.fill(text.subject, values), body=body)
