"""The outbox sends each message at most once: a worker killed after the provider accepted a
message but before the outcome was recorded leaves the row failed ("may not have arrived")
for the front desk, and nothing is sent again."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from clinic import messaging
from clinic.outbox import dispatch, services, tasks
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.portal.models import PortalLink
from clinic.scheduling import services as scheduling
from plans.models import Handout, HandoutDelivery
from tests.plans.handout_helpers import signed_version

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no handler catches it."""


@pytest.fixture(autouse=True)
def _media_and_outbox(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    messaging.outbox.clear()


@pytest.fixture
def killed_after_sending(monkeypatch):
    """The provider accepts the message, then the worker dies before recording it."""
    real = messaging.send_to_patient

    def send_then_die(**kwargs):
        real(**kwargs)
        raise WorkerKilled

    monkeypatch.setattr(messaging, "send_to_patient", send_then_die)
    return monkeypatch


def _kill_then_recover(message: PatientMessage, killed_after_sending, capture) -> PatientMessage:
    with pytest.raises(WorkerKilled):
        dispatch.deliver(message_id=message.pk)
    killed_after_sending.undo()
    assert PatientMessage.objects.get(pk=message.pk).status == MessageStatus.SENDING
    # The broker hands the unacknowledged task to another worker: it sends nothing.
    assert tasks.send_patient_message(message.pk) is False
    # Within the window the sweep leaves the row alone; after it, the row is failed, not re-sent.
    with capture(execute=True):
        tasks.dispatch_patient_messages()
    assert PatientMessage.objects.get(pk=message.pk).status == MessageStatus.SENDING
    PatientMessage.objects.filter(pk=message.pk).update(sending_at=timezone.now() - datetime.timedelta(minutes=11))
    with capture(execute=True):
        tasks.dispatch_patient_messages()
        tasks.dispatch_patient_messages()
    assert tasks.send_patient_message(message.pk) is False
    message.refresh_from_db()
    assert (message.status, message.reason) == (MessageStatus.FAILED, dispatch.INTERRUPTED)
    return message


def test_a_home_program_message_interrupted_after_sending_is_failed_not_sent_twice(
    episode, killed_after_sending, django_capture_on_commit_callbacks
):
    handout = signed_version(episode, []).handout
    Handout.objects.filter(pk=handout.pk).update(delivery=HandoutDelivery.OWED)
    message = services.enqueue(kind=MessageKind.HANDOUT_READY, episode=episode, subject_id=handout.pk)
    _kill_then_recover(message, killed_after_sending, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    # The link in the message that may have arrived works: it was stored before sending.
    assert PortalLink.objects.count() == 1
    handout.refresh_from_db()
    assert (handout.delivery, handout.delivery_error) == (HandoutDelivery.FAILED, dispatch.INTERRUPTED)


def test_a_visit_notice_interrupted_after_sending_is_failed_not_sent_twice(
    front_desk, episode, clinician, killed_after_sending, django_capture_on_commit_callbacks
):
    start = (timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
    visit = scheduling.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
    )
    message = PatientMessage.objects.get(kind=MessageKind.VISIT_NOTICE, subject_id=visit.pk)
    _kill_then_recover(message, killed_after_sending, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    # A later change is news: it is told in a message of its own.
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.appointment_cancel(actor=front_desk, appointment=visit, reason="Patient travelling")
    assert len(mail.outbox) == 2
    assert "cancelled" in mail.outbox[1].body


def test_a_message_still_unsent_is_enough_and_cancel_ends_it(episode):
    first = services.enqueue(kind=MessageKind.VISIT_NOTICE, episode=episode, subject_id=7)
    assert services.enqueue(kind=MessageKind.VISIT_NOTICE, episode=episode, subject_id=7) == first
    later = services.enqueue(
        kind=MessageKind.HANDOUT_READY,
        episode=episode,
        subject_id=7,
        due_at=timezone.now() + datetime.timedelta(hours=1),
    )
    assert (first.status, later.status) == (MessageStatus.QUEUED, MessageStatus.PENDING)
    assert services.cancel(kind=MessageKind.VISIT_NOTICE, subject_id=7, reason="The visit is gone.") == 1
    first.refresh_from_db()
    assert (first.status, first.reason) == (MessageStatus.CANCELLED, "The visit is gone.")
    assert PatientMessage.objects.get(pk=later.pk).status == MessageStatus.PENDING
    # A message not due yet is not claimed.
    assert dispatch.dispatch_due() == 0
