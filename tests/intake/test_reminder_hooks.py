"""The intake's hooks into reminders: a nudge is owed after a link is sent, and goes when the
intake is submitted, the link revoked or a new link sent."""

from __future__ import annotations

import datetime

from django.core import mail
from django.utils import timezone

from clinic.models import Patient
from clinic.outbox import dispatch
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from intake import services
from tests.intake.helpers import born_aged, complete_intake, latest_invitation, send_invitation


def _nudges():
    return PatientMessage.objects.filter(kind=MessageKind.INTAKE_NUDGE).order_by("id")


def _deliver_now(nudge: PatientMessage) -> bool:
    """Send the nudge as if its days had passed: the outbox sends nothing before it is due."""
    PatientMessage.objects.filter(pk=nudge.pk).update(due_at=timezone.now())
    return dispatch.deliver(message_id=nudge.pk)


def _no_quiet_hours(clinic):
    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0, 0)
    clinic.save()


def test_sending_a_link_owes_a_nudge_at_the_clinics_day_threshold(episode, front_desk, clinic):
    _no_quiet_hours(clinic)
    send_invitation(episode, actor=front_desk)
    invitation = latest_invitation(episode)
    [nudge] = _nudges()
    assert (nudge.subject_id, nudge.episode, nudge.status) == (invitation.pk, episode, MessageStatus.PENDING)
    assert nudge.due_at == invitation.created_at + datetime.timedelta(days=3)


def test_the_unfinished_intake_is_nudged_once_the_days_have_passed(episode, front_desk, clinic):
    _no_quiet_hours(clinic)
    send_invitation(episode, actor=front_desk)
    mail.outbox.clear()
    [nudge] = _nudges()
    assert _deliver_now(nudge) is True
    [message] = mail.outbox
    assert message.subject == f"Please finish your form for {clinic.name}"
    assert "It is not finished yet" in message.body
    assert "/intake/" not in message.body  # the raw intake token exists only in the first message


def test_resending_the_link_replaces_the_nudge(episode, front_desk):
    send_invitation(episode, actor=front_desk)
    send_invitation(episode, actor=front_desk)
    first, second = _nudges()
    assert first.status == MessageStatus.CANCELLED
    assert first.reason == "A new intake link was sent."
    assert second.status == MessageStatus.PENDING
    assert second.subject_id == latest_invitation(episode).pk


def test_revoking_the_link_cancels_its_nudge(episode, front_desk):
    send_invitation(episode, actor=front_desk)
    services.invitation_revoke(actor=front_desk, invitation=latest_invitation(episode))
    assert _nudges().get().status == MessageStatus.CANCELLED


def test_submitting_the_intake_cancels_the_nudge(client, patient, episode, front_desk):
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=born_aged(35))
    link = send_invitation(episode, actor=front_desk)
    assert complete_intake(client, link).status_code == 302
    nudge = _nudges().get()
    assert (nudge.status, nudge.reason) == (MessageStatus.CANCELLED, "The intake is submitted.")


def test_a_nudge_due_after_a_submission_it_missed_is_not_sent(episode, front_desk, clinic):
    # Quiet hours all day but a minute: a nudge no longer wanted is settled at once, not held.
    clinic.quiet_hours_start, clinic.quiet_hours_end = datetime.time(0, 1), datetime.time(0, 0)
    clinic.save()
    send_invitation(episode, actor=front_desk)
    nudge = _nudges().get()
    intake = latest_invitation(episode).intake
    type(intake).objects.filter(pk=intake.pk).update(status="submitted", submitted_at=timezone.now())
    mail.outbox.clear()
    assert _deliver_now(nudge) is False
    assert _nudges().get().status == MessageStatus.CANCELLED
    assert not mail.outbox


def test_no_nudge_when_the_clinic_sets_zero_days(episode, front_desk, clinic):
    clinic.thresholds.create(key="intake_nudge_days", value=0)
    send_invitation(episode, actor=front_desk)
    assert not _nudges().exists()
