"""Sending the outbox's messages: claimed when due, sent at most once.

The dispatcher claims due rows with SELECT ... FOR UPDATE SKIP LOCKED (so two beat processes
never claim the same row). A send locks the row, checks it is still owed (``rules`` for
consent and the opt-out; the kind's ``obsolete`` and ``prepare`` for its subject; ``rules``
again for quiet hours), composes the message and marks the row SENDING in one transaction;
only then, outside any transaction, is the message handed to the provider, and the outcome is
recorded in a second one. A message
delivered twice finds the row SENDING or SENT and sends nothing. A worker that dies between
the provider accepting the message and recording it leaves the row SENDING;
``settle_interrupted`` marks such rows FAILED ("may not have arrived") for the front desk
instead of sending again: a missed message can be made good by a phone call, a duplicate
cannot be taken back. Anything the message carries that must work when it arrives (a link's
stored hash) is therefore committed before it is sent.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic import messaging, queueing
from clinic.outbox import kinds, rules
from clinic.outbox.models import UNSENT, MessageStatus, PatientMessage

BATCH = 500
# Attempts after transient failures (connection refused, provider 5xx) before the row is
# marked failed for the front desk; Celery's exponential backoff spaces them out.
MAX_ATTEMPTS = 6
INTERRUPTED = "Sending was interrupted; the message may not have arrived."


@dataclass(frozen=True)
class Outgoing:
    """What a kind's ``prepare`` composed. ``undo`` takes back what was stored for this message
    alone (a link's hash): run when the provider refused it, as no message carries the link.
    ``recipient`` (anything with ``email``, ``mobile_phone`` and ``preferred_contact_channel``)
    replaces the patient record's addresses: a contact-change notice goes to the addresses
    confirmed when the change was asked for, whatever the record holds by then."""

    subject: str
    body: str
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)
    undo: list[Callable[[], object]] = field(default_factory=list)
    recipient: object | None = None


@dataclass(frozen=True)
class NotOwed:
    status: str
    reason: str


@dataclass(frozen=True)
class _Send:
    patient: object
    channel: str
    outgoing: Outgoing


# --- Claiming, re-queueing and settling what a dead worker left ---------------------------------


def dispatch_due(*, now: datetime.datetime | None = None) -> int:
    """Claim due messages and queue their sends; returns how many were claimed."""
    from clinic.outbox.tasks import send_patient_message

    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            PatientMessage.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.PENDING, due_at__lte=now)
            .values_list("pk", flat=True)[:BATCH]
        )
        PatientMessage.objects.filter(pk__in=claimed).update(status=MessageStatus.QUEUED, queued_at=now)

        def publish() -> None:
            for position, pk in enumerate(claimed):
                if not queueing.publish(send_patient_message, pk):
                    # The claim is committed, so the sends not yet published go back to pending
                    # for the next dispatch instead of waiting in "queued" for requeue_stuck.
                    PatientMessage.objects.filter(pk__in=claimed[position:], status=MessageStatus.QUEUED).update(
                        status=MessageStatus.PENDING, queued_at=None
                    )
                    return

        transaction.on_commit(publish)
    return len(claimed)


def requeue_stuck(*, older_than: datetime.timedelta | None = None) -> int:
    """Queued rows whose task never ran (broker down, worker lost) go back to pending, after the
    clinic-wide ``OUTBOX_REQUEUE_AFTER_SECONDS`` unless ``older_than`` is given."""
    if older_than is None:
        older_than = datetime.timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS)
    stale = timezone.now() - older_than
    return PatientMessage.objects.filter(status=MessageStatus.QUEUED, queued_at__lt=stale).update(
        status=MessageStatus.PENDING
    )


def settle_interrupted(*, older_than: datetime.timedelta | None = None) -> int:
    """Rows left SENDING by a worker that died mid-send are failed, never sent again: the
    provider may already have delivered the message. After ``OUTBOX_INTERRUPTED_AFTER_SECONDS``
    unless ``older_than`` is given."""
    if older_than is None:
        older_than = datetime.timedelta(seconds=settings.OUTBOX_INTERRUPTED_AFTER_SECONDS)
    stale = timezone.now() - older_than
    settled = 0
    with transaction.atomic():
        for message in PatientMessage.objects.select_for_update(skip_locked=True).filter(
            status=MessageStatus.SENDING, sending_at__lt=stale
        ):
            _settle(message, MessageStatus.FAILED, INTERRUPTED)
            settled += 1
    return settled


# --- Sending ------------------------------------------------------------------------------------


def _settle(message: PatientMessage, status: str, reason: str = "", **fields) -> None:
    message.status, message.reason = status, reason[:200]
    for name, value in fields.items():
        setattr(message, name, value)
    message.save(update_fields=["status", "reason", "updated_at", *fields])
    settled = getattr(kinds.module(message.kind), "settled", None)
    if settled is not None:
        settled(message)


def _prepare(message_id: int) -> _Send | None:
    """Lock the row; settle it if no longer owed, else compose the message and mark it SENDING."""
    with transaction.atomic():
        message = (
            PatientMessage.objects.select_for_update(of=("self",))
            .select_related("patient__clinic")
            .filter(pk=message_id)
            .first()
        )
        # Not before it is due: a message moved later (its visit moved) while its send was queued.
        if message is None or message.status not in UNSENT or message.due_at > timezone.now():
            return None
        patient = message.patient
        clinic = patient.clinic
        now = timezone.now()
        refused = rules.refusal(
            kind=message.kind, consent=patient.contact_consent, opted_out=patient.reminders_opted_out_at is not None
        )
        if refused is not None:
            _settle(message, MessageStatus.SKIPPED, refused.reason)
            return None
        kind = kinds.module(message.kind)
        # Whether the subject still wants it comes before quiet hours: a reminder of a visit
        # cancelled at night is settled at once, not held until the morning.
        obsolete = getattr(kind, "obsolete", None)
        gone = obsolete(message) if obsolete is not None else None
        if gone is not None:
            _settle(message, gone.status, gone.reason)
            return None
        deadline = getattr(kind, "deadline", None)
        held = rules.timing(
            kind=message.kind,
            now=now,
            clock=rules.Clock(start=clinic.quiet_hours_start, end=clinic.quiet_hours_end, zone=clinic.zone),
            latest=deadline(message) if deadline is not None else None,
        )
        if isinstance(held, rules.Skip):
            _settle(message, MessageStatus.SKIPPED, held.reason)
            return None
        if isinstance(held, rules.Wait):
            message.status, message.due_at, message.queued_at = MessageStatus.PENDING, held.until, None
            message.save(update_fields=["status", "due_at", "queued_at", "updated_at"])
            return None
        # A channel fixed when the message was owed, or by its first attempt, stays; else the
        # patient's preferred one now. The kind's prepare may still fix it (an intake link).
        message.channel = message.channel or patient.preferred_contact_channel
        prepared = kind.prepare(message)
        if isinstance(prepared, NotOwed):
            _settle(message, prepared.status, prepared.reason)
            return None
        message.status, message.sending_at = MessageStatus.SENDING, timezone.now()
        message.attempts += 1
        message.save(update_fields=["status", "sending_at", "attempts", "channel", "updated_at"])
    return _Send(patient=prepared.recipient or patient, channel=message.channel, outgoing=prepared)


def _after_send(message_id: int, status: str, reason: str = "", **fields) -> None:
    with transaction.atomic():
        message = (
            PatientMessage.objects.select_for_update()
            .filter(pk=message_id, status=MessageStatus.SENDING)
            .select_related("patient__clinic")
            .first()
        )
        if message is None:
            return
        if status == MessageStatus.QUEUED:
            message.status, message.reason, message.queued_at = status, reason[:200], timezone.now()
            message.save(update_fields=["status", "reason", "queued_at", "updated_at"])
            return
        _settle(message, status, reason, **fields)


def _discard(outgoing: Outgoing) -> None:
    with transaction.atomic():
        for undo in outgoing.undo:
            undo()


def deliver(*, message_id: int) -> bool:
    """Send one message at most once; False when nothing was sent.

    Raises ``messaging.TransientDeliveryError`` when the provider could not be reached and
    another attempt is allowed (the row goes back to queued, the task retries with backoff).
    """
    send = _prepare(message_id)
    if send is None:
        return False
    outgoing = send.outgoing
    try:
        messaging.send_to_patient(
            patient=send.patient,
            channel=send.channel,
            subject=outgoing.subject,
            body=outgoing.body,
            attachments=outgoing.attachments,
        )
    except messaging.TransientDeliveryError as error:
        _discard(outgoing)
        attempts = PatientMessage.objects.values_list("attempts", flat=True).get(pk=message_id)
        if attempts >= MAX_ATTEMPTS:
            _after_send(message_id, MessageStatus.FAILED, f"Gave up after {attempts} attempts: {error}")
            return False
        _after_send(message_id, MessageStatus.QUEUED, str(error))
        raise
    except messaging.PermanentDeliveryError as error:
        _discard(outgoing)
        _after_send(message_id, MessageStatus.FAILED, str(error) or "Refused by the provider.")
        return False
    except Exception as error:
        # Not a delivery error the messaging module knows: whether it went out is unknown, so
        # it is not tried again; the front desk sees it at once. Only the class name is kept,
        # as the text of an unknown error may quote the address.
        _after_send(message_id, MessageStatus.FAILED, f"Unexpected error ({type(error).__name__}).")
        raise
    _after_send(message_id, MessageStatus.SENT, sent_at=timezone.now())
    return True
