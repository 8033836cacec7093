"""Reminders: owed with the booking, moved and cancelled with it, claimed when due, sent once."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from clinic.outbox import dispatch, rules
from clinic.outbox.models import REMINDERS, MessageKind, MessageStatus, PatientMessage
from clinic.scheduling import services, visit_reminders


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


def _reminders():
    """The reminder messages, leaving out the notices a booking also owes."""
    return PatientMessage.objects.filter(kind__in=REMINDERS)


def _deliver_when_due(reminder: PatientMessage) -> bool:
    """Deliver the reminder at its due time: nothing is sent before it."""
    with mock.patch("django.utils.timezone.now", return_value=reminder.due_at):
        return dispatch.deliver(message_id=reminder.pk)


def test_booking_makes_two_reminders_at_the_clinic_default_times(front_desk, episode, clinician):
    start = _in_days(5)
    visit = _book(front_desk, episode, clinician, start)
    due = dict(visit_reminders.of_visit(visit).values_list("kind", "due_at"))
    assert due == {"first": start - datetime.timedelta(hours=48), "second": start - datetime.timedelta(hours=2)}
    assert set(visit_reminders.of_visit(visit).values_list("status", flat=True)) == {MessageStatus.PENDING}


def test_moving_moves_and_cancelling_cancels(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(5))
    later = _in_days(8)
    services.appointment_reschedule(actor=front_desk, appointment=visit, starts_at=later, override_reason="x")
    assert visit_reminders.of_visit(visit).count() == 2  # moved in place, not owed again
    assert visit_reminders.of_visit(visit).get(kind="second").due_at == later - datetime.timedelta(hours=2)
    services.appointment_cancel(actor=front_desk, appointment=visit, reason="Ill")
    assert set(_reminders().values_list("status", "reason")) == {(MessageStatus.CANCELLED, visit_reminders.NOT_BOOKED)}
    assert visit_reminders.NOT_BOOKED == "The visit is no longer booked."


def test_a_due_reminder_is_sent_exactly_once(front_desk, episode, clinician, django_capture_on_commit_callbacks):
    visit = _book(front_desk, episode, clinician, _in_days(1))  # the 48-hour one is already past: not made
    assert list(_reminders().values_list("kind", flat=True)) == ["second"]
    mail.outbox.clear()
    moment = visit.starts_at - datetime.timedelta(hours=1)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        with django_capture_on_commit_callbacks(execute=True):
            assert dispatch.dispatch_due(now=moment) == 1
            assert dispatch.dispatch_due(now=moment) == 0  # already claimed
        reminder = _reminders().get()
        assert reminder.status == MessageStatus.SENT
        assert len(mail.outbox) == 1
        assert "This is a reminder of your follow-up treatment with Dana Lead" in mail.outbox[0].body
        # The broker delivering the same message again sends nothing more.
        assert dispatch.deliver(message_id=reminder.pk) is False
    assert len(mail.outbox) == 1


def test_a_reminder_is_not_sent_before_it_is_due(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(1))
    mail.outbox.clear()
    reminder = visit_reminders.of_visit(visit).get()
    assert reminder.due_at > timezone.now()
    assert dispatch.deliver(message_id=reminder.pk) is False
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (MessageStatus.PENDING, 0)
    assert not mail.outbox


def test_nothing_is_queued_when_the_transaction_rolls_back(
    front_desk, episode, clinician, django_capture_on_commit_callbacks
):
    _book(front_desk, episode, clinician, _in_days(1))
    mail.outbox.clear()

    class Abort(Exception):
        pass

    def claim_then_fail():
        with transaction.atomic():
            dispatch.dispatch_due(now=timezone.now() + datetime.timedelta(days=2))
            raise Abort

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Abort):
        claim_then_fail()
    assert _reminders().get().status == MessageStatus.PENDING
    assert not mail.outbox


def test_a_claimed_reminder_whose_message_was_lost_is_claimed_again(front_desk, episode, clinician):
    _book(front_desk, episode, clinician, _in_days(1))
    dispatch.dispatch_due(now=timezone.now() + datetime.timedelta(days=2))  # the message never runs
    _reminders().update(queued_at=timezone.now() - datetime.timedelta(minutes=30))
    assert dispatch.requeue_stuck() == 1
    assert _reminders().get().status == MessageStatus.PENDING


def test_no_reminder_without_consent(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(1))
    episode.patient.contact_consent = False
    episode.patient.save()
    mail.outbox.clear()
    reminder = visit_reminders.of_visit(visit).get()
    assert _deliver_when_due(reminder) is False
    reminder.refresh_from_db()
    assert (reminder.status, reminder.reason) == (MessageStatus.SKIPPED, rules.NO_CONSENT)
    assert rules.NO_CONSENT == "The patient has not agreed to messages."
    assert not mail.outbox


def test_an_opted_out_patient_gets_no_reminder_and_the_row_says_why(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(1))
    episode.patient.reminders_opted_out_at = timezone.now()
    episode.patient.save()
    mail.outbox.clear()
    reminder = visit_reminders.of_visit(visit).get()
    assert _deliver_when_due(reminder) is False
    reminder.refresh_from_db()
    assert (reminder.status, reminder.reason) == (MessageStatus.SKIPPED, "The patient stopped reminders.")
    assert not mail.outbox


def test_the_reminder_goes_by_the_patients_channel(front_desk, episode, clinician):
    from clinic import messaging

    visit = _book(front_desk, episode, clinician, _in_days(1))
    episode.patient.preferred_contact_channel = "sms"
    episode.patient.save()
    mail.outbox.clear()
    messaging.outbox.clear()
    reminder = visit_reminders.of_visit(visit).get()
    assert _deliver_when_due(reminder) is True
    assert not mail.outbox
    [text] = messaging.outbox
    assert text["to"] == str(episode.patient.mobile_phone)
    assert "reminder of your visit" in text["body"]
    # Text messages carry the short form of every link; the long ones are for e-mail.
    assert "Stop: http://" in text["body"]
    assert "/r/" in text["body"]
    assert "/visit/cancel/" not in text["body"]
    assert "/reminders/stop/" not in text["body"]
    assert _reminders().get().channel == "sms"


def test_a_status_change_back_to_booked_does_not_send_a_sent_reminder_again(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(1))
    reminder = visit_reminders.of_visit(visit).get()
    assert _deliver_when_due(reminder) is True
    services.appointment_set_status(actor=front_desk, appointment=visit, status="no_show")
    services.appointment_set_status(actor=front_desk, appointment=visit, status="booked")
    assert _reminders().get().status == MessageStatus.SENT


def test_moving_a_visit_owes_a_new_reminder_for_the_new_time(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(1))
    reminder = visit_reminders.of_visit(visit).get()
    assert _deliver_when_due(reminder) is True
    later = _in_days(2)
    services.appointment_reschedule(actor=front_desk, appointment=visit, starts_at=later, override_reason="x")
    # The sent one stays as history; the new time owes a message of its own.
    sent, owed = visit_reminders.of_visit(visit)
    assert (sent.pk, sent.status) == (reminder.pk, MessageStatus.SENT)
    assert (owed.kind, owed.status, owed.due_at) == (
        MessageKind.SECOND,
        MessageStatus.PENDING,
        later - datetime.timedelta(hours=2),
    )


def test_a_visit_moved_close_after_its_reminder_went_owes_one_queued_at_once(
    front_desk, episode, clinician, django_capture_on_commit_callbacks
):
    visit = _book(front_desk, episode, clinician, _in_days(1))
    reminder = visit_reminders.of_visit(visit).get()
    assert _deliver_when_due(reminder) is True
    mail.outbox.clear()
    soon = _in_days(1 / 24)  # in an hour: the 2-hour reminder for the new time is already overdue
    with django_capture_on_commit_callbacks() as published:
        services.appointment_reschedule(actor=front_desk, appointment=visit, starts_at=soon, override_reason="x")
    sent, owed = visit_reminders.of_visit(visit)
    assert sent.status == MessageStatus.SENT
    # Queued when owed rather than left pending for the next dispatch, and published on commit.
    assert (owed.kind, owed.status, owed.due_at) == (
        MessageKind.SECOND,
        MessageStatus.QUEUED,
        soon - datetime.timedelta(hours=2),
    )
    assert owed.queued_at is not None
    for callback in published:
        callback()
    owed.refresh_from_db()
    assert owed.status == MessageStatus.SENT
    reminded = [message for message in mail.outbox if "This is a reminder of your follow-up" in message.body]
    assert len(reminded) == 1


def test_a_visit_moved_close_owes_one_reminder_not_every_overdue_one(front_desk, episode, clinician):
    visit = _book(front_desk, episode, clinician, _in_days(5))
    soon = _in_days(1 / 24)  # in an hour: both the 48-hour and the 2-hour reminder are overdue
    services.appointment_reschedule(actor=front_desk, appointment=visit, starts_at=soon, override_reason="x")
    status = dict(visit_reminders.of_visit(visit).values_list("kind", "status"))
    assert status == {"first": MessageStatus.CANCELLED, "second": MessageStatus.PENDING}
    assert visit_reminders.of_visit(visit).get(kind="first").reason == "A later reminder covers the visit."


def test_the_database_refuses_a_second_unsent_reminder_about_one_visit_and_an_unknown_kind(
    front_desk, episode, clinician
):
    from django.db import IntegrityError

    visit = _book(front_desk, episode, clinician, _in_days(5))
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientMessage.objects.create(
            patient=episode.patient, episode=episode, kind="first", subject_id=visit.pk, due_at=timezone.now()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientMessage.objects.create(
            patient=episode.patient, episode=episode, kind="reminder", subject_id=visit.pk, due_at=timezone.now()
        )
    # A settled one leaves room for the next: a moved visit owes a new message.
    visit_reminders.of_visit(visit).filter(kind="first").update(status=MessageStatus.SENT, sent_at=timezone.now())
    PatientMessage.objects.create(
        patient=episode.patient, episode=episode, kind="first", subject_id=visit.pk, due_at=timezone.now()
    )


def test_the_database_refuses_a_sent_reminder_without_a_time_and_a_failure_without_a_reason(
    front_desk, episode, clinician
):
    from django.db import IntegrityError

    visit = _book(front_desk, episode, clinician, _in_days(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        visit_reminders.of_visit(visit).update(status=MessageStatus.SENT, sent_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        visit_reminders.of_visit(visit).update(status=MessageStatus.FAILED, reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        visit_reminders.of_visit(visit).update(status=MessageStatus.SENDING, sending_at=None)


def test_one_beat_run_drains_a_backlog_larger_than_a_batch(front_desk, episode, clinician, monkeypatch):
    from clinic.outbox import tasks

    for day in range(3, 8):
        _book(front_desk, episode, clinician, _in_days(day + 0.5))
    _reminders().update(due_at=timezone.now() - datetime.timedelta(minutes=1))
    monkeypatch.setattr(dispatch, "BATCH", 2)
    assert tasks.dispatch_patient_messages() == _reminders().count() == 10
    assert set(_reminders().values_list("status", flat=True)) == {MessageStatus.QUEUED}
    monkeypatch.setattr(tasks, "MAX_BATCHES_PER_RUN", 1)
    _reminders().update(status=MessageStatus.PENDING, queued_at=None)
    assert tasks.dispatch_patient_messages() == 2  # bounded: the rest waits for the next minute
