"""Work queued after commit: never when the transaction rolls back, and a broker that cannot be
reached never fails the user's request (the row stays owed for its sweep)."""

from __future__ import annotations

import datetime
import logging
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from clinic import queueing
from clinic.outbox import dispatch
from clinic.outbox.tasks import send_patient_message
from clinic.scheduling import services
from clinic.scheduling.models import Appointment


class _Task:
    name = "tests.fake"

    def __init__(self, error: Exception | None = None):
        self.calls: list[tuple] = []
        self.error = error

    def delay(self, *ids):
        if self.error:
            raise self.error
        self.calls.append(ids)


def test_publish_reports_an_unreachable_broker_without_raising(caplog):
    with caplog.at_level(logging.WARNING, logger="clinic.queueing"):
        assert queueing.publish(_Task(OperationalError("Connection refused")), 7) is False
    assert "tests.fake (7,) left for its sweep" in caplog.text


def test_publish_lets_other_errors_through():
    with pytest.raises(ValueError, match="a bug"):
        queueing.publish(_Task(ValueError("a bug")), 7)


@pytest.mark.django_db
def test_work_is_queued_only_when_the_transaction_commits(django_capture_on_commit_callbacks):
    task = _Task()

    class Abort(Exception):
        pass

    def queue_then_roll_back():
        with transaction.atomic():
            queueing.after_commit(task, 1)
            raise Abort

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Abort):
        queue_then_roll_back()
    assert task.calls == []
    with django_capture_on_commit_callbacks(execute=True):
        queueing.after_commit(task, 2)
    assert task.calls == [(2,)]


@pytest.mark.django_db
def test_booking_while_the_broker_is_down_succeeds_and_leaves_the_confirmation_owed(
    front_desk, episode, clinician, django_capture_on_commit_callbacks
):
    start = (timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
    with (
        mock.patch.object(send_patient_message, "delay", side_effect=OperationalError("Connection refused")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        visit = services.appointment_book(
            actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
        )
    visit = Appointment.objects.get(pk=visit.pk)
    assert visit.notified_sequence < visit.sequence
    # Left pending, the next dispatch (every minute) claims it.
    with mock.patch.object(send_patient_message, "delay"):
        assert dispatch.dispatch_due() == 1
