"""The words a clinic sends for a kind of message: its own, else the shipped default."""

from __future__ import annotations

from clinic.outbox import batch, wording
from clinic.outbox.models import MessageWording


def wording_for(*, clinic, kind: str, appointment_type_id: int | None = None) -> wording.Wording:
    """The clinic's wording for the kind (for the visit type first, if it has one), else the default."""
    rows = batch.once(("wordings", clinic.pk), lambda: _wordings(clinic))
    row = rows.get((kind, appointment_type_id)) or rows.get((kind, None))
    if row is None:
        return wording.DEFAULTS[kind]
    return wording.Wording(subject=row.subject, body=row.body, sms_body=row.sms_body)


def _wordings(clinic) -> dict[tuple[str, int | None], MessageWording]:
    # Every kind at once: a clinic has a handful of rows, and a batch of messages reads them once.
    return {(row.kind, row.appointment_type_id): row for row in MessageWording.objects.filter(clinic=clinic)}
