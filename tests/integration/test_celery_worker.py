"""A real Celery worker on the real Redis broker runs work queued in a committed transaction."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connections, transaction

from clinic import services
from clinic.celery import app
from clinic.models import User
from clinic.permissions import Role


@pytest.fixture
def redis_worker(settings):
    """A worker thread consuming from the configured broker, with eager mode off."""
    assert app.conf.broker_url.startswith("redis://"), app.conf.broker_url
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.control.purge()
    # The worker thread opens its own database connection; closing it after each task lets
    # the test database be dropped at the end of the run.
    task_postrun.connect(_close_connections, dispatch_uid="test-worker-close-db")
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        task_postrun.disconnect(dispatch_uid="test-worker-close-db")
        app.conf.task_always_eager = previous


def _close_connections(**kwargs) -> None:
    connections.close_all()


def _wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_invitation_queued_on_commit_is_sent_by_worker(redis_worker, clinic_admin):
    with transaction.atomic():
        staff = services.staff_create(
            actor=clinic_admin, email="new.physio@example.test", full_name="New Physio", roles=[Role.CLINICIAN]
        )
    assert _wait_for(lambda: User.objects.get(pk=staff.pk).invitation_sent_at is not None)
    assert [message.to for message in mail.outbox] == [["new.physio@example.test"]]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_work_of_a_rolled_back_transaction_is_never_queued(redis_worker, clinic_admin):
    class Abort(Exception):
        pass

    def create_then_roll_back():
        with transaction.atomic():
            services.staff_create(
                actor=clinic_admin, email="never@example.test", full_name="Never Saved", roles=[Role.FRONT_DESK]
            )
            raise Abort

    with pytest.raises(Abort):
        create_then_roll_back()
    # A committed invitation queued afterwards proves the worker was running all along.
    with transaction.atomic():
        later = services.staff_create(
            actor=clinic_admin, email="later@example.test", full_name="Later", roles=[Role.FRONT_DESK]
        )
    assert _wait_for(lambda: User.objects.get(pk=later.pk).invitation_sent_at is not None)
    assert [message.to for message in mail.outbox] == [["later@example.test"]]
    assert not User.objects.filter(email="never@example.test").exists()
