"""Background work of return to running. Tasks take ids and call services; all are idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from running.services import uploads


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=settings.RUN_FILE_PARSE_SOFT_SECONDS,
    time_limit=settings.RUN_FILE_PARSE_HARD_SECONDS,
)
def parse_run_file(run_file_id: int) -> bool:
    return uploads.read_file(run_file_id=run_file_id)


@shared_task
def sweep_run_files(older_than_seconds: int | None = None) -> int:
    """Re-queue files left queued or being read by a lost message or a killed worker."""
    if older_than_seconds is None:
        older_than_seconds = settings.RUN_FILE_REQUEUE_AFTER_SECONDS
    owed = uploads.requeue_stuck(older_than_seconds)
    for run_file_id in owed:
        parse_run_file.delay(run_file_id)
    return len(owed)
