"""Every message to a patient is plain text: names with &, <, > and quotes reach the patient as
written, never as HTML entities, by e-mail and by text message. Each kind is sent through the
real path (its subject made as the app makes it, the message owed, the send task run)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from assessments.models import Assessment, AssessmentStatus
from clinic import messaging
from clinic.contact_changes import services as contact_changes
from clinic.models import Clinic, Patient
from clinic.outbox import rules as outbox_rules
from clinic.outbox import services as outbox
from clinic.outbox import tasks
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.scheduling import rules as scheduling_rules
from clinic.scheduling import services as scheduling
from clinic.scheduling.models import AppointmentKind
from intake import services as intake
from notes import discharge
from notes.models import FollowUp, FollowUpKind
from plans import services as plans
from plans.models import Handout, HandoutDelivery, PlanItem, TreatmentPlan
from running.services import runs
from tests.plans.handout_helpers import signed_version

pytestmark = pytest.mark.django_db

CLINIC_NAME = """Chiropractic & Physio <North> "Best" O'Neil"""
FIRST_NAME = """Zoë "Zee" O'Brien & Co"""
ENTITIES = ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;")
CHANNELS = ("email", "sms")


@pytest.fixture(autouse=True)
def _names_with_markup(clinic, patient, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # Quiet hours off: the reminders go the moment they are made due.
    Clinic.objects.filter(pk=clinic.pk).update(
        name=CLINIC_NAME, quiet_hours_start=datetime.time(0), quiet_hours_end=datetime.time(0)
    )
    Patient.objects.filter(pk=patient.pk).update(first_name=FIRST_NAME)
    clinic.refresh_from_db()
    patient.refresh_from_db()
    messaging.outbox.clear()


def _prefer(episode, channel: str) -> None:
    Patient.objects.filter(pk=episode.patient_id).update(preferred_contact_channel=channel)
    episode.patient.refresh_from_db()


def _start_in(days: int, clinic) -> datetime.datetime:
    today = timezone.localdate(timezone.now(), clinic.zone)
    return datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(10), tzinfo=clinic.zone)


def _book(front_desk, episode, clinician, capture):
    with capture(execute=True):
        return scheduling.appointment_book(
            actor=front_desk,
            episode=episode,
            clinician=clinician,
            starts_at=_start_in(3, episode.patient.clinic),
            override_reason="test",
        )


def _send_when_due(kind: str, subject_id: int) -> None:
    """A message owed for later, sent as its time comes: made due, then the send task runs."""
    (message,) = PatientMessage.objects.filter(kind=kind, subject_id=subject_id, status=MessageStatus.PENDING)
    PatientMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
    assert tasks.send_patient_message(message.pk) is True


def _signed_plan(episode, clinician):
    assessment = Assessment.objects.create(
        episode=episode, clinician=clinician, status=AssessmentStatus.COMPLETED, completed_at=timezone.now()
    )
    plan = TreatmentPlan.objects.create(episode=episode, assessment=assessment, created_by=clinician, weeks=6)
    PlanItem.objects.create(plan=plan, prong="exercise", name="Glute bridge", home_program=True, sets=2, reps="10")
    PlanItem.objects.create(plan=plan, prong="manipulation", name="Hip mobilisation")
    PlanItem.objects.create(plan=plan, prong="soft_tissue", name="Foam rolling", home_program=True)
    return plans.plan_sign(actor=clinician, plan=plan)


# --- Each kind, made and sent the way the app does it --------------------------------------------


def _handout_ready(*, episode, channel, capture, **_):
    _prefer(episode, channel)
    handout = signed_version(episode, []).handout
    Handout.objects.filter(pk=handout.pk).update(delivery=HandoutDelivery.OWED)
    with capture(execute=True):
        outbox.enqueue(kind=MessageKind.HANDOUT_READY, episode=episode, subject_id=handout.pk)


def _visit_notice(*, episode, channel, capture, front_desk, clinician):
    _prefer(episode, channel)
    _book(front_desk, episode, clinician, capture)


def _visit_series(*, episode, channel, capture, front_desk, clinician):
    _prefer(episode, channel)
    clinic = episode.patient.clinic
    with capture(execute=True):
        scheduling.plan_series_book(
            actor=front_desk,
            episode=episode,
            clinician=clinician,
            need=scheduling_rules.PlanNeed(visits_per_week=1, weeks=2),
            visits=[
                (_start_in(2, clinic), AppointmentKind.FOLLOW_UP),
                (_start_in(9, clinic), AppointmentKind.REASSESSMENT),
            ],
        )


def _intake_link(*, episode, channel, capture, front_desk, **_):
    with capture(execute=True):
        intake.invitation_send(actor=front_desk, episode=episode, channel=channel)


def _visit_reminder(kind: str) -> Callable:
    def send(*, episode, channel, capture, front_desk, clinician):
        _prefer(episode, channel)
        visit = _book(front_desk, episode, clinician, capture)
        mail.outbox.clear()
        messaging.outbox.clear()
        _send_when_due(kind, visit.pk)

    return send


def _intake_nudge(*, episode, channel, capture, front_desk, **_):
    _prefer(episode, channel)
    with capture(execute=True):
        invitation = intake.invitation_send(actor=front_desk, episode=episode, channel=channel)
    mail.outbox.clear()
    messaging.outbox.clear()
    _send_when_due(MessageKind.INTAKE_NUDGE, invitation.pk)


def _plan_reminder(kind: str) -> Callable:
    def send(*, episode, channel, clinician, **_):
        _prefer(episode, channel)
        version = _signed_plan(episode, clinician)
        _send_when_due(kind, version.pk)

    return send


def _contact_change(*, episode, channel, capture, **_):
    # One notice per confirmed address, both channels at once; the check reads the channel's own.
    with capture(execute=True), transaction.atomic():
        contact_changes.propose(
            patient=episode.patient, email="someone.else@example.test", mobile_phone="+13125550199", channel="email"
        )


def _follow_up(*, episode, channel, capture, clinician, **_):
    _prefer(episode, channel)
    with capture(execute=True):
        discharge.discharge_episode(actor=clinician, episode=episode, reason="goals_met", follow_up_consent=True)
    mail.outbox.clear()
    messaging.outbox.clear()
    _send_when_due(MessageKind.FOLLOW_UP, FollowUp.objects.get(episode=episode, kind=FollowUpKind.FOLLOW_UP).pk)


def _run_morning(*, episode, channel, capture, **_):
    _prefer(episode, channel)
    feel = runs.Feel(pain_before=0, pain_during=1, rpe=3, swelling_or_stiffness=False)
    with capture(execute=True):
        run = runs.log_run(
            episode=episode, local_date=runs.local_today(episode), distance_m=3000, moving_s=1200, feel=feel
        )
    _send_when_due(MessageKind.RUN_MORNING, run.pk)


SEND: dict[str, Callable] = {
    MessageKind.HANDOUT_READY: _handout_ready,
    MessageKind.VISIT_NOTICE: _visit_notice,
    MessageKind.VISIT_SERIES: _visit_series,
    MessageKind.INTAKE_LINK: _intake_link,
    MessageKind.FIRST: _visit_reminder(MessageKind.FIRST),
    MessageKind.SECOND: _visit_reminder(MessageKind.SECOND),
    MessageKind.INTAKE_NUDGE: _intake_nudge,
    MessageKind.CHECK_IN: _plan_reminder(MessageKind.CHECK_IN),
    MessageKind.REASSESSMENT: _plan_reminder(MessageKind.REASSESSMENT),
    MessageKind.CONTACT_CHANGE: _contact_change,
    MessageKind.FOLLOW_UP: _follow_up,
    MessageKind.RUN_MORNING: _run_morning,
}

# Where the shipped wording greets the patient by first name; every message names the clinic.
GREETS_BY_NAME = {
    (MessageKind.VISIT_SERIES, "email"),
    (MessageKind.INTAKE_LINK, "email"),
    (MessageKind.FIRST, "email"),
    (MessageKind.SECOND, "email"),
    (MessageKind.INTAKE_NUDGE, "email"),
    (MessageKind.CHECK_IN, "email"),
    (MessageKind.REASSESSMENT, "email"),
    (MessageKind.FOLLOW_UP, "email"),
    (MessageKind.RUN_MORNING, "email"),
}


def test_every_kind_of_message_is_covered():
    # A kind added later fails here until it has a way to be sent above.
    assert set(SEND) == set(MessageKind)


def _sent(channel: str) -> tuple[str, str]:
    """(subject, body) of the one message sent by the channel; a text message has no subject."""
    if channel == "sms":
        (text,) = messaging.outbox
        return "", text["body"]
    (message,) = mail.outbox
    for html, mimetype in getattr(message, "alternatives", []):
        # An HTML part is markup: there the names must be escaped.
        assert mimetype == "text/html"
        assert escape(CLINIC_NAME) in html
    return message.subject, message.body


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", list(MessageKind))
def test_names_reach_the_patient_as_written(
    kind, channel, episode, front_desk, clinician, django_capture_on_commit_callbacks
):
    SEND[kind](
        episode=episode,
        channel=channel,
        capture=django_capture_on_commit_callbacks,
        front_desk=front_desk,
        clinician=clinician,
    )
    if kind == MessageKind.CONTACT_CHANGE:
        # Both addresses are told at once; keep only the channel under test.
        if channel == "sms":
            mail.outbox.clear()
        else:
            messaging.outbox.clear()
    else:
        other = mail.outbox if channel == "sms" else messaging.outbox
        assert other == [], "sent by the other channel"
    subject, body = _sent(channel)
    text = f"{subject}\n{body}"
    assert CLINIC_NAME in text
    if (kind, channel) in GREETS_BY_NAME:
        assert FIRST_NAME in body
    assert [entity for entity in ENTITIES if entity in text] == []


@pytest.mark.parametrize("kind", list(MessageKind))
def test_stopping_reminders_does_what_the_page_promises(
    kind, episode, front_desk, clinician, django_capture_on_commit_callbacks
):
    # The stop-reminders page lists each kind under "What stops" or "What still arrives"
    # (outbox_rules.opt_out_covers); a patient who stopped reminders gets exactly the second.
    stops, still = outbox_rules.opt_out_covers(MessageKind.values)
    promised_to_arrive = outbox_rules.PATIENT_WORDS[kind] in still
    assert promised_to_arrive != (outbox_rules.PATIENT_WORDS[kind] in stops)
    Patient.objects.filter(pk=episode.patient_id).update(reminders_opted_out_at=timezone.now())
    episode.patient.refresh_from_db()

    try:
        SEND[kind](
            episode=episode,
            channel="email",
            capture=django_capture_on_commit_callbacks,
            front_desk=front_desk,
            clinician=clinician,
        )
    except AssertionError:
        # A reminder's send task reports that it did not send.
        assert not promised_to_arrive
    sent = bool(mail.outbox)
    assert sent == promised_to_arrive, f"{kind}: promised {'to arrive' if promised_to_arrive else 'to stop'}"
