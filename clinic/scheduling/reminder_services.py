"""Writes about reminders other than the visit itself: a patient stopping reminders and the
front desk starting them again, and a clinic's reminder wording."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from clinic import audit, permissions
from clinic.models import Patient, User
from clinic.outbox.models import MessageLink, MessageWording
from clinic.scheduling import services


def reminders_opt_out(*, link: MessageLink) -> Patient:
    """The patient stopped reminders from a reminder's link; later rows are marked, not sent."""
    with transaction.atomic():
        services.use_reminder_link(link)
        patient = Patient.objects.select_for_update().get(pk=link.message.patient_id)
        if patient.reminders_opted_out_at is None:
            patient.reminders_opted_out_at = timezone.now()
            patient.save(update_fields=["reminders_opted_out_at", "updated_at"])
            audit.record(
                actor=None, action="patient.reminders_stopped", obj=patient, changed_fields=["reminders_opted_out_at"]
            )
    return patient


def reminders_resume(*, actor: User, patient: Patient) -> Patient:
    """The front desk clears the opt-out, when the patient asks for reminders again."""
    if not permissions.can_change_patient(actor, patient):
        raise PermissionDenied
    with transaction.atomic():
        patient.reminders_opted_out_at = None
        patient.save(update_fields=["reminders_opted_out_at", "updated_at"])
        audit.record(
            actor=actor, action="patient.reminders_resumed", obj=patient, changed_fields=["reminders_opted_out_at"]
        )
    return patient


def _require_admin(actor: User, clinic) -> None:
    if not permissions.can_change_clinic_settings(actor, clinic):
        raise PermissionDenied


def reminder_wording_save(*, actor: User, template: MessageWording) -> MessageWording:
    """Save the clinic's wording of one kind (and visit type); placeholders are checked by
    ``MessageWording.clean``, so an unknown one is a form error naming it."""
    _require_admin(actor, template.clinic)
    template.full_clean()
    created = template.pk is None
    with transaction.atomic():
        template.save()
        audit.record(
            actor=actor,
            action="reminder_wording.created" if created else "reminder_wording.changed",
            obj=template,
            changed_fields=["subject", "body", "sms_body"],
        )
    return template


def reminder_wording_reset(*, actor: User, template: MessageWording) -> None:
    """Back to the shipped default: the clinic's row goes."""
    _require_admin(actor, template.clinic)
    with transaction.atomic():
        audit.record(actor=actor, action="reminder_wording.reset", obj=template)
        template.delete()
