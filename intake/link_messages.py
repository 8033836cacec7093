"""The message carrying a patient's intake link, sent through the outbox.

Its words are the clinic's (the wording pages, or the shipped default). The link's token is
made when the message is composed and its hash is stored with the row marked sending, in one
transaction, before the message goes: no link reaches a patient whose hash was not committed.
A link the provider refused is taken back (its hash cleared), as no message carries it; a
retry makes a new one. The invitation keeps ``sent_at`` and ``last_error`` as the front
desk's copy of the outcome.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, timezone

from clinic.models import ContactChannel
from clinic.outbox import wording
from clinic.outbox.clinic_wording import wording_for
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import MessageStatus, PatientMessage, WordingKind
from intake import tokens
from intake.models import IntakeInvitation


def _invitation(message: PatientMessage) -> IntakeInvitation | None:
    return (
        IntakeInvitation.objects.select_for_update(of=("self",))
        .select_related("intake__episode__patient__clinic")
        .filter(pk=message.subject_id)
        .first()
    )


def prepare(message: PatientMessage) -> Outgoing | NotOwed:
    invitation = _invitation(message)
    if invitation is None or invitation.sent_at is not None or not invitation.is_live:
        return NotOwed(MessageStatus.CANCELLED, "The intake link is no longer live.")
    link_token, token_hash = tokens.new_link_token()
    patient = invitation.intake.episode.patient
    clinic = patient.clinic
    link = settings.SITE_URL.rstrip("/") + reverse("intake_start", args=[link_token])
    # The link's last day on the clinic's calendar; short in a text message.
    last_day = timezone.localtime(invitation.expires_at, clinic.zone)
    values = {
        "first_name": patient.first_name,
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone.as_national if clinic.phone else "",
        "link": link,
        "valid_until": dateformat.format(last_day, "j M" if invitation.channel == ContactChannel.SMS else "j F Y"),
    }
    text = wording_for(clinic=clinic, kind=WordingKind.INTAKE_LINK)
    words = text.sms_body if invitation.channel == ContactChannel.SMS else text.body
    body = wording.fill(words, values).strip()
    if link not in body:
        # A clinic's wording without the link still carries it: the message is for nothing else.
        body += f"\n\n{link}" if invitation.channel == ContactChannel.EMAIL else f" {link}"
    invitation.token_hash = token_hash
    invitation.attempts += 1
    invitation.save(update_fields=["token_hash", "attempts"])
    # Staff chose the channel when they sent the link.
    message.channel = invitation.channel
    this_link = IntakeInvitation.objects.filter(pk=invitation.pk, token_hash=token_hash)
    return Outgoing(
        subject=wording.fill(text.subject, values),
        body=body,
        undo=[partial(this_link.update, token_hash=None)],
    )


def settled(message: PatientMessage) -> None:
    invitation = _invitation(message)
    if invitation is None or invitation.sent_at is not None:
        return
    if message.status == MessageStatus.SENT:
        invitation.sent_at, invitation.last_error = message.sent_at, ""
    else:
        invitation.last_error = message.reason
    invitation.save(update_fields=["sent_at", "last_error"])
