"""The Celery app: broker from settings (Redis or the filesystem transport), JSON only.

Tasks acknowledge late so a worker that dies mid-task leaves the message for another
worker; every task is idempotent and the database row records what is still to do.
"""

import os

from celery import Celery, signals

from clinic.log_redaction import protect_every_handler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_default_retry_delay=30,
    broker_connection_retry_on_startup=True,
)
app.autodiscover_tasks()


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _redact_patient_links(**kwargs):
    """The worker replaces the root logger's handlers with its own: they get the filter that
    keeps patient-link tokens out of the log (settings.LOGGING gives it to Django's)."""
    protect_every_handler()
