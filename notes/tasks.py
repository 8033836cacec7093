"""Background work of notes. Tasks take ids and call services; all are idempotent."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from notes import discharge_documents, outcome_facts
from notes.models import DischargeDocument
from plans.models import HandoutStatus


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def render_discharge_document(document_id: int) -> bool:
    return discharge_documents.render(document_id=document_id)


@shared_task
def sweep_discharge_documents(older_than_seconds: int | None = None) -> int:
    """Re-queue discharge PDFs left queued or rendering by a lost message or a dead worker."""
    if older_than_seconds is None:
        older_than_seconds = settings.HANDOUT_REQUEUE_AFTER_SECONDS
    stale = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    owed = list(
        DischargeDocument.objects.filter(
            status__in=[HandoutStatus.QUEUED, HandoutStatus.RENDERING], updated_at__lt=stale
        ).values_list("pk", flat=True)
    )
    for document_id in owed:
        render_discharge_document.delay(document_id)
    return len(owed)


@shared_task
def refresh_clinic_outcomes(clinic_id: int) -> int:
    return outcome_facts.refresh_clinic(clinic_id)
