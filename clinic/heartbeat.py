"""The worker's heartbeat: whether queued background work is being consumed.

Beat queues ``record_worker_heartbeat`` every ``WORKER_HEARTBEAT_EVERY_SECONDS``; the worker
that runs it stamps the one ``WorkerHeartbeat`` row. A stamp older than
``WORKER_STALE_AFTER_SECONDS`` means beat, the broker or every worker is down or stuck.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from clinic.models import WorkerHeartbeat


def record(*, now: datetime.datetime | None = None) -> None:
    WorkerHeartbeat.objects.update_or_create(pk=1, defaults={"ran_at": now or timezone.now()})


def seconds_since_last(*, now: datetime.datetime | None = None) -> float | None:
    """Seconds since a worker last ran the heartbeat; None if none ever has."""
    ran_at = WorkerHeartbeat.objects.filter(pk=1).values_list("ran_at", flat=True).first()
    if ran_at is None:
        return None
    return ((now or timezone.now()) - ran_at).total_seconds()


def is_consuming(seconds: float | None) -> bool:
    return seconds is not None and seconds <= settings.WORKER_STALE_AFTER_SECONDS
