"""Reminders through a real worker on real Redis: never sent for a rolled-back claim, sent once
however often the broker delivers the send, and none lost or doubled by a broker outage.

Every check counts the e-mails in Django's locmem outbox, which the in-process worker shares.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import threading
from collections.abc import Iterator

import pytest
from celery.signals import before_task_publish, task_postrun
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from clinic.models import ClinicThreshold
from clinic.outbox import dispatch
from clinic.outbox.tasks import dispatch_patient_messages, send_patient_messages
from clinic.scheduling import services
from clinic.scheduling.models import Appointment
from tests.factories import EpisodeFactory
from tests.integration.broker import celery_on, drain, private_redis, wait_for, worker_thread

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SECOND_REMINDER = datetime.timedelta(hours=2)
# Visits start a little more than 2 hours after booking: their 2-hour reminder is made (one already
# past at booking is not) and falls due a couple of seconds later, while the test waits.
LEAD = datetime.timedelta(seconds=2)


@pytest.fixture(autouse=True)
def _reminder_clinic(clinic):
    """Reminders 48 and 2 hours before, in a time zone where it is early afternoon now, so that
    the clinic's quiet hours never hold a reminder back whatever time the suite runs."""
    offset = 13 - timezone.now().hour  # Etc/GMT names carry the offset with the opposite sign
    clinic.time_zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    clinic.full_clean()
    clinic.save()
    ClinicThreshold.objects.create(clinic=clinic, key="reminder_first_hours", value=48)
    ClinicThreshold.objects.create(clinic=clinic, key="reminder_second_hours", value=2)


def _book_soon(front_desk, episode, *, later: int = 0) -> Appointment:
    """A visit whose 2-hour reminder falls due ``LEAD`` (plus ``later`` seconds) from now; the
    48-hour one is past already, so it is not made."""
    starts_at = (timezone.now() + SECOND_REMINDER + LEAD).replace(microsecond=0) + datetime.timedelta(seconds=1 + later)
    return services.appointment_book(
        actor=front_desk,
        episode=episode,
        clinician=episode.lead_clinician,
        starts_at=starts_at,
        override_reason="Reliability test",
    )


def _wait_until_due(*visits: Appointment) -> None:
    latest = max(visit.starts_at for visit in visits) - SECOND_REMINDER
    assert wait_for(lambda: timezone.now() >= latest, seconds=10)


def _recipients(*, subject: str = "") -> list[str]:
    """Who was sent an e-mail (one whose subject starts with ``subject``), once per e-mail."""
    return sorted(address for message in mail.outbox if message.subject.startswith(subject) for address in message.to)


def _reminded() -> list[str]:
    """Who was sent a visit reminder; the dispatcher sends the booking confirmations as well."""
    return _recipients(subject="Reminder: your visit")


class Abort(Exception):
    pass


def _claim_then_fail() -> None:
    with transaction.atomic():
        assert dispatch.dispatch_due() == 1
        raise Abort


def test_a_claim_rolled_back_sends_nothing_and_a_committed_one_sends_once(front_desk, episode):
    visit = _book_soon(front_desk, episode)  # eager here: the booking confirmation goes out at once
    _wait_until_due(visit)
    mail.outbox.clear()
    with celery_on(settings.CELERY_BROKER_URL), worker_thread():
        with pytest.raises(Abort):
            _claim_then_fail()
        drain()
        assert mail.outbox == []
        with transaction.atomic():
            assert dispatch.dispatch_due() == 1
        assert wait_for(lambda: mail.outbox)
        drain()
    assert _recipients() == [episode.patient.email]


@contextlib.contextmanager
def _sends_published() -> Iterator[list[tuple[str, tuple]]]:
    """The (task id, arguments) of every batch of sends (send_patient_messages) published meanwhile."""
    published: list[tuple[str, tuple]] = []

    def record(sender=None, headers=None, body=None, **kwargs):
        if sender == send_patient_messages.name:
            published.append((headers["id"], tuple(body[0])))

    before_task_publish.connect(record, weak=False, dispatch_uid="reliability-sends-published")
    try:
        yield published
    finally:
        before_task_publish.disconnect(dispatch_uid="reliability-sends-published")


@contextlib.contextmanager
def _runs_counted() -> Iterator[collections.Counter]:
    """How many times the worker has finished each task id."""
    runs: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def count(task_id=None, **kwargs):
        with lock:
            runs[task_id] += 1

    task_postrun.connect(count, weak=False, dispatch_uid="reliability-runs-counted")
    try:
        yield runs
    finally:
        task_postrun.disconnect(dispatch_uid="reliability-runs-counted")


def test_the_same_send_delivered_twice_at_once_sends_one_reminder(front_desk, clinic):
    episodes = [EpisodeFactory(patient__clinic=clinic) for _ in range(3)]
    visits = [_book_soon(front_desk, episode, later=second) for second, episode in enumerate(episodes)]
    _wait_until_due(*visits)
    mail.outbox.clear()
    # Two worker threads, so that the two deliveries of one message really run side by side; one
    # visit at a time, so that the two copies of its send are next to each other in the queue.
    with celery_on(settings.CELERY_BROKER_URL), worker_thread(pool="threads", concurrency=2), _runs_counted() as runs:
        for visit in visits:
            with _sends_published() as published, transaction.atomic():
                dispatch.dispatch_due(now=visit.starts_at - SECOND_REMINDER)
            assert len(published) == 1
            task_id, arguments = published[0]
            send_patient_messages.apply_async(arguments, task_id=task_id)  # the broker hands the same message out again
            assert wait_for(lambda task_id=task_id: runs[task_id] == 2), runs
    assert _recipients() == sorted(episode.patient.email for episode in episodes)


def _book_during_outage(front_desk, episode) -> Appointment:
    """Book while the broker is down: the booking succeeds (its confirmation stays owed for the
    dispatcher), as the front desk's request must not fail for want of a broker."""
    return _book_soon(front_desk, episode)


def test_a_broker_outage_loses_no_reminder_and_doubles_none(front_desk, clinic):
    episodes = [EpisodeFactory(patient__clinic=clinic) for _ in range(4)]
    with private_redis() as redis, celery_on(redis.url):
        # Claimed and published just before Redis dies: the message dies with it.
        before = _book_soon(front_desk, episodes[0])
        _wait_until_due(before)
        assert dispatch.dispatch_due() == 1
        redis.stop()

        # Booked while Redis is down; their reminders fall due, and a dispatcher that took beat's
        # message just before the outage claims them but cannot publish the sends.
        during = [_book_during_outage(front_desk, episode) for episode in episodes[1:]]
        _wait_until_due(*during)
        dispatch.dispatch_due()

        redis.start()
        with worker_thread():
            dispatch_patient_messages.delay()  # beat's first tick after the outage
            assert wait_for(lambda: len(_reminded()) >= len(during), seconds=30), _recipients()
            # Ten minutes on, the reminder whose message was lost is no longer "queued" but owed again.
            dispatch.requeue_stuck(older_than=datetime.timedelta(0))
            dispatch_patient_messages.delay()
            assert wait_for(lambda: len(_reminded()) == len(episodes), seconds=30), _recipients()
            dispatch_patient_messages.delay()
            drain()
    everyone = sorted(episode.patient.email for episode in episodes)
    assert _reminded() == everyone
    # The booking confirmations lost or left owed by the outage went out once each as well.
    assert _recipients(subject=f"{clinic.name}: ") == everyone
