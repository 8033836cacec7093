"""Reminders: made with the booking, moved and cancelled with it, claimed when due, sent once."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from clinic.outbox import rules
from clinic.scheduling import reminders, services
from clinic.scheduling.models import Reminder, ReminderStatus


@pytest.fixture(autouse=True)
def _no_quiet_hours(clinic):
    """These tests are about the rows' life; quiet hours have their own tests."""
    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0, 0)
    clinic.save()


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
    assert "This is a reminder of your follow-up treatment with Dana Lead" in mail.outbox[0].body
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
    reminder.refresh_from_db()
    assert (reminder.status, reminder.skip_reason) == (ReminderStatus.SKIPPED, rules.NO_CONSENT)
    assert rules.NO_CONSENT == "The patient has not agreed to messages."
    assert not mail.outbox


def test_an_opted_out_patient_gets_no_reminder_and_the_row_says_why(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(1))
    episode.patient.reminders_opted_out_at = timezone.now()
    episode.patient.save()
    mail.outbox.clear()
    reminder = Reminder.objects.get(appointment=visit)
    assert reminders.deliver(reminder_id=reminder.pk) is False
    reminder.refresh_from_db()
    assert (reminder.status, reminder.skip_reason) == (ReminderStatus.SKIPPED, "The patient stopped reminders.")
    assert not mail.outbox


def test_the_reminder_goes_by_the_patients_channel(front_desk, episode, clinician):
    from clinic import messaging

    visit = _book(front_desk, episode, clinician, _in_days(1))
    episode.patient.preferred_contact_channel = "sms"
    episode.patient.save()
    mail.outbox.clear()
    messaging.outbox.clear()
    reminder = Reminder.objects.get(appointment=visit)
    assert reminders.deliver(reminder_id=reminder.pk) is True
    assert not mail.outbox
    [text] = messaging.outbox
    assert text["to"] == str(episode.patient.mobile_phone)
    assert "reminder of your visit" in text["body"]
    assert "/reminders/stop/" in text["body"]
    assert "/visit/cancel/" not in text["body"]  # text messages stay short; e-mails carry the visit links
    assert Reminder.objects.get().channel == "sms"


def test_a_status_change_back_to_booked_does_not_send_a_sent_reminder_again(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(1))
    reminder = Reminder.objects.get(appointment=visit)
    assert reminders.deliver(reminder_id=reminder.pk) is True
    services.appointment_set_status(actor=front_desk, appointment=visit, status="no_show")
    services.appointment_set_status(actor=front_desk, appointment=visit, status="booked")
    assert Reminder.objects.get().status == ReminderStatus.SENT


def test_moving_a_visit_owes_a_new_reminder_for_the_new_time(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(1))
    reminder = Reminder.objects.get(appointment=visit)
    assert reminders.deliver(reminder_id=reminder.pk) is True
    later = _in_days(2)
    services.appointment_reschedule(actor=front_desk, appointment=visit, starts_at=later, override_reason="x")
    reminder.refresh_from_db()
    assert (reminder.status, reminder.due_at) == (ReminderStatus.PENDING, later - datetime.timedelta(hours=2))


def test_a_visit_moved_close_owes_one_reminder_not_every_overdue_one(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(5))
    soon = _in_days(1 / 24)  # in an hour: both the 48-hour and the 2-hour reminder are overdue
    services.appointment_reschedule(actor=front_desk, appointment=visit, starts_at=soon, override_reason="x")
    status = dict(Reminder.objects.filter(appointment=visit).values_list("kind", "status"))
    assert status == {"first": ReminderStatus.CANCELLED, "second": ReminderStatus.PENDING}


def test_the_database_refuses_a_reminder_whose_subject_does_not_match_its_kind(front_desk, episode, clinician):
    from django.db import IntegrityError

    visit = _book(front_desk, episode, clinician, _in_days(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(episode=episode, appointment=visit, kind="check_in", due_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(episode=episode, kind="first", due_at=timezone.now())


def test_the_database_refuses_a_sent_reminder_without_a_time_and_a_failure_without_a_reason(
    front_desk, episode, clinician
):
    from django.db import IntegrityError

    visit = _book(front_desk, episode, clinician, _in_days(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.filter(appointment=visit).update(status=ReminderStatus.SENT, sent_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.filter(appointment=visit).update(status=ReminderStatus.FAILED, error="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.filter(appointment=visit).update(status=ReminderStatus.SENDING, sending_at=None)


def test_one_beat_run_drains_a_backlog_larger_than_a_batch(front_desk, episode, clinician, monkeypatch):
    from clinic.scheduling import tasks

    for day in range(3, 8):
        _book(front_desk, episode, clinician, _in_days(day + 0.5))
    Reminder.objects.update(due_at=timezone.now() - datetime.timedelta(minutes=1))
    monkeypatch.setattr(reminders, "BATCH", 2)
    assert tasks.dispatch_reminders() == Reminder.objects.count() == 10
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.QUEUED}
    monkeypatch.setattr(tasks, "MAX_BATCHES_PER_RUN", 1)
    Reminder.objects.update(status=ReminderStatus.PENDING, queued_at=None)
    assert tasks.dispatch_reminders() == 2  # bounded: the rest waits for the next minute
