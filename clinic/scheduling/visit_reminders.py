"""Visit reminders, sent through the outbox: owed when a visit is booked (the clinic's first
and second reminder, so many hours before it, outside quiet hours), moved with it, cancelled
with it. Each carries links to confirm or cancel the visit.

``sync`` is called inside the transaction that changes the visit; ``prepare`` when a
reminder is about to go, under its row lock.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from clinic import thresholds
from clinic.outbox import batch, reminders, services
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import UNSENT, VISIT_REMINDERS, MessageKind, MessageStatus, PatientMessage
from clinic.scheduling.models import Appointment, AppointmentStatus

NOT_BOOKED = "The visit is no longer booked."


def _schedule(appointment: Appointment) -> dict[str, datetime.datetime]:
    clinic = appointment.episode.patient.clinic
    limits = thresholds.for_clinic(clinic)
    wanted = {MessageKind.FIRST: limits["reminder_first_hours"], MessageKind.SECOND: limits["reminder_second_hours"]}
    return {
        kind: reminders.outside_quiet_hours(
            clinic, appointment.starts_at - datetime.timedelta(hours=float(hours)), appointment.starts_at
        )
        for kind, hours in wanted.items()
        if hours > 0
    }


def of_visit(appointment: Appointment):
    """The visit's reminders, oldest first."""
    return PatientMessage.objects.filter(kind__in=VISIT_REMINDERS, subject_id=appointment.pk).order_by("id")


def sync(appointment: Appointment) -> None:
    """Owe, move or cancel the visit's reminders to match it.

    A reminder already sent (or settled) for the visit's current time is left alone, so a
    status change back to booked never sends it twice; moving the visit owes a new one.
    """
    if appointment.status != AppointmentStatus.BOOKED:
        services.cancel_all(kinds=VISIT_REMINDERS, subject_ids=[appointment.pk], reason=NOT_BOOKED)
        return
    # The latest message of each kind speaks for it.
    latest = {row.kind: row for row in of_visit(appointment).select_for_update()}
    now = timezone.now()
    schedule = _schedule(appointment)
    # Moved so close that several reminders are already due: the one nearest the visit is enough.
    overdue = sorted((kind for kind, due_at in schedule.items() if due_at <= now), key=schedule.get)
    for kind, due_at in schedule.items():
        row = latest.get(kind)
        covered = kind in overdue[:-1]
        settled = row is not None and row.status not in (*UNSENT, MessageStatus.CANCELLED)
        if settled and row.due_at == due_at:
            continue  # already sent (or settled) for the visit's current time
        if row is None or settled:
            # None yet, or the last one was for the visit's earlier time: this time owes its own.
            if (row is None and due_at <= now) or covered:
                continue  # booked too late for this reminder, or a later one covers the visit
            services.enqueue(kind=kind, episode=appointment.episode, subject_id=appointment.pk, due_at=due_at)
        elif covered:
            PatientMessage.objects.filter(pk=row.pk).update(
                due_at=due_at, status=MessageStatus.CANCELLED, reason="A later reminder covers the visit."
            )
        else:
            PatientMessage.objects.filter(pk=row.pk).update(
                due_at=due_at, status=MessageStatus.PENDING, queued_at=None, reason=""
            )


def _visit(message: PatientMessage) -> Appointment | None:
    return batch.once(
        ("visit", message.subject_id),
        lambda: Appointment.objects.select_related("clinician").filter(pk=message.subject_id).first(),
    )


def load(messages: list[PatientMessage]) -> None:
    """The visits of a batch's reminders in one query (None for a visit since deleted)."""
    ids = {message.subject_id for message in messages}
    found = Appointment.objects.select_related("clinician").in_bulk(ids)
    batch.remember({("visit", pk): found.get(pk) for pk in ids})


def _visit_types(clinic) -> dict[str, int]:
    """The clinic's visit type for each kind of visit, whose own wording a reminder may use."""
    return dict(clinic.appointment_types.values_list("kind", "pk"))


def obsolete(message: PatientMessage) -> NotOwed | None:
    visit = _visit(message)
    if visit is None or visit.status != AppointmentStatus.BOOKED:
        return NotOwed(MessageStatus.CANCELLED, NOT_BOOKED)
    if visit.starts_at <= timezone.now():
        return NotOwed(MessageStatus.SKIPPED, "The visit had already started.")
    return None


def deadline(message: PatientMessage) -> datetime.datetime:
    """Quiet hours hold a visit reminder only until the visit."""
    return _visit(message).starts_at


def prepare(message: PatientMessage) -> Outgoing:
    visit = _visit(message)
    patient = message.patient
    clinic = patient.clinic
    with timezone.override(clinic.zone):
        start = timezone.localtime(visit.starts_at)
    values = reminders.values_of(patient) | {
        "visit_day": f"{start:%A} {start.day} {start:%B}",
        "visit_time": f"{start:%H:%M}",
        "clinician": visit.clinician.full_name,
        "visit_type": visit.get_kind_display().lower(),
    }
    return reminders.compose(
        message,
        values=values,
        visit_starts_at=visit.starts_at,
        appointment_type_id=batch.once(("visit_types", clinic.pk), lambda: _visit_types(clinic)).get(visit.kind),
    )
