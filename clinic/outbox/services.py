"""Writes of the outbox, called inside the caller's transaction: a message is owed exactly
when the change it tells of is committed."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from clinic import queueing
from clinic.outbox.models import UNSENT, MessageStatus, PatientMessage


def enqueue(
    *,
    kind: str,
    subject_id: int,
    episode=None,
    patient=None,
    channel: str = "",
    due_at: datetime.datetime | None = None,
) -> PatientMessage:
    """Owe a message about ``subject_id`` to ``patient`` (the episode's patient by default);
    a message of the kind about it still unsent is enough, as a message tells its subject's
    state when it goes. A ``channel`` given fixes it, and one message per channel is owed.
    Due now (the default): it is queued once the transaction commits."""
    waiting = PatientMessage.objects.filter(kind=kind, subject_id=subject_id, status__in=UNSENT)
    if channel:
        waiting = waiting.filter(channel=channel)
    if (found := waiting.first()) is not None:
        return found
    now = timezone.now()
    due_at = due_at or now
    patient_id = patient.pk if patient is not None else episode.patient_id
    fields = {"patient_id": patient_id, "episode": episode, "kind": kind, "subject_id": subject_id, "channel": channel}
    if due_at > now:
        return PatientMessage.objects.create(**fields, due_at=due_at)
    message = PatientMessage.objects.create(**fields, due_at=due_at, status=MessageStatus.QUEUED, queued_at=now)
    transaction.on_commit(lambda: _publish(message.pk))
    return message


def _publish(message_id: int) -> None:
    from clinic.outbox.tasks import send_patient_message

    if not queueing.publish(send_patient_message, message_id):
        # The broker is down: the next dispatch (every minute) claims it again.
        PatientMessage.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(
            status=MessageStatus.PENDING, queued_at=None
        )


def cancel(*, kind: str, subject_id: int, reason: str) -> int:
    """The subject no longer needs its unsent messages of the kind; how many were cancelled."""
    return cancel_all(kinds=[kind], subject_ids=[subject_id], reason=reason)


def cancel_all(*, kinds, subject_ids, reason: str) -> int:
    """Cancel the unsent messages of these kinds about these subjects (ids, or a query of them)."""
    return PatientMessage.objects.filter(kind__in=kinds, subject_id__in=subject_ids, status__in=UNSENT).update(
        status=MessageStatus.CANCELLED, reason=reason[:200]
    )
