"""Background work of the outbox. Tasks take ids and call the dispatcher; all are idempotent."""

from __future__ import annotations

from celery import shared_task

from clinic import messaging
from clinic.outbox import dispatch

MAX_BATCHES_PER_RUN = 20


@shared_task(
    autoretry_for=(messaging.TransientDeliveryError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=dispatch.MAX_ATTEMPTS,
)
def send_patient_message(message_id: int) -> bool:
    """Transient failures retry with exponential backoff; the row counts the attempts and is
    marked failed after the last, so the front desk sees it."""
    return dispatch.deliver(message_id=message_id)


@shared_task
def dispatch_patient_messages() -> int:
    """Every minute: settle interrupted sends, return stuck messages to pending, then claim and
    queue the due ones."""
    dispatch.settle_interrupted()
    dispatch.requeue_stuck()
    # A full batch means more are due (after an outage, say): keep claiming, up to a bound, so
    # a backlog drains at the workers' pace rather than one batch a minute.
    claimed = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        batch = dispatch.dispatch_due()
        claimed += batch
        if batch < dispatch.BATCH:
            break
    return claimed
