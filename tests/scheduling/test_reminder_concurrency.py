"""On PostgreSQL, with real row locks: parallel deliveries of one reminder send it once, parallel
posts of one cancel link cancel once, and two dispatchers at once (two beats) claim each message once."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from clinic.outbox import dispatch
from clinic.outbox.models import MessageLink, MessageStatus, PatientMessage
from clinic.permissions import Role
from clinic.scheduling import selectors, services, visit_reminders
from clinic.scheduling.models import AppointmentStatus
from tests.factories import EpisodeFactory, UserFactory


def _in_parallel(count: int, work) -> list:
    start = threading.Barrier(count)
    outcomes: list = []

    def run():
        try:
            start.wait()
            outcomes.append(work())
        except ValidationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _booked_visit():
    """A visit whose reminder is due (nothing is sent before its due time)."""
    clinician = UserFactory(roles=[Role.CLINICIAN])
    clinic = clinician.clinic
    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0)
    clinic.save()
    front_desk = UserFactory(clinic=clinic, roles=[Role.FRONT_DESK])
    episode = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    start = (timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    visit = services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
    )
    visit_reminders.of_visit(visit).update(due_at=timezone.now())
    return visit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_deliveries_of_one_reminder_send_it_once():
    visit = _booked_visit()
    reminder = visit_reminders.of_visit(visit).get()
    mail.outbox.clear()
    outcomes = _in_parallel(6, lambda: dispatch.deliver(message_id=reminder.pk))
    assert sorted(outcomes) == [False] * 5 + [True]
    assert len(mail.outbox) == 1
    assert PatientMessage.objects.get(pk=reminder.pk).status == MessageStatus.SENT


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_posts_of_one_cancel_link_cancel_once():
    import re

    visit = _booked_visit()
    mail.outbox.clear()
    assert dispatch.deliver(message_id=visit_reminders.of_visit(visit).get().pk) is True
    token = re.search(r"/visit/cancel/([^/\s]+)/", mail.outbox[-1].body).group(1)
    opened, problem = selectors.reminder_link("cancel", token)
    assert problem is None
    assert opened.appointment == visit

    def cancel():
        services.appointment_cancel_by_patient(link=MessageLink.objects.get(pk=opened.link.pk))
        return "cancelled"

    outcomes = _in_parallel(5, cancel)
    assert outcomes.count("cancelled") == 1
    assert set(outcomes) - {"cancelled"} <= {"not_booked", "used"}
    visit.refresh_from_db()
    assert (visit.status, visit.sequence) == (AppointmentStatus.CANCELLED, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beats_dispatching_at_once_claim_each_message_once_and_send_it_once(monkeypatch):
    # Two beat processes (a second one started by mistake, or two hosts): each claims with
    # SKIP LOCKED, so they split the due messages between them and none is queued twice.
    visits = [_booked_visit() for _ in range(12)]
    due = set(
        PatientMessage.objects.filter(
            subject_id__in=[visit.pk for visit in visits], kind__in=["first", "second"], status="pending"
        ).values_list("pk", flat=True)
    )
    published: list[int] = []
    lock = threading.Lock()

    def publish(task, batch):
        # The dispatcher queues its sends in batches: one task a batch of ids.
        with lock:
            published.extend(batch)
        return True

    monkeypatch.setattr("clinic.queueing.publish", publish)
    mail.outbox.clear()

    claimed = _in_parallel(2, lambda: dispatch.dispatch_due(now=timezone.now() + datetime.timedelta(minutes=1)))

    assert sum(claimed) == len(due) == len(published)
    assert set(published) == due
    for message_id in published:
        dispatch.deliver(message_id=message_id)
    assert len(mail.outbox) == len(due)
    assert set(PatientMessage.objects.filter(pk__in=due).values_list("status", flat=True)) == {MessageStatus.SENT}
