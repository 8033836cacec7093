"""Background work of the schedule. Tasks take ids and call services; all are idempotent."""

from __future__ import annotations

from celery import shared_task

from clinic import messaging
from clinic.scheduling import reminders

MAX_BATCHES_PER_RUN = 20


@shared_task(
    autoretry_for=(messaging.TransientDeliveryError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=reminders.MAX_ATTEMPTS,
)
def send_reminder(reminder_id: int) -> bool:
    """Transient failures retry with exponential backoff; the row counts the attempts and is
    marked failed after the last, so the front desk sees it."""
    return reminders.deliver(reminder_id=reminder_id)


@shared_task
def dispatch_reminders() -> int:
    """Every minute: settle interrupted sends, return stuck reminders to pending, then claim and
    queue the due ones."""
    reminders.settle_interrupted()
    reminders.requeue_stuck()
    # A full batch means more are due (after an outage, say): keep claiming, up to a bound, so
    # a backlog drains at the workers' pace rather than one batch a minute.
    claimed = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        batch = reminders.dispatch_due()
        claimed += batch
        if batch < reminders.BATCH:
            break
    return claimed
