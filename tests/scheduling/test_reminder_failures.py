"""Failed deliveries: transient failures retry with backoff and the row records each attempt;
permanent ones mark the row failed with a short reason; a send that happened is never repeated."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from clinic import messaging
from clinic.outbox import dispatch, tasks
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.scheduling import services, visit_reminders


@pytest.fixture(autouse=True)
def _no_quiet_hours(clinic):
    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0, 0)
    clinic.save()


@pytest.fixture
def reminder(front_desk, episode, clinician):
    """The visit's reminder, due (nothing is sent before its due time), and the only message the
    outbox still owes: the booking's notice has gone."""
    start = (timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    visit = services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
    )
    [notice] = PatientMessage.objects.filter(kind=MessageKind.VISIT_NOTICE, subject_id=visit.pk)
    assert dispatch.deliver(message_id=notice.pk) is True
    mail.outbox.clear()
    visit_reminders.of_visit(visit).update(due_at=timezone.now())
    return visit_reminders.of_visit(visit).get()


def _failing(monkeypatch, *errors):
    """``send_to_patient`` raises the given errors in turn, then sends for real."""
    real = messaging.send_to_patient
    pending = list(errors)

    def send(**kwargs):
        if pending:
            raise pending.pop(0)
        return real(**kwargs)

    monkeypatch.setattr(messaging, "send_to_patient", send)


def test_a_transient_failure_puts_the_row_back_and_raises_for_a_retry(monkeypatch, reminder):
    _failing(monkeypatch, messaging.TransientDeliveryError("Connection refused by the mail server."))
    with pytest.raises(messaging.TransientDeliveryError):
        dispatch.deliver(message_id=reminder.pk)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (MessageStatus.QUEUED, 1)
    assert reminder.reason == "Connection refused by the mail server."
    assert dispatch.deliver(message_id=reminder.pk) is True
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.reason) == (MessageStatus.SENT, 2, "")
    assert len(mail.outbox) == 1


@pytest.fixture
def retries_run_in_place():
    """Eager Celery runs each retry at once (its countdown skipped) instead of raising Retry."""
    from clinic.celery import app

    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = propagates


def test_the_task_retries_transient_failures_with_exponential_backoff(monkeypatch, reminder, retries_run_in_place):
    assert tasks.send_patient_message.autoretry_for == (messaging.TransientDeliveryError,)
    assert tasks.send_patient_message.retry_backoff is True
    _failing(monkeypatch, messaging.TransientDeliveryError("timeout"), messaging.TransientDeliveryError("timeout"))
    tasks.send_patient_message.delay(reminder.pk)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (MessageStatus.SENT, 3)
    assert len(mail.outbox) == 1


def test_after_the_last_attempt_the_row_is_failed_for_the_front_desk(monkeypatch, reminder, retries_run_in_place):
    _failing(monkeypatch, *[messaging.TransientDeliveryError("Provider error 503.")] * dispatch.MAX_ATTEMPTS)
    tasks.send_patient_message.delay(reminder.pk)
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.FAILED
    assert reminder.attempts == dispatch.MAX_ATTEMPTS
    assert reminder.reason == f"Gave up after {dispatch.MAX_ATTEMPTS} attempts: Provider error 503."
    assert not mail.outbox


@pytest.mark.parametrize(
    "error",
    [
        messaging.PermanentDeliveryError("The patient has no mobile phone number."),
        messaging.PermanentDeliveryError("The provider refused the number."),
    ],
)
def test_a_permanent_failure_marks_the_row_failed_with_its_reason(monkeypatch, reminder, error):
    _failing(monkeypatch, error)
    assert dispatch.deliver(message_id=reminder.pk) is False
    reminder.refresh_from_db()
    assert (reminder.status, reminder.reason, reminder.attempts) == (MessageStatus.FAILED, str(error), 1)
    assert dispatch.deliver(message_id=reminder.pk) is False  # not tried again by itself


def test_an_unexpected_error_fails_the_row_at_once_without_its_text(monkeypatch, reminder):
    _failing(monkeypatch, RuntimeError("mailbox patient@example.test is full"))
    with pytest.raises(RuntimeError):
        dispatch.deliver(message_id=reminder.pk)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.reason) == (MessageStatus.FAILED, "Unexpected error (RuntimeError).")
    assert dispatch.deliver(message_id=reminder.pk) is False


def test_a_worker_dying_after_the_send_never_sends_twice(monkeypatch, reminder):
    """The provider accepted the message, then the worker died before recording it: the row
    stays SENDING, a redelivered message sends nothing, and the sweep fails it for the front desk."""

    class WorkerLost(BaseException):
        pass

    real = dispatch._record

    def die(outcomes):
        raise WorkerLost

    monkeypatch.setattr(dispatch, "_record", die)
    with pytest.raises(WorkerLost):
        dispatch.deliver(message_id=reminder.pk)
    monkeypatch.setattr(dispatch, "_record", real)
    assert len(mail.outbox) == 1
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.SENDING

    assert dispatch.deliver(message_id=reminder.pk) is False  # the broker redelivers the task
    assert dispatch.requeue_stuck(older_than=datetime.timedelta(0)) == 0
    assert dispatch.dispatch_due(now=timezone.now() + datetime.timedelta(days=2)) == 0
    assert len(mail.outbox) == 1

    assert dispatch.settle_interrupted() == 0  # not stale yet
    PatientMessage.objects.filter(pk=reminder.pk).update(sending_at=timezone.now() - datetime.timedelta(minutes=11))
    assert dispatch.settle_interrupted() == 1
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.FAILED
    assert reminder.reason == dispatch.INTERRUPTED == "Sending was interrupted; the message may not have arrived."
    assert len(mail.outbox) == 1


def test_the_minute_task_settles_interrupted_sends(reminder):
    PatientMessage.objects.filter(pk=reminder.pk).update(
        status=MessageStatus.SENDING, sending_at=timezone.now() - datetime.timedelta(hours=1)
    )
    tasks.dispatch_patient_messages()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.reason) == (MessageStatus.FAILED, dispatch.INTERRUPTED)
