"""Writes of the run log: a run logged by hand (its local day, plan, phase and protocol label),
how it felt, the next-morning pain (once, late answers taken), the webhook and the audit."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from clinic.models import AuditEvent, ClinicThreshold
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.webhooks import services as webhooks
from clinic.webhooks.models import WebhookDelivery
from running.models import Run, RunSource
from running.services import runs
from tests.running import runs_fixtures
from tests.running.runs_fixtures import FEEL, local_today, log

run_episode = runs_fixtures.run_episode
return_to_run = runs_fixtures.return_to_run

pytestmark = pytest.mark.django_db


def test_a_run_outside_a_plan_has_no_plan_phase_or_label(run_episode):
    run = log(run_episode, days_ago=2)
    assert (run.return_to_run, run.phase, run.protocol_planned) == (None, None, False)
    assert run.local_date == local_today(run_episode.patient.clinic) - datetime.timedelta(days=2)
    assert (run.source, run.distance_m, run.moving_s, run.pain_during, run.note) == (
        RunSource.MANUAL,
        1610,
        1200,
        2,
        "Felt fine",
    )


@pytest.mark.parametrize(("km", "planned"), [("1.61", True), ("1.75", True), ("1.80", False), ("3.22", False)])
def test_a_run_in_an_active_plan_takes_its_phase_and_is_protocol_planned_within_the_tolerance(
    return_to_run, km, planned
):
    run = log(return_to_run.episode, km=km)
    assert (run.return_to_run, run.phase, run.protocol_planned) == (return_to_run, 1, planned)


def test_the_tolerance_is_the_clinics_setting(return_to_run):
    ClinicThreshold.objects.create(
        clinic=return_to_run.episode.patient.clinic, key="run_protocol_distance_tolerance_pct", value=20
    )
    assert log(return_to_run.episode, km="1.90").protocol_planned


def test_a_run_before_the_plan_started_is_not_in_it(return_to_run):
    return_to_run.started_on = local_today(return_to_run.episode.patient.clinic)
    return_to_run.save()
    assert log(return_to_run.episode, days_ago=1).return_to_run is None


@pytest.mark.parametrize(
    ("days_ago", "start", "field"),
    [(-1, None, "local_date"), (61, None, "local_date"), (0, datetime.time(23, 59), "start_time")],
)
def test_a_run_in_the_future_or_before_the_episode_is_refused(run_episode, days_ago, start, field, time_machine):
    clinic = run_episode.patient.clinic
    time_machine.move_to(datetime.datetime.combine(local_today(clinic), datetime.time(9, 0), tzinfo=clinic.zone))
    with pytest.raises(ValidationError) as error:
        log(run_episode, days_ago=days_ago, start_time=start)
    assert field in error.value.message_dict
    assert not Run.objects.exists()


def test_a_closed_episode_takes_no_run(run_episode):
    run_episode.status, run_episode.closed_on = "discharged", local_today(run_episode.patient.clinic)
    run_episode.save()
    with pytest.raises(ValidationError):
        log(run_episode)


def test_logging_is_audited_and_owes_the_run_logged_webhook_with_ids_only(run_episode, clinic_admin):
    webhooks.endpoint_create(actor=clinic_admin, url="https://receiver.example.test/hooks", event_types=["run.logged"])
    run = log(run_episode, actor=run_episode.lead_clinician)
    delivery = WebhookDelivery.objects.get(event_type="run.logged")
    assert delivery.payload["data"] == {"episode": run_episode.pk, "run": run.pk}
    event = AuditEvent.objects.get(action="run.logged")
    assert (event.actor, event.object_id, event.patient_id) == (
        run_episode.lead_clinician,
        run.pk,
        run_episode.patient_id,
    )


def test_how_it_felt_is_recorded_and_changed_until_the_morning_answer(run_episode):
    run = log(run_episode, feel=runs.Feel(None, None, None))
    run = runs.record_feel(run=run, feel=runs.Feel(4, 5, True, "Tight hip", pain_before=1))
    assert (run.pain_before, run.pain_during, run.rpe, run.swelling_or_stiffness, run.note) == (
        1,
        4,
        5,
        True,
        "Tight hip",
    )
    event = AuditEvent.objects.get(action="run.feel_recorded")
    assert event.changed_fields == sorted(runs.FEEL_FIELDS)
    runs.record_morning_pain(run=run, pain=2)
    with pytest.raises(ValidationError):
        runs.record_feel(run=run, feel=FEEL)
    assert Run.objects.get(pk=run.pk).pain_during == 4


@pytest.mark.parametrize("pain", [-1, 11, True, "3", None])
def test_morning_pain_outside_0_10_is_refused(run_episode, pain):
    run = log(run_episode)
    with pytest.raises(ValidationError):
        runs.record_morning_pain(run=run, pain=pain)
    assert Run.objects.get(pk=run.pk).morning_pain is None


def test_morning_pain_is_recorded_once_late_answers_taken_and_the_question_cancelled(run_episode, time_machine):
    time_machine.move_to(datetime.datetime.now(tz=datetime.UTC))
    run = log(run_episode, days_ago=0)
    question = PatientMessage.objects.get(kind=MessageKind.RUN_MORNING, subject_id=run.pk)
    assert question.status == MessageStatus.PENDING
    time_machine.shift(datetime.timedelta(days=5))
    run = runs.record_morning_pain(run=run, pain=3)
    assert run.morning_pain == 3
    assert run.morning_pain_at is not None
    question.refresh_from_db()
    assert question.status == MessageStatus.CANCELLED
    with pytest.raises(ValidationError):
        runs.record_morning_pain(run=run, pain=5)
    assert Run.objects.get(pk=run.pk).morning_pain == 3
    assert AuditEvent.objects.filter(action="run.morning_pain_recorded").count() == 1
