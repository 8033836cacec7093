"""The notice telling a patient's confirmed address that a change of contact details was asked
for, sent through the outbox: one message per address, each to the address on record when the
change was asked for (whatever the record holds by the time it goes), with no details and no
link. The change keeps ``notice`` and ``notice_error`` as the front desk's copy of the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic import audit
from clinic.models import ContactChange, ContactChangeNotice, ContactChannel
from clinic.outbox.clinic_wording import wording_for
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import UNSENT, MessageKind, MessageStatus, PatientMessage, WordingKind
from clinic.outbox.wording import fill

# Said only when the clinic has a phone number on record.
ON_PHONE = " on {clinic_phone}"


@dataclass(frozen=True)
class _ConfirmedAddresses:
    """The addresses on record when the change was asked for: the ones told."""

    email: str
    mobile_phone: str
    preferred_contact_channel: str


def prepare(message: PatientMessage) -> Outgoing | NotOwed:
    change = ContactChange.objects.select_related("patient__clinic").filter(pk=message.subject_id).first()
    if change is None:
        return NotOwed(MessageStatus.CANCELLED, "The contact change is no longer on record.")
    clinic = change.patient.clinic
    values = {"clinic_name": clinic.name, "clinic_phone": clinic.phone.as_national if clinic.phone else ""}
    text = wording_for(clinic=clinic, kind=WordingKind.CONTACT_CHANGE)
    words = text.sms_body if message.channel == ContactChannel.SMS else text.body
    if not clinic.phone:
        words = words.replace(ON_PHONE, "")
    recipient = _ConfirmedAddresses(
        email=change.old_email,
        mobile_phone=str(change.old_mobile_phone or ""),
        preferred_contact_channel=change.old_preferred_contact_channel,
    )
    return Outgoing(subject=fill(text.subject, values), body=fill(words, values), recipient=recipient)


def settled(message: PatientMessage) -> None:
    """The change's copy of the outcome, once every address's message is settled: sent when all
    went, failed as soon as one failed (the failure page lists it), else not sent and why."""
    change = ContactChange.objects.select_for_update().filter(pk=message.subject_id).first()
    if change is None or change.notice != ContactChangeNotice.OWED:
        return
    outcomes = list(
        PatientMessage.objects.filter(kind=MessageKind.CONTACT_CHANGE, subject_id=change.pk).values_list(
            "status", "reason"
        )
    )
    failed = [reason for status, reason in outcomes if status == MessageStatus.FAILED]
    if failed:
        change.notice, change.notice_error = ContactChangeNotice.FAILED, failed[0]
    elif any(status in (*UNSENT, MessageStatus.SENDING) for status, _ in outcomes):
        return
    elif all(status == MessageStatus.SENT for status, _ in outcomes):
        change.notice = ContactChangeNotice.SENT
        audit.record(actor=None, action="patient.contact_change_notice_sent", obj=change)
    else:
        change.notice = ContactChangeNotice.NOT_SENT
        change.notice_error = next(reason for status, reason in outcomes if status != MessageStatus.SENT)
    change.save(update_fields=["notice", "notice_error"])
