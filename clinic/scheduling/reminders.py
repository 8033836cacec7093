"""Reminders to patients: rows made when something they are about happens (a visit booked,
an intake link sent, a plan signed), moved and cancelled with it, claimed when due and sent
at most once.

Exactly-once in practice: the dispatcher claims due rows with SELECT ... FOR UPDATE SKIP
LOCKED (so two beat processes never claim the same row). A send locks the row, checks it is
still owed and marks it SENDING in one transaction, hands the message to the provider, then
marks it SENT. A message delivered twice finds the row SENDING or SENT and sends nothing. A
worker that dies between the provider accepting the message and the SENT commit leaves the
row SENDING; ``settle_interrupted`` marks such rows FAILED ("may not have arrived") for the
front desk instead of sending again: a missed reminder can be made good by a phone call, a
duplicate cannot be taken back.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from clinic import messaging, queueing, thresholds
from clinic.models import EpisodeStatus
from clinic.outbox import quiet_hours, rules
from clinic.scheduling import reminder_messages
from clinic.scheduling.models import (
    APPOINTMENT_KINDS,
    PLAN_KINDS,
    UNSENT,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
)

BATCH = 500
# Attempts after transient failures (connection refused, provider 5xx) before the row is
# marked failed for the front desk; Celery's exponential backoff spaces them out.
MAX_ATTEMPTS = 6


def _quiet(clinic, due_at: datetime.datetime, latest: datetime.datetime | None = None) -> datetime.datetime:
    return quiet_hours.outside_quiet_hours(
        due_at, start=clinic.quiet_hours_start, end=clinic.quiet_hours_end, zone=clinic.zone, latest=latest
    )


def _days(value) -> datetime.timedelta:
    return datetime.timedelta(days=float(value))


# --- Making, moving and cancelling rows (called inside the caller's transaction) ------------------


def _schedule(appointment: Appointment) -> dict[str, datetime.datetime]:
    clinic = appointment.episode.patient.clinic
    limits = thresholds.for_clinic(clinic)
    wanted = {ReminderKind.FIRST: limits["reminder_first_hours"], ReminderKind.SECOND: limits["reminder_second_hours"]}
    return {
        kind: _quiet(clinic, appointment.starts_at - datetime.timedelta(hours=float(hours)), appointment.starts_at)
        for kind, hours in wanted.items()
        if hours > 0
    }


def sync(appointment: Appointment) -> None:
    """Make, move or cancel the visit's reminders to match it.

    A reminder already sent (or settled) for the visit's current time is left alone, so a
    status change back to booked never sends it twice; moving the visit owes a new one.
    """
    rows = {row.kind: row for row in Reminder.objects.select_for_update().filter(appointment=appointment)}
    if appointment.status != AppointmentStatus.BOOKED:
        Reminder.objects.filter(appointment=appointment, status__in=UNSENT).update(status=ReminderStatus.CANCELLED)
        return
    now = timezone.now()
    schedule = _schedule(appointment)
    # Moved so close that several reminders are already due: the one nearest the visit is enough.
    overdue = sorted((kind for kind, due_at in schedule.items() if due_at <= now), key=schedule.get)
    for kind, due_at in schedule.items():
        row = rows.get(kind)
        if row is None:
            if due_at > now:
                Reminder.objects.create(episode=appointment.episode, appointment=appointment, kind=kind, due_at=due_at)
            continue  # booked too late for this reminder
        if not (row.status in (*UNSENT, ReminderStatus.CANCELLED) or row.due_at != due_at):
            continue
        if kind in overdue[:-1]:
            Reminder.objects.filter(pk=row.pk).update(
                due_at=due_at, status=ReminderStatus.CANCELLED, skip_reason="A later reminder covers the visit."
            )
        else:
            Reminder.objects.filter(pk=row.pk).update(
                due_at=due_at, status=ReminderStatus.PENDING, queued_at=None, error="", skip_reason=""
            )


def intake_link_sent(invitation) -> None:
    """An intake link was (re-)sent: the nudges of earlier links go, one for this link is owed."""
    intake = invitation.intake
    Reminder.objects.filter(invitation__intake=intake, kind=ReminderKind.INTAKE_NUDGE, status__in=UNSENT).update(
        status=ReminderStatus.CANCELLED, skip_reason="A new intake link was sent."
    )
    clinic = intake.episode.patient.clinic
    days = thresholds.for_clinic(clinic)["intake_nudge_days"]
    if days <= 0:
        return
    due_at = _quiet(clinic, invitation.created_at + _days(days), invitation.expires_at)
    if due_at < invitation.expires_at:
        Reminder.objects.create(
            episode=intake.episode, invitation=invitation, kind=ReminderKind.INTAKE_NUDGE, due_at=due_at
        )


def intake_nudges_cancel(*, intake=None, invitation=None, reason: str) -> None:
    """The intake was submitted or its link revoked: nothing is left to nudge about."""
    rows = Reminder.objects.filter(kind=ReminderKind.INTAKE_NUDGE, status__in=UNSENT)
    rows = rows.filter(invitation=invitation) if invitation is not None else rows.filter(invitation__intake=intake)
    rows.update(status=ReminderStatus.CANCELLED, skip_reason=reason)


def plan_signed(version) -> None:
    """A plan version was signed: a home-program check-in and a re-assessment reminder are owed;
    those of the plan's earlier versions are superseded."""
    plan = version.plan
    Reminder.objects.filter(plan_version__plan=plan, kind__in=PLAN_KINDS, status__in=UNSENT).exclude(
        plan_version=version
    ).update(status=ReminderStatus.CANCELLED, skip_reason="A newer plan version was signed.")
    clinic = plan.episode.patient.clinic
    limits = thresholds.for_clinic(clinic)
    now = timezone.now()
    wanted = {}
    if limits["check_in_days"] > 0:
        wanted[ReminderKind.CHECK_IN] = _quiet(clinic, version.signed_at + _days(limits["check_in_days"]))
    if limits["reassessment_notice_days"] > 0:
        ends = reminder_messages.plan_ends_at(version)
        wanted[ReminderKind.REASSESSMENT] = _quiet(clinic, ends - _days(limits["reassessment_notice_days"]), ends)
    for kind, due_at in wanted.items():
        if due_at > now:
            Reminder.objects.create(episode=plan.episode, plan_version=version, kind=kind, due_at=due_at)


# --- Claiming and re-queueing ---------------------------------------------------------------------


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
                if not queueing.publish(send_reminder, pk):
                    # The claim is committed, so the sends not yet published go back to pending
                    # for the next dispatch instead of waiting in "queued" for requeue_stuck.
                    Reminder.objects.filter(pk__in=claimed[position:], status=ReminderStatus.QUEUED).update(
                        status=ReminderStatus.PENDING, queued_at=None
                    )
                    return

        transaction.on_commit(publish)
    return len(claimed)


def requeue_stuck(*, older_than: datetime.timedelta = datetime.timedelta(minutes=10)) -> int:
    """Queued rows whose message never ran (broker down, worker lost) go back to pending."""
    stale = timezone.now() - older_than
    return Reminder.objects.filter(status=ReminderStatus.QUEUED, queued_at__lt=stale).update(
        status=ReminderStatus.PENDING
    )


def settle_interrupted(*, older_than: datetime.timedelta = datetime.timedelta(minutes=10)) -> int:
    """Rows left SENDING by a worker that died mid-send are failed, never sent again: the
    provider may already have delivered the message."""
    stale = timezone.now() - older_than
    return Reminder.objects.filter(status=ReminderStatus.SENDING, sending_at__lt=stale).update(
        status=ReminderStatus.FAILED,
        error="Sending was interrupted; the message may not have arrived.",
    )


# --- Sending ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    patient: object
    channel: str
    subject: str
    body: str


def _settle(reminder: Reminder, status: str, *, skip_reason: str = "") -> None:
    reminder.status = status
    reminder.skip_reason = skip_reason
    reminder.save(update_fields=["status", "skip_reason"])


def _not_owed(reminder: Reminder) -> tuple[str, str] | None:
    """(status, reason) when the reminder is no longer wanted, checked at the moment of sending."""
    patient = reminder.episode.patient
    refused = rules.refusal(
        kind=reminder.kind, consent=patient.contact_consent, opted_out=patient.reminders_opted_out_at is not None
    )
    if refused is not None:
        return ReminderStatus.SKIPPED, refused.reason
    if reminder.kind in APPOINTMENT_KINDS:
        appointment = reminder.appointment
        if appointment.status != AppointmentStatus.BOOKED:
            return ReminderStatus.CANCELLED, "The visit is no longer booked."
        if appointment.starts_at <= timezone.now():
            return ReminderStatus.SKIPPED, "The visit had already started."
        return None
    if reminder.episode.status != EpisodeStatus.OPEN:
        return ReminderStatus.CANCELLED, "The episode of care is closed."
    if reminder.kind == ReminderKind.INTAKE_NUDGE:
        invitation = reminder.invitation
        if invitation.intake.is_submitted:
            return ReminderStatus.CANCELLED, "The intake is submitted."
        if not invitation.is_live or invitation.sent_at is None:
            return ReminderStatus.CANCELLED, "The intake link is no longer live."
    elif reminder.kind == ReminderKind.CHECK_IN:
        if reminder.plan_version.check_ins.exists():
            return ReminderStatus.SKIPPED, "The patient is already logging the home program."
    elif reminder.kind == ReminderKind.REASSESSMENT:
        booked = Appointment.objects.filter(
            episode=reminder.episode,
            kind=AppointmentKind.REASSESSMENT,
            starts_at__gte=reminder.plan_version.signed_at,
            status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED],
        )
        if booked.exists():
            return ReminderStatus.SKIPPED, "A re-assessment is booked."
    return None


def _prepare(reminder_id: int) -> Outgoing | None:
    """Lock the row; settle it if no longer owed, else compose the message and mark it SENDING."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(of=("self",))
            .select_related(
                "episode__patient__clinic",
                "appointment__clinician",
                "invitation__intake",
                "plan_version__plan",
            )
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None or reminder.status not in UNSENT:
            return None
        settled = _not_owed(reminder)
        if settled is not None:
            _settle(reminder, settled[0], skip_reason=settled[1])
            return None
        patient = reminder.episode.patient
        # Rows are placed outside quiet hours when made, but one claimed late (after an outage)
        # may come up at night: it waits for the morning, or is skipped if the visit comes first.
        clinic = patient.clinic
        held = rules.timing(
            kind=reminder.kind,
            now=timezone.now(),
            clock=rules.Clock(start=clinic.quiet_hours_start, end=clinic.quiet_hours_end, zone=clinic.zone),
            latest=reminder.appointment.starts_at if reminder.kind in APPOINTMENT_KINDS else None,
        )
        if isinstance(held, rules.Wait):
            reminder.status, reminder.due_at, reminder.queued_at = ReminderStatus.PENDING, held.until, None
            reminder.save(update_fields=["status", "due_at", "queued_at"])
            return None
        if isinstance(held, rules.Skip):
            _settle(reminder, ReminderStatus.SKIPPED, skip_reason=held.reason)
            return None
        channel = patient.preferred_contact_channel
        subject, body = reminder_messages.compose(reminder, channel=channel)
        reminder.status = ReminderStatus.SENDING
        reminder.sending_at = timezone.now()
        reminder.attempts += 1
        reminder.channel = channel
        reminder.save(update_fields=["status", "sending_at", "attempts", "channel"])
    return Outgoing(patient=patient, channel=channel, subject=subject, body=body)


def _after_send(reminder_id: int, **fields) -> None:
    with transaction.atomic():
        Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING).update(**fields)


def deliver(*, reminder_id: int) -> bool:
    """Send one reminder at most once; False when nothing was sent.

    Raises ``messaging.TransientDeliveryError`` when the provider could not be reached and
    another attempt is allowed (the row goes back to queued, the task retries with backoff).
    """
    outgoing = _prepare(reminder_id)
    if outgoing is None:
        return False
    try:
        messaging.send_to_patient(
            patient=outgoing.patient, channel=outgoing.channel, subject=outgoing.subject, body=outgoing.body
        )
    except messaging.TransientDeliveryError as error:
        attempts = Reminder.objects.values_list("attempts", flat=True).get(pk=reminder_id)
        if attempts >= MAX_ATTEMPTS:
            _after_send(
                reminder_id, status=ReminderStatus.FAILED, error=f"Gave up after {attempts} attempts: {error}"[:200]
            )
            return False
        _after_send(reminder_id, status=ReminderStatus.QUEUED, queued_at=timezone.now(), error=str(error)[:200])
        raise
    except messaging.PermanentDeliveryError as error:
        _after_send(reminder_id, status=ReminderStatus.FAILED, error=(str(error) or "Refused by the provider.")[:200])
        return False
    except Exception as error:
        # Not a delivery error the messaging module knows: whether it went out is unknown, so
        # it is not tried again; the front desk sees it at once. Only the class name is kept,
        # as the text of an unknown error may quote the address.
        _after_send(reminder_id, status=ReminderStatus.FAILED, error=f"Unexpected error ({type(error).__name__}).")
        raise
    _after_send(reminder_id, status=ReminderStatus.SENT, sent_at=timezone.now(), error="")
    return True
