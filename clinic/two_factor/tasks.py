"""E-mails about a person's second factor, sent after the change commits."""

from __future__ import annotations

from celery import shared_task

from clinic.two_factor import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_notice(user_id: int, action: str, actor_id: int | None = None) -> bool:
    return services.deliver_notice(user_id=user_id, action=action, actor_id=actor_id)
