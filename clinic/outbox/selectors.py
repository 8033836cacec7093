"""Reads of the outbox for staff pages, scoped to the user's clinic."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone

from clinic import permissions
from clinic.models import Patient
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage

PER_PAGE = 50
# A page's panel shows the failures of the last two weeks and ahead; the list shows them all.
RECENT = datetime.timedelta(days=14)
LABELS = dict(MessageKind.choices)


@dataclass(frozen=True)
class FailedMessage:
    patient: Patient
    what: str
    due_at: datetime.datetime
    reason: str


def _failed(*, user, since: datetime.datetime | None = None) -> QuerySet:
    """(kind, patient id, due, reason) of every failed message to a patient of the user's
    clinic, newest first."""
    rows = PatientMessage.objects.filter(status=MessageStatus.FAILED, patient__in=permissions.scoped_patients(user))
    if since is not None:
        rows = rows.filter(due_at__gte=since)
    return rows.values_list("kind", "patient_id", "due_at", "reason").order_by("-due_at", "kind", "id")


def _rows(rows) -> list[FailedMessage]:
    patients = Patient.objects.in_bulk({row[1] for row in rows})
    return [
        FailedMessage(patient=patients[patient_id], what=LABELS.get(kind, kind), due_at=due_at, reason=reason)
        for kind, patient_id, due_at, reason in rows
    ]


def failed_messages(*, user, page_number) -> Page:
    """One page of the clinic's failed messages to patients."""
    page = Paginator(_failed(user=user), PER_PAGE).get_page(page_number)
    page.object_list = _rows(page.object_list)
    return page


def recent_failed_messages(*, user, limit: int) -> list[FailedMessage]:
    """The latest ``limit`` failed messages of the last two weeks and ahead, for a page's panel."""
    return _rows(list(_failed(user=user, since=timezone.now() - RECENT)[:limit]))
