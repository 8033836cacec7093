"""Reads of the outbox for staff pages, scoped to the user's clinic."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.utils import timezone

from clinic import permissions
from clinic.models import Patient
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.scheduling.models import Reminder, ReminderKind, ReminderStatus

PER_PAGE = 50
# A page's panel shows the failures of the last two weeks and ahead; the list shows them all.
RECENT = datetime.timedelta(days=14)
LABELS = {**dict(MessageKind.choices), **dict(ReminderKind.choices)}


@dataclass(frozen=True)
class FailedMessage:
    patient: Patient
    what: str
    due_at: datetime.datetime
    reason: str


def _failed(*, user, since: datetime.datetime | None = None) -> QuerySet:
    """(kind, patient id, due, reason) of every failed message to a patient of the user's
    clinic, newest first. Reminders still have their own table: both are read in one query."""
    columns = ("kind", "patient_id", "due_at", "reason")
    outbox = PatientMessage.objects.filter(status=MessageStatus.FAILED, patient__in=permissions.scoped_patients(user))
    reminders = Reminder.objects.filter(status=ReminderStatus.FAILED, episode__in=permissions.scoped_episodes(user))
    if since is not None:
        outbox, reminders = outbox.filter(due_at__gte=since), reminders.filter(due_at__gte=since)
    # The parts drop their models' default ordering: SQLite refuses one inside a UNION.
    outbox = outbox.values_list(*columns).order_by()
    reminders = (
        reminders.annotate(patient_id=F("episode__patient_id"), reason=F("error")).values_list(*columns).order_by()
    )
    return outbox.union(reminders, all=True).order_by("-due_at", "kind", "patient_id")


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
