"""The message carrying a patient's intake link, sent through the outbox.

The link's token is made when the message is composed and its hash is stored with the row
marked sending, in one transaction, before the message goes: no link reaches a patient whose
hash was not committed. A link the provider refused is taken back (its hash cleared), as no
message carries it; a retry makes a new one. The invitation keeps ``sent_at`` and
``last_error`` as the front desk's copy of the outcome.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import MessageStatus, PatientMessage
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
    context = {
        "clinic": patient.clinic,
        "link": settings.SITE_URL.rstrip("/") + reverse("intake_start", args=[link_token]),
        "expires_at": invitation.expires_at,
        "first_name": patient.first_name,
    }
    # The expiry date in the message is the clinic's calendar date.
    with timezone.override(patient.clinic.zone):
        body = render_to_string(f"intake/messages/invitation_{invitation.channel}.txt", context).strip()
    invitation.token_hash = token_hash
    invitation.attempts += 1
    invitation.save(update_fields=["token_hash", "attempts"])
    # Staff chose the channel when they sent the link.
    message.channel = invitation.channel
    this_link = IntakeInvitation.objects.filter(pk=invitation.pk, token_hash=token_hash)
    return Outgoing(
        subject=f"Before your visit: please fill in your form for {patient.clinic.name}",
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
