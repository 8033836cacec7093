"""The next-morning pain question: owed when a run is logged, for the next morning at the clinic's
hour in the patient's time zone, held by quiet hours, stopped by the opt-out, once per run, not
sent once the answer is in; its link opens the run's morning question and nothing of the run
is in the message."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from clinic.models import ClinicThreshold
from clinic.outbox import dispatch
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from running.models import Run
from running.services import runs
from tests.running import runs_fixtures
from tests.running.runs_fixtures import log

pytestmark = pytest.mark.django_db

run_episode = runs_fixtures.run_episode
UTC = datetime.UTC


def _question(run: Run) -> PatientMessage:
    return PatientMessage.objects.get(kind=MessageKind.RUN_MORNING, subject_id=run.pk)


def _at_local(clinic, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=clinic.zone)


@pytest.fixture
def evening(run_episode, time_machine):
    """19:30 in the clinic's zone (America/Chicago), the evening of a run."""
    clinic = run_episode.patient.clinic
    moment = _at_local(clinic, runs_fixtures.local_today(clinic), 19, 30)
    time_machine.move_to(moment, tick=False)
    return moment


def _deliver_now(message: PatientMessage) -> bool:
    PatientMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
    return dispatch.deliver(message_id=message.pk)


def test_a_run_logged_in_the_evening_is_asked_about_at_8_the_next_morning_local_time(run_episode, evening):
    run = log(run_episode, days_ago=0)
    question = _question(run)
    next_morning = _at_local(run_episode.patient.clinic, evening.date() + datetime.timedelta(days=1), 8)
    assert question.due_at == next_morning
    assert (question.status, question.episode, question.patient) == (
        MessageStatus.PENDING,
        run_episode,
        run_episode.patient,
    )


def test_the_hour_is_the_clinics_setting_and_quiet_hours_still_hold_it(run_episode, evening):
    clinic = run_episode.patient.clinic
    ClinicThreshold.objects.create(clinic=clinic, key="run_morning_prompt_hour", value=6)
    clinic.quiet_hours_start, clinic.quiet_hours_end = datetime.time(21, 0), datetime.time(7, 30)
    clinic.save()
    run = log(run_episode, days_ago=0)
    assert _question(run).due_at == _at_local(clinic, evening.date() + datetime.timedelta(days=1), 7, 30)


def test_a_run_logged_the_next_morning_is_asked_about_at_once(run_episode, time_machine):
    clinic = run_episode.patient.clinic
    today = runs_fixtures.local_today(clinic)
    time_machine.move_to(_at_local(clinic, today, 10, 0), tick=False)
    run = log(run_episode, days_ago=1)
    question = _question(run)
    assert question.due_at == _at_local(clinic, today, 10, 0)
    assert question.status == MessageStatus.QUEUED


def test_no_question_for_a_run_whose_next_morning_is_over(run_episode):
    run = log(run_episode, days_ago=3)
    assert not PatientMessage.objects.filter(kind=MessageKind.RUN_MORNING, subject_id=run.pk).exists()


def test_owing_the_question_again_changes_nothing(run_episode, evening):
    run = log(run_episode, days_ago=0)
    runs.owe_morning_question(run)
    runs.owe_morning_question(run)
    assert PatientMessage.objects.filter(kind=MessageKind.RUN_MORNING, subject_id=run.pk).count() == 1


def test_the_question_carries_a_link_to_the_runs_morning_question_and_no_run_details(client, run_episode, evening):
    run = log(run_episode, days_ago=0, km="7.77")
    mail.outbox.clear()
    assert _deliver_now(_question(run)) is True
    [message] = mail.outbox
    assert "7.77" not in message.body
    assert "Felt fine" not in message.body
    assert "To stop these reminders" in message.body
    path = re.search(r"https?://[^/\s]+(/portal/[^/\s]+/runs/\d+/morning/)", message.body).group(1)
    assert path.endswith(f"/runs/{run.pk}/morning/")
    assert "Your pain this morning" in client.get(path).content.decode()


def test_sent_at_most_once(run_episode, evening):
    run = log(run_episode, days_ago=0)
    question = _question(run)
    mail.outbox.clear()
    assert _deliver_now(question) is True
    assert dispatch.deliver(message_id=question.pk) is False
    assert len(mail.outbox) == 1


def test_not_sent_once_the_answer_is_in(run_episode, evening):
    run = log(run_episode, days_ago=0)
    question = _question(run)
    Run.objects.filter(pk=run.pk).update(morning_pain=1)
    mail.outbox.clear()
    assert _deliver_now(question) is False
    question.refresh_from_db()
    assert (question.status, question.reason) == (MessageStatus.SKIPPED, "The patient already answered.")
    assert mail.outbox == []


def test_not_sent_to_a_patient_who_stopped_reminders(run_episode, evening):
    run = log(run_episode, days_ago=0)
    run_episode.patient.reminders_opted_out_at = timezone.now()
    run_episode.patient.save()
    mail.outbox.clear()
    question = _question(run)
    assert _deliver_now(question) is False
    question.refresh_from_db()
    assert question.status == MessageStatus.SKIPPED
    assert mail.outbox == []


def test_held_by_quiet_hours_when_due_inside_them(run_episode, evening, time_machine):
    clinic = run_episode.patient.clinic
    run = log(run_episode, days_ago=0)
    question = _question(run)
    # Delivered at 23:00 local (a late queue): held until quiet hours end at 08:00.
    late = _at_local(clinic, evening.date(), 23, 0)
    time_machine.move_to(late, tick=False)
    assert _deliver_now(question) is False
    question.refresh_from_db()
    assert question.status == MessageStatus.PENDING
    assert question.due_at == _at_local(clinic, evening.date() + datetime.timedelta(days=1), 8, 0)


def test_the_question_stops_with_the_episode(run_episode, evening):
    run = log(run_episode, days_ago=0)
    run_episode.status, run_episode.closed_on = "discharged", evening.date()
    run_episode.save()
    question = _question(run)
    assert _deliver_now(question) is False
    question.refresh_from_db()
    assert question.status == MessageStatus.CANCELLED
