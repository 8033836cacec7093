"""The clinic's wording of a message (or the shipped default)."""

from __future__ import annotations

from django.db.models import Q

from clinic.scheduling import wording
from clinic.scheduling.models import ReminderTemplate


def wording_for(*, clinic, kind: str, appointment_type_id: int | None = None) -> wording.Wording:
    """The clinic's wording for the kind (for the visit type first, if it has one), else the default."""
    rows = {
        row.appointment_type_id: row
        for row in ReminderTemplate.objects.filter(clinic=clinic, kind=kind).filter(
            Q(appointment_type__isnull=True) | Q(appointment_type_id=appointment_type_id)
        )
    }
    row = rows.get(appointment_type_id) or rows.get(None)
    if row is None:
        return wording.DEFAULTS[kind]
    return wording.Wording(subject=row.subject, body=row.body, sms_body=row.sms_body)
