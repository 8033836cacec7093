"""The message carrying a follow-up questionnaire link, sent through the outbox (owed by
``notes.discharge``). A reminder: held by the clinic's quiet hours and stopped by the patient's
opt-out (``clinic.outbox.rules``). The link's token is made as the message is composed and only
its hash is stored, committed before the message goes; a refused message takes its hash back.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from functools import partial

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, timezone

from clinic import thresholds
from clinic.models import ContactChannel
from clinic.outbox import reminders
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import MessageStatus, PatientMessage
from clinic.signed_links import SignedLinks
from notes.models import FollowUp, FollowUpConsent, FollowUpKind

LINKS = SignedLinks("notes.follow_up")


def _follow_up(message: PatientMessage) -> FollowUp | None:
    return FollowUp.objects.select_related("episode__patient__clinic").filter(pk=message.subject_id).first()


def obsolete(message: PatientMessage) -> NotOwed | None:
    follow_up = _follow_up(message)
    if follow_up is None:
        return NotOwed(MessageStatus.CANCELLED, "The follow-up no longer exists.")
    if follow_up.answered_at is not None:
        return NotOwed(MessageStatus.SKIPPED, "The questions are already answered.")
    if (
        follow_up.kind == FollowUpKind.FOLLOW_UP
        and not FollowUpConsent.objects.filter(patient_id=message.patient_id, agreed=True).exists()
    ):
        return NotOwed(MessageStatus.CANCELLED, "The patient has not agreed to follow-up questionnaires.")
    return None


def prepare(message: PatientMessage) -> Outgoing | NotOwed:
    follow_up = _follow_up(message)
    gone = obsolete(message)
    if gone is not None:
        return gone
    patient = follow_up.episode.patient
    clinic = patient.clinic
    link_token, token_hash = LINKS.new()
    days = thresholds.for_clinic(clinic)["intake_link_days"]
    expires_at = timezone.now() + datetime.timedelta(days=float(days))
    FollowUp.objects.filter(pk=follow_up.pk).update(token_hash=token_hash, expires_at=expires_at)
    link = settings.SITE_URL.rstrip("/") + reverse("follow_up_answer", args=[link_token])
    last_day = timezone.localtime(expires_at, clinic.zone)
    short = message.channel == ContactChannel.SMS
    values = reminders.values_of(patient) | {
        "link": link,
        "valid_until": dateformat.format(last_day, "j M" if short else "j F Y"),
    }
    outgoing = reminders.compose(message, values=values)
    if link not in outgoing.body:
        # A clinic's wording without the link still carries it: the message is for nothing else.
        outgoing = replace(outgoing, body=f"{outgoing.body}\n\n{link}")
    this_link = FollowUp.objects.filter(pk=follow_up.pk, token_hash=token_hash)
    return replace(outgoing, undo=[partial(this_link.update, token_hash=None)])


def settled(message: PatientMessage) -> None:
    follow_up = _follow_up(message)
    if follow_up is None or follow_up.sent_at is not None:
        return
    if message.status == MessageStatus.SENT:
        FollowUp.objects.filter(pk=follow_up.pk).update(sent_at=message.sent_at, last_error="")
    else:
        FollowUp.objects.filter(pk=follow_up.pk).update(last_error=message.reason[:200])
