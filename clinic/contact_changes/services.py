"""Contact details a patient changes through a link (the intake): every write about them.

A new e-mail address or mobile number is held as a ``ContactChange`` and the patient record
keeps the confirmed ones, so reminders, links and handouts still go there, until a front-desk
user or clinician confirms it on the patient page ("confirm" or "keep old"). Meanwhile the
confirmed addresses are told, once, that a change was asked for: no details, no link; the
outbox sends one notice per address (``clinic.contact_changes.messages``). The rule of what is
held and who is told is ``clinic.rules.contact_decision``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import audit, permissions, rules
from clinic.models import ContactChange, ContactChangeStatus, Patient, User
from clinic.outbox import services as outbox
from clinic.outbox.models import MessageKind

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
    for channel in change.notice_channels:
        outbox.enqueue(kind=MessageKind.CONTACT_CHANGE, patient=patient, subject_id=change.pk, channel=channel)
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
