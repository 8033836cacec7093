"""Background work of the intake. Tasks take ids and call services; all are idempotent."""

from __future__ import annotations

from celery import shared_task

from intake import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def notify_red_flags(red_flag_ids: list[int]) -> int:
    return services.notify_red_flags(red_flag_ids=red_flag_ids)


@shared_task
def sweep_intake_messages() -> int:
    """Re-queue red-flag alerts to clinicians that a lost broker message left owed (intake links
    to patients go through the outbox)."""
    flags = services.owed_red_flag_alerts()
    if flags:
        notify_red_flags.delay(flags)
    return len(flags)
