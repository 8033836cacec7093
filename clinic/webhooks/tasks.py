"""Background work of webhooks. Tasks take ids and are idempotent; the delivery row records
what is owed, and the sweep (beat, every minute) sends what a lost message left behind and
each retry when its time comes."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from clinic.webhooks import sending, services


@shared_task
def send_webhook_delivery(delivery_id: int) -> bool:
    # No Celery retry: a failed attempt sets the row's next_attempt_at and the sweep sends it then.
    return sending.send(delivery_id=delivery_id)


@shared_task
def sweep_webhook_deliveries() -> int:
    return sending.dispatch_due()


@shared_task(autoretry_for=(OSError, SMTPException), retry_backoff=True, max_retries=8)
def notify_endpoint_disabled(endpoint_id: int) -> bool:
    return services.notify_disabled(endpoint_id=endpoint_id)
