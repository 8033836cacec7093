"""Signing a plan owes the patient a home-program check-in and, near the plan's end, a
re-assessment reminder; each is skipped when it is no longer needed."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from assessments.models import Assessment, AssessmentStatus
from clinic.outbox import dispatch
from clinic.outbox.models import PLAN_REMINDERS, MessageStatus, PatientMessage
from clinic.portal.models import HomeProgramCheckIn
from clinic.scheduling import services as scheduling
from plans import services
from plans.models import PlanItem, TreatmentPlan


@pytest.fixture(autouse=True)
def _no_quiet_hours(clinic):
    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0, 0)
    clinic.save()


def _signed(episode, clinician, *, weeks=6):
    assessment = Assessment.objects.create(
        episode=episode, clinician=clinician, status=AssessmentStatus.COMPLETED, completed_at=timezone.now()
    )
    plan = TreatmentPlan.objects.create(episode=episode, assessment=assessment, created_by=clinician, weeks=weeks)
    PlanItem.objects.create(plan=plan, prong="exercise", name="Glute bridge", home_program=True, sets=2, reps="10")
    PlanItem.objects.create(plan=plan, prong="manipulation", name="Hip mobilisation")
    PlanItem.objects.create(plan=plan, prong="soft_tissue", name="Foam rolling", home_program=True)
    return services.plan_sign(actor=clinician, plan=plan)


def _row(version, kind):
    return PatientMessage.objects.get(kind=kind, subject_id=version.pk)


def _statuses(version) -> set[str]:
    rows = PatientMessage.objects.filter(kind__in=PLAN_REMINDERS, subject_id=version.pk)
    return set(rows.values_list("status", flat=True))


def _deliver_now(version, kind) -> bool:
    """Send the reminder as if its day had come: the outbox sends nothing before it is due."""
    message = _row(version, kind)
    PatientMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
    return dispatch.deliver(message_id=message.pk)


def test_signing_owes_a_check_in_and_a_reassessment_reminder_at_the_clinic_thresholds(episode, clinician):
    version = _signed(episode, clinician, weeks=6)
    check_in, reassessment = _row(version, "check_in"), _row(version, "reassessment")
    assert check_in.due_at == version.signed_at + datetime.timedelta(days=3)
    # The rule: the plan ends its weeks after signing; the reminder comes 7 days before that.
    assert reassessment.due_at == version.signed_at + datetime.timedelta(weeks=6) - datetime.timedelta(days=7)
    assert {check_in.episode, reassessment.episode} == {episode}


def test_the_check_in_carries_a_fresh_portal_link(client, episode, clinician):
    version = _signed(episode, clinician)
    mail.outbox.clear()
    assert _deliver_now(version, "check_in") is True
    [message] = mail.outbox
    path = re.search(r"https?://[^/\s]+(/portal/[^/\s]+/)", message.body).group(1)
    assert client.get(path).status_code == 200


def test_the_check_in_is_skipped_when_the_patient_is_already_logging(episode, clinician):
    version = _signed(episode, clinician)
    HomeProgramCheckIn.objects.create(version=version, day=timezone.localdate(), done_items=[0], pain=3)
    mail.outbox.clear()
    assert _deliver_now(version, "check_in") is False
    row = _row(version, "check_in")
    assert (row.status, row.reason) == (
        MessageStatus.SKIPPED,
        "The patient is already logging the home program.",
    )
    assert not mail.outbox


def test_the_reassessment_reminder_is_skipped_when_a_reassessment_is_booked(episode, clinician, front_desk):
    version = _signed(episode, clinician)
    scheduling.appointment_book(
        actor=front_desk,
        episode=episode,
        clinician=clinician,
        starts_at=timezone.now() + datetime.timedelta(days=30),
        kind="reassessment",
        override_reason="test",
    )
    mail.outbox.clear()
    assert _deliver_now(version, "reassessment") is False
    assert _row(version, "reassessment").reason == "A re-assessment is booked."
    assert not any("re-assessment" in message.subject for message in mail.outbox)


def test_the_reassessment_reminder_asks_to_book_when_none_is_booked(episode, clinician):
    version = _signed(episode, clinician)
    mail.outbox.clear()
    assert _deliver_now(version, "reassessment") is True
    [message] = mail.outbox
    assert message.subject.startswith("Time to book your re-assessment")


def test_a_new_version_supersedes_the_earlier_versions_reminders(episode, clinician):
    first = _signed(episode, clinician)
    plan = first.plan
    TreatmentPlan.objects.filter(pk=plan.pk).update(weeks=8, status="draft")
    second = services.plan_sign(actor=clinician, plan=plan)
    assert _statuses(first) == {MessageStatus.CANCELLED}
    assert _statuses(second) == {MessageStatus.PENDING}
