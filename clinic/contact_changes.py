"""Contact details a patient changes through a link (the intake): every write about them.

A new e-mail address or mobile number is held as a ``ContactChange`` and the patient record
keeps the confirmed ones, so reminders, links and handouts still go there, until a front-desk
user or clinician confirms it on the patient page ("confirm" or "keep old"). Meanwhile the
confirmed addresses are told, once, that a change was asked for: no details, no link. The rule
of what is held and who is told is ``clinic.rules.contact_decision``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import audit, messaging, permissions, queueing, rules
from clinic.models import ContactChange, ContactChangeNotice, ContactChangeStatus, Patient, User

CONTACT_FIELDS = ("email", "mobile_phone", "preferred_contact_channel")


def _details(email: str, mobile_phone, channel: str) -> rules.ContactDetails:
    return rules.ContactDetails(email=email or "", mobile_phone=str(mobile_phone or ""), channel=channel)


def propose(
    *, patient: Patient, email: str, mobile_phone: str, channel: str, source: str = "intake"
) -> ContactChange | None:
    """The contact details the patient gave, inside the caller's transaction. Returns the
    change held for confirmation, or None when nothing is held."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    current = _details(patient.email, patient.mobile_phone, patient.preferred_contact_channel)
    decision = rules.contact_decision(current, _details(email, mobile_phone, channel))
    if decision.apply_now:
        patient.preferred_contact_channel = channel
        patient.full_clean()
        patient.save(update_fields=["preferred_contact_channel", "updated_at"])
        audit.record(
            actor=None, action="patient.updated_by_patient", obj=patient, changed_fields=["preferred_contact_channel"]
        )
    if not decision.hold:
        return None
    now = timezone.now()
    patient.contact_changes.filter(status=ContactChangeStatus.PENDING).update(
        status=ContactChangeStatus.REPLACED, decided_at=now
    )
    change = ContactChange(
        patient=patient,
        source=source,
        email=email or "",
        mobile_phone=mobile_phone or "",
        preferred_contact_channel=channel,
        old_email=patient.email,
        old_mobile_phone=patient.mobile_phone,
        old_preferred_contact_channel=patient.preferred_contact_channel,
        proposed_at=now,
        notice_channels=list(decision.tell),
    )
    change.full_clean()
    change.save()
    changed = [name for name, old, new in _pairs(change) if old != new]
    audit.record(actor=None, action="patient.contact_change_requested", obj=change, changed_fields=changed)
    from clinic.tasks import send_contact_change_notice

    queueing.after_commit(send_contact_change_notice, change.pk)
    return change


def _pairs(change: ContactChange) -> list[tuple[str, str, str]]:
    return [
        ("email", change.old_email, change.email),
        ("mobile_phone", str(change.old_mobile_phone or ""), str(change.mobile_phone or "")),
        ("preferred_contact_channel", change.old_preferred_contact_channel, change.preferred_contact_channel),
    ]


def _decide(*, actor: User, change: ContactChange, status: ContactChangeStatus) -> ContactChange:
    if not permissions.can_change_patient(actor, change.patient):
        raise PermissionDenied
    with transaction.atomic():
        locked = ContactChange.objects.select_for_update().select_related("patient").get(pk=change.pk)
        if locked.status != ContactChangeStatus.PENDING:
            raise ValidationError("This change was already dealt with; the page shows the details now on record.")
        changed = []
        if status == ContactChangeStatus.CONFIRMED:
            patient = Patient.objects.select_for_update().get(pk=locked.patient_id)
            for name in CONTACT_FIELDS:
                if str(getattr(patient, name) or "") != str(getattr(locked, name) or ""):
                    setattr(patient, name, getattr(locked, name))
                    changed.append(name)
            patient.full_clean()
            patient.save()
        locked.status, locked.decided_at, locked.decided_by = status, timezone.now(), actor
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        action = "confirmed" if status == ContactChangeStatus.CONFIRMED else "declined"
        audit.record(actor=actor, action=f"patient.contact_change_{action}", obj=locked, changed_fields=changed)
    return locked


def confirm(*, actor: User, change: ContactChange) -> ContactChange:
    """A front-desk user or clinician checked the new details with the patient: they replace
    the record's, and messages go to them from now on."""
    return _decide(actor=actor, change=change, status=ContactChangeStatus.CONFIRMED)


def keep_old(*, actor: User, change: ContactChange) -> ContactChange:
    """The change is refused; the record keeps the details it had."""
    return _decide(actor=actor, change=change, status=ContactChangeStatus.KEPT_OLD)


@dataclass(frozen=True)
class _ConfirmedAddresses:
    """The addresses on record when the change was asked for: the ones told, whatever the
    record holds by the time the notice goes."""

    email: str
    mobile_phone: str
    preferred_contact_channel: str


def notice_text(change: ContactChange) -> tuple[str, str]:
    clinic = change.patient.clinic
    body = (
        f"{clinic.name}: someone used your form link to ask us to change the e-mail address or mobile "
        "number we hold for you. We keep using this one until our staff have checked the change with you. "
        "If you did not ask for it, please call us"
    )
    body += f" on {clinic.phone.as_national}." if clinic.phone else "."
    return f"{clinic.name}: a change to your contact details", body


def deliver_notice(*, change_id: int) -> bool:
    """Tell the confirmed addresses about the change, once each; True when the notice is done.

    Each address is sent to in its own transaction, so a transient failure (which propagates:
    the task retries) never sends again what already went; a permanent one is recorded on the
    row. Without the patient's consent to messages nothing is sent: the change still waits for
    staff to confirm it.
    """
    while True:
        with transaction.atomic():
            change = (
                ContactChange.objects.select_for_update()
                .select_related("patient__clinic")
                .filter(pk=change_id, notice=ContactChangeNotice.OWED)
                .first()
            )
            if change is None:
                return False
            if not change.patient.contact_consent:
                change.notice = ContactChangeNotice.NOT_SENT
                change.notice_error = "The patient has not agreed to messages."
                change.save(update_fields=["notice", "notice_error"])
                return False
            if not change.notice_channels:
                change.notice = ContactChangeNotice.SENT
                change.save(update_fields=["notice"])
                audit.record(actor=None, action="patient.contact_change_notice_sent", obj=change)
                return True
            subject, body = notice_text(change)
            recipient = _ConfirmedAddresses(
                email=change.old_email,
                mobile_phone=str(change.old_mobile_phone or ""),
                preferred_contact_channel=change.old_preferred_contact_channel,
            )
            try:
                messaging.send_to_patient(
                    patient=recipient, subject=subject, body=body, channel=change.notice_channels[0]
                )
            except messaging.PermanentDeliveryError as error:
                change.notice, change.notice_error = ContactChangeNotice.FAILED, str(error)[:200]
                change.save(update_fields=["notice", "notice_error"])
                return False
            change.notice_channels = change.notice_channels[1:]
            change.save(update_fields=["notice_channels"])


def owed_notices() -> list[int]:
    """Notices whose task message seems lost: the sweep queues them again."""
    stale = timezone.now() - datetime.timedelta(minutes=5)
    return list(
        ContactChange.objects.filter(notice=ContactChangeNotice.OWED, proposed_at__lt=stale).values_list(
            "pk", flat=True
        )
    )
