"""Writes of a clinic's reminder wording (the clinic admin's page and the Django admin)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from clinic import audit, permissions
from clinic.models import User
from clinic.scheduling.models import ReminderTemplate


def _require_admin(actor: User, clinic) -> None:
    if not (permissions.can_change_clinic_settings(actor) and actor.clinic_id == clinic.pk):
        raise PermissionDenied


def reminder_wording_save(*, actor: User, template: ReminderTemplate) -> ReminderTemplate:
    """Save the clinic's wording of one kind (and visit type); placeholders are checked by
    ``ReminderTemplate.clean``, so an unknown one is a form error naming it."""
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


def reminder_wording_reset(*, actor: User, template: ReminderTemplate) -> None:
    """Back to the shipped default: the clinic's row goes."""
    _require_admin(actor, template.clinic)
    with transaction.atomic():
        audit.record(actor=actor, action="reminder_wording.reset", obj=template)
        template.delete()
