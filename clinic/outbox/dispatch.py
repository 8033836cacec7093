"""Sending the outbox's messages: claimed when due, sent at most once.

The dispatcher claims due rows with SELECT ... FOR UPDATE SKIP LOCKED (so two beat processes
never claim the same row) and queues their sends in batches of ``OUTBOX_SEND_BATCH`` ids, one
task each. A batch's send locks its rows, checks each is still owed (``rules`` for consent and the
opt-out; the kind's ``obsolete`` and ``prepare`` for its subject; ``rules`` again for quiet
hours), composes the messages and marks them SENDING in one transaction, reading each
clinic's settings once for the batch (``batch``); only then, outside any transaction, is each
message handed to the provider, and the outcomes are recorded together in a second one. A
message delivered twice finds the row SENDING or SENT and sends nothing. A worker that dies between
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
from clinic.outbox import batch, kinds, rules
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
    from clinic.outbox.tasks import send_patient_messages

    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            PatientMessage.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.PENDING, due_at__lte=now)
            .values_list("pk", flat=True)[:BATCH]
        )
        PatientMessage.objects.filter(pk__in=claimed).update(status=MessageStatus.QUEUED, queued_at=now)

        def publish() -> None:
            size = settings.OUTBOX_SEND_BATCH
            for position in range(0, len(claimed), size):
                if not queueing.publish(send_patient_messages, claimed[position : position + size]):
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


_SETTLED_FIELDS = ("status", "reason", "due_at", "queued_at", "sending_at", "attempts", "channel", "updated_at")


def _update(messages: list[PatientMessage], fields) -> None:
    """Write ``fields`` of the messages with one UPDATE per distinct set of values: a batch's
    rows share their few outcomes and times, so a handful of statements whatever its size
    (``bulk_update`` writes a CASE per field and row, and took most of a batch's time)."""
    groups: dict[tuple, list[int]] = {}
    for message in messages:
        groups.setdefault(tuple(getattr(message, name) for name in fields), []).append(message.pk)
    for values, ids in groups.items():
        PatientMessage.objects.filter(pk__in=ids).update(**dict(zip(fields, values, strict=True)))


def _settle(message: PatientMessage, status: str, reason: str = "", **fields) -> None:
    message.status, message.reason = status, reason[:200]
    for name, value in fields.items():
        setattr(message, name, value)
    message.save(update_fields=["status", "reason", "updated_at", *fields])
    _tell_subject(message)


def _tell_subject(message: PatientMessage) -> None:
    settled = getattr(kinds.module(message.kind), "settled", None)
    if settled is not None:
        settled(message)


def _decide(message: PatientMessage, now: datetime.datetime) -> Outgoing | None:
    """Under the row lock: settle the message in memory if no longer owed (or hold it for quiet
    hours), else compose it and mark it SENDING; the caller writes the rows."""
    patient = message.patient
    clinic = patient.clinic
    refused = rules.refusal(
        kind=message.kind, consent=patient.contact_consent, opted_out=patient.reminders_opted_out_at is not None
    )
    if refused is not None:
        message.status, message.reason = MessageStatus.SKIPPED, refused.reason
        return None
    kind = kinds.module(message.kind)
    # Whether the subject still wants it comes before quiet hours: a reminder of a visit
    # cancelled at night is settled at once, not held until the morning.
    obsolete = getattr(kind, "obsolete", None)
    gone = obsolete(message) if obsolete is not None else None
    if gone is not None:
        message.status, message.reason = gone.status, gone.reason[:200]
        return None
    deadline = getattr(kind, "deadline", None)
    held = rules.timing(
        kind=message.kind,
        now=now,
        clock=rules.Clock(start=clinic.quiet_hours_start, end=clinic.quiet_hours_end, zone=clinic.zone),
        latest=deadline(message) if deadline is not None else None,
    )
    if isinstance(held, rules.Skip):
        message.status, message.reason = MessageStatus.SKIPPED, held.reason
        return None
    if isinstance(held, rules.Wait):
        message.status, message.due_at, message.queued_at = MessageStatus.PENDING, held.until, None
        return None
    # A channel fixed when the message was owed, or by its first attempt, stays; else the
    # patient's preferred one now. The kind's prepare may still fix it (an intake link).
    channel = message.channel
    message.channel = message.channel or patient.preferred_contact_channel
    prepared = kind.prepare(message)
    if isinstance(prepared, NotOwed):
        message.status, message.reason, message.channel = prepared.status, prepared.reason[:200], channel
        return None
    message.status, message.sending_at = MessageStatus.SENDING, now
    message.attempts += 1
    return prepared


def _prepare(message_ids) -> dict[int, tuple[PatientMessage, _Send]]:
    """Lock the rows; settle those no longer owed, compose the others and mark them SENDING,
    in one transaction whose statements do not grow with the batch: a kind reads the subjects
    of all its messages at once (its ``load``), a clinic's settings are read once (``batch``),
    the links the messages carry are inserted together and the rows updated together."""
    sends: dict[int, tuple[PatientMessage, _Send]] = {}
    with transaction.atomic(), batch.preparing() as prepared_batch:
        # In id order, so two workers handed overlapping batches (a redelivery) never deadlock.
        messages = list(
            PatientMessage.objects.select_for_update(of=("self",))
            .select_related("patient__clinic", "episode")
            .filter(pk__in=list(message_ids))
            .order_by("pk")
        )
        now = timezone.now()
        # Not before it is due: a message moved later (its visit moved) while its send was queued.
        owed = [message for message in messages if message.status in UNSENT and message.due_at <= now]
        for kind in {message.kind for message in owed}:
            load = getattr(kinds.module(kind), "load", None)
            if load is not None:
                load([message for message in owed if message.kind == kind])
        for message in owed:
            prepared = _decide(message, now)
            if prepared is not None:
                sends[message.pk] = (
                    message,
                    _Send(patient=prepared.recipient or message.patient, channel=message.channel, outgoing=prepared),
                )
            message.updated_at = now
        batch.write_staged(prepared_batch)
        _update(owed, _SETTLED_FIELDS)
        for message in owed:
            if message.status not in (MessageStatus.SENDING, MessageStatus.PENDING):
                _tell_subject(message)
    return sends


def _record(outcomes: dict[int, tuple[PatientMessage, str, str]]) -> None:
    """Record the sends' outcomes in one update; a row no longer SENDING (settled as
    interrupted meanwhile) is left as it is. QUEUED is a transient failure to try again."""
    if not outcomes:
        return
    with transaction.atomic():
        sending = set(
            PatientMessage.objects.select_for_update()
            .filter(pk__in=list(outcomes), status=MessageStatus.SENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        now = timezone.now()
        recorded = []
        for pk, (message, status, reason) in sorted(outcomes.items()):
            if pk not in sending:
                continue
            message.status, message.reason, message.updated_at = status, reason[:200], now
            if status == MessageStatus.QUEUED:
                message.queued_at = now
            elif status == MessageStatus.SENT:
                # When the batch's outcomes are recorded: after the provider took it by at most
                # the batch's remaining sends, and one time for the batch's single update.
                message.sent_at = now
            recorded.append(message)
        _update(recorded, ("status", "reason", "queued_at", "sent_at", "updated_at"))
        for message in recorded:
            if message.status != MessageStatus.QUEUED:
                _tell_subject(message)


def _discard(outgoing: Outgoing) -> None:
    if not outgoing.undo:
        return
    with transaction.atomic():
        for undo in outgoing.undo:
            undo()


@dataclass
class Delivered:
    """What a batch's sends came to: the ids sent, those to try again after a transient failure
    (with its error), and the first unexpected error (its message failed; the caller raises it)."""

    sent: list[int] = field(default_factory=list)
    again: dict[int, messaging.TransientDeliveryError] = field(default_factory=dict)
    unexpected: Exception | None = None


def deliver_many(message_ids) -> Delivered:
    """Send each message of a batch at most once: prepared together, sent one by one outside
    any transaction, and their outcomes recorded together. A worker that dies between the
    first send and the record leaves the batch's rows SENDING, and ``settle_interrupted``
    fails them ("may not have arrived"): hence small batches (``OUTBOX_SEND_BATCH``)."""
    try:
        prepared = _prepare(message_ids)
    except Exception:
        if len(message_ids) <= 1:
            raise
        # One message the batch could not be prepared for (its subject in a state no kind
        # foresaw) must not hold back the others: each is tried alone, and only its own fails.
        return _one_by_one(message_ids)
    delivered = Delivered()
    outcomes: dict[int, tuple[PatientMessage, str, str]] = {}
    for pk, (message, send) in prepared.items():
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
            if message.attempts >= MAX_ATTEMPTS:
                outcomes[pk] = (message, MessageStatus.FAILED, f"Gave up after {message.attempts} attempts: {error}")
            else:
                outcomes[pk] = (message, MessageStatus.QUEUED, str(error))
                delivered.again[pk] = error
        except messaging.PermanentDeliveryError as error:
            _discard(outgoing)
            outcomes[pk] = (message, MessageStatus.FAILED, str(error) or "Refused by the provider.")
        except Exception as error:
            # Not a delivery error the messaging module knows: whether it went out is unknown, so
            # it is not tried again; the front desk sees it at once. Only the class name is kept,
            # as the text of an unknown error may quote the address.
            outcomes[pk] = (message, MessageStatus.FAILED, f"Unexpected error ({type(error).__name__}).")
            delivered.unexpected = delivered.unexpected or error
        else:
            outcomes[pk] = (message, MessageStatus.SENT, "")
            delivered.sent.append(pk)
    _record(outcomes)
    return delivered


def _one_by_one(message_ids) -> Delivered:
    delivered = Delivered()
    for message_id in message_ids:
        try:
            alone = deliver_many([message_id])
        except Exception as error:
            alone = Delivered(unexpected=error)
        delivered.sent += alone.sent
        delivered.again.update(alone.again)
        delivered.unexpected = delivered.unexpected or alone.unexpected
    return delivered


def deliver(*, message_id: int) -> bool:
    """Send one message at most once; False when nothing was sent.

    Raises ``messaging.TransientDeliveryError`` when the provider could not be reached and
    another attempt is allowed (the row goes back to queued, the task retries with backoff).
    """
    delivered = deliver_many([message_id])
    if delivered.unexpected is not None:
        raise delivered.unexpected
    if message_id in delivered.again:
        raise delivered.again[message_id]
    return message_id in delivered.sent
