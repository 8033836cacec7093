"""Each event is owed by the real service that makes the change, with ids only."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from clinic.outbox import dispatch
from clinic.outbox.models import MessageKind, PatientMessage
from clinic.scheduling import services as scheduling
from clinic.scheduling import visit_reminders
from clinic.webhooks.models import WebhookDelivery
from clinic.webhooks.rules import EventType
from intake.models import Intake, RedFlag
from plans import handouts
from plans import services as plan_services
from plans.models import Handout, Prong
from tests.assessments.helpers import login, record
from tests.intake.helpers import complete_intake, send_invitation
from tests.plans.handout_helpers import home_item, signed_version

CANCEL_LINK = re.compile(r"https?://[^/\s]+(/visit/cancel/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _no_quiet_hours(clinic):
    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0, 0)
    clinic.save()


@pytest.fixture
def endpoint(make_endpoint):
    return make_endpoint(events=[event.value for event in EventType])


def _owed(event_type: str) -> list[dict]:
    return [
        delivery.payload["data"] for delivery in WebhookDelivery.objects.filter(event_type=event_type).order_by("pk")
    ]


@pytest.fixture
def visit(endpoint, front_desk, episode, clinician):
    start = (timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
    return scheduling.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
    )


def test_submitting_an_intake_owes_intake_submitted_and_red_flag_raised(endpoint, episode, front_desk):
    link = send_invitation(episode, actor=front_desk)

    complete_intake(Client(), link, answers={"red_flags": {"cancer_history": "yes"}})

    intake = Intake.objects.get(episode=episode)
    assert _owed("intake.submitted") == [{"episode": episode.pk, "intake": intake.pk}]
    flags = RedFlag.objects.filter(episode=episode).order_by("pk")
    assert flags
    assert _owed("red_flag.raised") == [
        {"episode": episode.pk, "intake": intake.pk, "red_flag": flag.pk} for flag in flags
    ]


def test_completing_an_assessment_owes_assessment_completed(endpoint, episode, clinician):
    assessment = record(login(Client(), clinician), episode)

    assert _owed("assessment.completed") == [{"episode": episode.pk, "assessment": assessment.pk}]


def test_signing_a_plan_owes_plan_signed_with_the_version_number(endpoint, episode, clinician):
    assessment = record(login(Client(), clinician), episode)
    plan = plan_services.plan_draft(actor=clinician, assessment=assessment)
    plan = plan_services.plan_update(
        actor=clinician, plan=plan, missing_prong_reasons={prong.value: "Not needed yet" for prong in Prong}
    )

    plan_services.plan_sign(actor=clinician, plan=plan)

    assert _owed("plan.signed") == [{"episode": episode.pk, "plan": plan.pk, "version": 1}]


def test_booking_moving_and_cancelling_a_visit_owe_their_events(visit, front_desk, episode):
    scheduling.appointment_reschedule(
        actor=front_desk,
        appointment=visit,
        starts_at=visit.starts_at + datetime.timedelta(hours=1),
        override_reason="x",
    )
    scheduling.appointment_cancel(actor=front_desk, appointment=visit, reason="Patient called")

    expected = [{"episode": episode.pk, "appointment": visit.pk}]
    assert _owed("appointment.booked") == expected
    assert _owed("appointment.rescheduled") == expected
    assert _owed("appointment.cancelled") == expected


def test_a_patient_cancelling_from_a_reminder_owes_appointment_cancelled(visit, client, episode):
    mail.outbox.clear()
    first = visit_reminders.of_visit(visit).get(kind=MessageKind.FIRST)
    PatientMessage.objects.filter(pk=first.pk).update(due_at=timezone.now())  # the outbox sends nothing earlier
    assert dispatch.deliver(message_id=first.pk)
    cancel = CANCEL_LINK.search(mail.outbox[-1].body).group(1)

    assert client.post(cancel).status_code == 200

    assert _owed("appointment.cancelled") == [{"episode": episode.pk, "appointment": visit.pk}]


def test_a_rendered_handout_owes_handout_ready_once(endpoint, episode, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    version = signed_version(episode, [home_item("Glute bridge")], handout=False)
    handout = Handout.objects.create(version=version)

    assert handouts.render(handout_id=handout.pk) is True
    assert handouts.render(handout_id=handout.pk) is False

    assert _owed("handout.ready") == [
        {"episode": episode.pk, "plan": version.plan_id, "version": version.number, "handout": handout.pk}
    ]


def test_an_event_is_owed_only_to_endpoints_subscribed_to_it(make_endpoint, front_desk, episode, clinician):
    booked_only = make_endpoint(events=["appointment.booked"])
    cancelled_only = make_endpoint(events=["appointment.cancelled"])
    start = (timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)

    scheduling.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
    )

    assert [delivery.endpoint for delivery in WebhookDelivery.objects.all()] == [booked_only]
    assert not cancelled_only.deliveries.exists()
