"""Background work of the intake. Tasks take ids and call services; all are idempotent."""

from __future__ import annotations

from celery import shared_task

from intake import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def deliver_invitation(invitation_id: int) -> bool:
    return services.deliver_invitation(invitation_id=invitation_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def notify_red_flags(red_flag_ids: list[int]) -> int:
    return services.notify_red_flags(red_flag_ids=red_flag_ids)


@shared_task
def sweep_intake_messages() -> int:
    """Re-queue invitation messages and red-flag alerts that a lost broker message left owed."""
    owed = services.owed_invitations()
    for invitation_id in owed:
        deliver_invitation.delay(invitation_id)
    flags = services.owed_red_flag_alerts()
    if flags:
        notify_red_flags.delay(flags)
    return len(owed) + len(flags)
