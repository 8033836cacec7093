"""The words a clinic sends for a kind of message: its own, else the shipped default."""

from __future__ import annotations

from django.db.models import Q

from clinic.outbox import wording
from clinic.outbox.models import MessageWording


def wording_for(*, clinic, kind: str, appointment_type_id: int | None = None) -> wording.Wording:
    """The clinic's wording for the kind (for the visit type first, if it has one), else the default."""
    rows = {
        row.appointment_type_id: row
        for row in MessageWording.objects.filter(clinic=clinic, kind=kind).filter(
            Q(appointment_type__isnull=True) | Q(appointment_type_id=appointment_type_id)
        )
    }
    row = rows.get(appointment_type_id) or rows.get(None)
    if row is None:
        return wording.DEFAULTS[kind]
    return wording.Wording(subject=row.subject, body=row.body, sms_body=row.sms_body)
