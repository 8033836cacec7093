"""Reminders: made with the booking, moved and cancelled with it, claimed when due, sent once."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from clinic.scheduling import reminders, services
from clinic.scheduling.models import Reminder, ReminderStatus


def _in_days(days: float) -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(days=days)).replace(second=0, microsecond=0)


def _book(front_desk, episode, clinician, start):
    return services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
    )


def test_booking_makes_two_reminders_at_the_clinic_default_times(front_desk, episode, clinician):
    start = _in_days(5)
    visit = _book(front_desk, episode, clinician, start)
    due = dict(Reminder.objects.filter(appointment=visit).values_list("kind", "due_at"))
    assert due == {"first": start - datetime.timedelta(hours=48), "second": start - datetime.timedelta(hours=2)}


def test_moving_moves_and_cancelling_cancels(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(5))
    later = _in_days(8)
    services.appointment_reschedule(actor=front_desk, appointment=visit, starts_at=later, override_reason="x")
    assert Reminder.objects.get(appointment=visit, kind="second").due_at == later - datetime.timedelta(hours=2)
    services.appointment_cancel(actor=front_desk, appointment=visit, reason="Ill")
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.CANCELLED}


def test_a_due_reminder_is_sent_exactly_once(front_desk, episode, clinician, django_capture_on_commit_callbacks):
    visit = _book(front_desk, episode, clinician, _in_days(1))  # the 48-hour one is already past: not made
    assert list(Reminder.objects.values_list("kind", flat=True)) == ["second"]
    mail.outbox.clear()
    moment = visit.starts_at - datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.dispatch_due(now=moment) == 1
        assert reminders.dispatch_due(now=moment) == 0  # already claimed
    reminder = Reminder.objects.get()
    assert reminder.status == ReminderStatus.SENT
    assert len(mail.outbox) == 1
    assert "a reminder of your visit" in mail.outbox[0].body
    # The broker delivering the same message again sends nothing more.
    assert reminders.deliver(reminder_id=reminder.pk) is False
    assert len(mail.outbox) == 1


def test_nothing_is_queued_when_the_transaction_rolls_back(
    front_desk, episode, clinician, django_capture_on_commit_callbacks
):
    _book(front_desk, episode, clinician, _in_days(1))
    mail.outbox.clear()

    class Abort(Exception):
        pass

    def claim_then_fail():
        with transaction.atomic():
            reminders.dispatch_due(now=timezone.now() + datetime.timedelta(days=2))
            raise Abort

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Abort):
        claim_then_fail()
    assert Reminder.objects.get().status == ReminderStatus.PENDING
    assert not mail.outbox


def test_a_claimed_reminder_whose_message_was_lost_is_claimed_again(front_desk, episode, clinician):
    _book(front_desk, episode, clinician, _in_days(1))
    reminders.dispatch_due(now=timezone.now() + datetime.timedelta(days=2))  # the message never runs
    Reminder.objects.update(queued_at=timezone.now() - datetime.timedelta(minutes=30))
    assert reminders.requeue_stuck() == 1
    assert Reminder.objects.get().status == ReminderStatus.PENDING


def test_no_reminder_without_consent(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(1))
    episode.patient.contact_consent = False
    episode.patient.save()
    mail.outbox.clear()
    reminder = Reminder.objects.get(appointment=visit)
    assert reminders.deliver(reminder_id=reminder.pk) is False
    assert Reminder.objects.get().status == ReminderStatus.CANCELLED
    assert not mail.outbox
