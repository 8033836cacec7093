"""Background work of plans. Tasks take ids and call services; all are idempotent."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from plans import handouts
from plans.models import Handout, HandoutStatus


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def render_handout(handout_id: int) -> bool:
    return handouts.render(handout_id=handout_id)


@shared_task
def sweep_handouts(older_than_seconds: int | None = None) -> int:
    """Re-queue handouts left queued or rendering by a lost message or a dead worker.

    ``older_than_seconds`` (by default ``HANDOUT_REQUEUE_AFTER_SECONDS``) should stay well above
    the longest render, or a slow render is queued a second time (harmless, as rendering is
    idempotent, but wasted work).
    """
    if older_than_seconds is None:
        older_than_seconds = settings.HANDOUT_REQUEUE_AFTER_SECONDS
    stale = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    owed = list(
        Handout.objects.filter(
            status__in=[HandoutStatus.QUEUED, HandoutStatus.RENDERING], updated_at__lt=stale
        ).values_list("pk", flat=True)
    )
    for handout_id in owed:
        render_handout.delay(handout_id)
    return len(owed)
