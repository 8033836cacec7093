"""Background work of the clinic core. Tasks take ids and call services."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.core.management import call_command

from clinic import account_notices, heartbeat, services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_staff_invitation(user_id: int) -> bool:
    return services.deliver_staff_invitation(user_id=user_id)


@shared_task
def sweep_staff_invitations() -> int:
    """Re-queue invitations whose message was lost; the user row says what is owed."""
    owed = services.owed_staff_invitations(older_than=datetime.timedelta(minutes=5))
    for user_id in owed:
        send_staff_invitation.delay(user_id)
    return len(owed)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_account_notice(notice_id: int) -> bool:
    return account_notices.deliver(notice_id=notice_id)


@shared_task
def sweep_account_notices() -> int:
    """Re-queue account notices whose message was lost; the notice row says what is owed."""
    owed = account_notices.owed(older_than=datetime.timedelta(minutes=5))
    for notice_id in owed:
        send_account_notice.delay(notice_id)
    return len(owed)


@shared_task
def clear_expired_sessions() -> None:
    call_command("clearsessions")


@shared_task
def record_worker_heartbeat() -> None:
    heartbeat.record()
