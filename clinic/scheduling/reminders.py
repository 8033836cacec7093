"""Appointment reminders: rows made when a visit is booked, moved with it, cancelled with it,
claimed when due and sent once.

Exactly-once in practice: the dispatcher claims due rows with SELECT ... FOR UPDATE SKIP
LOCKED (so two beat processes never claim the same row), and the send locks the row and
sends only if it is not already sent, so a message delivered twice sends one reminder.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from clinic import messaging, thresholds
from clinic.scheduling.models import Appointment, AppointmentStatus, Reminder, ReminderStatus

logger = logging.getLogger(__name__)

BATCH = 500


def _schedule(appointment: Appointment) -> dict[str, datetime.datetime]:
    limits = thresholds.for_clinic(appointment.episode.patient.clinic)
    wanted = {"first": limits["reminder_first_hours"], "second": limits["reminder_second_hours"]}
    return {
        kind: appointment.starts_at - datetime.timedelta(hours=float(hours))
        for kind, hours in wanted.items()
        if hours > 0
    }


def sync(appointment: Appointment) -> None:
    """Make, move or cancel the visit's unsent reminders to match it (call inside its transaction)."""
    unsent = Reminder.objects.filter(
        appointment=appointment, status__in=[ReminderStatus.PENDING, ReminderStatus.QUEUED]
    )
    if appointment.status != AppointmentStatus.BOOKED:
        unsent.update(status=ReminderStatus.CANCELLED)
        return
    now = timezone.now()
    for kind, due_at in _schedule(appointment).items():
        if due_at <= now and not Reminder.objects.filter(appointment=appointment, kind=kind).exists():
            continue  # booked too late for this reminder
        Reminder.objects.update_or_create(
            appointment=appointment,
            kind=kind,
            defaults={"due_at": due_at, "status": ReminderStatus.PENDING, "queued_at": None},
        )


def dispatch_due(*, now: datetime.datetime | None = None) -> int:
    """Claim due reminders and queue their sends; returns how many were claimed."""
    from clinic.scheduling.tasks import send_reminder

    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderStatus.PENDING, due_at__lte=now)
            .values_list("pk", flat=True)[:BATCH]
        )
        Reminder.objects.filter(pk__in=claimed).update(status=ReminderStatus.QUEUED, queued_at=now)

        def publish() -> None:
            for position, pk in enumerate(claimed):
                try:
                    send_reminder.delay(pk)
                except BrokerUnavailable:
                    # The claim is committed, so the sends not yet published go back to pending
                    # for the next dispatch instead of waiting in "queued" for requeue_stuck.
                    unpublished = claimed[position:]
                    Reminder.objects.filter(pk__in=unpublished, status=ReminderStatus.QUEUED).update(
                        status=ReminderStatus.PENDING, queued_at=None
                    )
                    logger.warning("Broker unreachable: %d claimed reminders returned to pending", len(unpublished))
                    return

        transaction.on_commit(publish)
    return len(claimed)


def requeue_stuck(*, older_than: datetime.timedelta = datetime.timedelta(minutes=10)) -> int:
    """Queued rows whose message never ran (broker down, worker lost) go back to pending."""
    stale = timezone.now() - older_than
    return Reminder.objects.filter(status=ReminderStatus.QUEUED, queued_at__lt=stale).update(
        status=ReminderStatus.PENDING
    )


def deliver(*, reminder_id: int) -> bool:
    """Send one reminder once; False when nothing was owed."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .select_related("appointment__episode__patient__clinic", "appointment__clinician")
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None or reminder.status in (ReminderStatus.SENT, ReminderStatus.CANCELLED):
            return False
        appointment = reminder.appointment
        patient = appointment.episode.patient
        if appointment.status != AppointmentStatus.BOOKED or not patient.contact_consent:
            reminder.status = ReminderStatus.CANCELLED
            reminder.save(update_fields=["status"])
            return False
        clinic = patient.clinic
        start = timezone.localtime(appointment.starts_at, clinic.zone)
        body = (
            f"{clinic.name}: a reminder of your visit on {start:%A %d %B at %H:%M} "
            f"with {appointment.clinician.full_name}."
        )
        if clinic.phone:
            body += f" To change it, call {clinic.phone.as_national}."
        reminder.attempts += 1
        messaging.send_to_patient(patient=patient, subject=f"Reminder: your visit on {start:%d %B}", body=body)
        reminder.status = ReminderStatus.SENT
        reminder.sent_at = timezone.now()
        reminder.save(update_fields=["status", "sent_at", "attempts"])
    return True
