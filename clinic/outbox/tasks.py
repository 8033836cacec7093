"""Background work of the outbox. Tasks take ids and call the dispatcher; all are idempotent."""

from __future__ import annotations

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from clinic import messaging
from clinic.outbox import dispatch

MAX_BATCHES_PER_RUN = 20
RETRY_BACKOFF_MAX = 600


@shared_task(
    autoretry_for=(messaging.TransientDeliveryError,),
    retry_backoff=True,
    retry_backoff_max=RETRY_BACKOFF_MAX,
    max_retries=dispatch.MAX_ATTEMPTS,
)
def send_patient_message(message_id: int) -> bool:
    """Transient failures retry with exponential backoff; the row counts the attempts and is
    marked failed after the last, so the front desk sees it."""
    return dispatch.deliver(message_id=message_id)


@shared_task(bind=True, max_retries=dispatch.MAX_ATTEMPTS)
def send_patient_messages(self, message_ids: list[int]) -> int:
    """A batch of the dispatcher's sends; how many went. Those that met a transient failure are
    tried again, alone in the retried task, with the same exponential backoff as a single send;
    an unexpected error (its message failed) is raised once the others are recorded."""
    delivered = dispatch.deliver_many(message_ids)
    if delivered.unexpected is not None:
        # The messages still to try again stay queued, and requeue_stuck owes them again.
        raise delivered.unexpected
    if delivered.again:
        countdown = get_exponential_backoff_interval(
            factor=1, retries=self.request.retries, maximum=RETRY_BACKOFF_MAX, full_jitter=True
        )
        raise self.retry(args=(sorted(delivered.again),), countdown=countdown, exc=next(iter(delivered.again.values())))
    return len(delivered.sent)


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
