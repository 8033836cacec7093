"""An intake link reaches the patient only once its hash is committed, and at most once."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from clinic import messaging
from clinic.outbox import dispatch, tasks
from clinic.outbox.models import MessageKind, MessageStatus, MessageWording, PatientMessage
from intake import services, tokens
from intake.models import IntakeInvitation
from tests.intake.helpers import last_link, token_of


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no handler catches it."""


def _hash_in(body: str) -> str:
    link = re.search(r"/intake/([^/\s]+)/", body).group(1)
    return tokens.hash_of_link_token(link)


@pytest.mark.django_db(transaction=True)
def test_the_links_hash_is_committed_before_the_message_is_sent(episode, front_desk, monkeypatch):
    """With real commits (no test transaction around the test), the send runs outside any
    transaction and the link's hash is already stored: committed, as nothing else could be."""
    real = messaging.send_to_patient
    seen = []

    def send(**kwargs):
        seen.append(
            (
                connection.in_atomic_block,
                IntakeInvitation.objects.filter(token_hash=_hash_in(kwargs["body"])).exists(),
            )
        )
        return real(**kwargs)

    monkeypatch.setattr(messaging, "send_to_patient", send)
    services.invitation_send(actor=front_desk, episode=episode, channel="email")
    assert seen == [(False, True)]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_link_sent_by_a_worker_killed_before_recording_it_works_and_is_not_sent_again(
    episode, front_desk, monkeypatch, django_capture_on_commit_callbacks
):
    real = messaging.send_to_patient

    def send_then_die(**kwargs):
        real(**kwargs)
        raise WorkerKilled

    monkeypatch.setattr(messaging, "send_to_patient", send_then_die)
    invitation = services.invitation_send(actor=front_desk, episode=episode, channel="email")
    message = PatientMessage.objects.get(kind=MessageKind.INTAKE_LINK, subject_id=invitation.pk)
    with pytest.raises(WorkerKilled):
        dispatch.deliver(message_id=message.pk)
    monkeypatch.undo()
    # Redelivered to another worker: nothing more is sent.
    assert tasks.send_patient_message(message.pk) is False
    PatientMessage.objects.filter(pk=message.pk).update(sending_at=timezone.now() - datetime.timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.dispatch_patient_messages()
        tasks.dispatch_patient_messages()
    message.refresh_from_db()
    assert (message.status, message.reason) == (MessageStatus.FAILED, dispatch.INTERRUPTED)
    assert len(mail.outbox) == 1
    # The link that may have arrived works: it opens the form's first step.
    opened = Client().get(last_link())
    assert (opened.status_code, opened.url) == (302, f"{last_link()}step/about/")
    assert IntakeInvitation.objects.get(pk=invitation.pk).token_hash == tokens.hash_of_link_token(token_of(last_link()))


@pytest.mark.django_db
def test_a_refused_link_is_taken_back(episode, front_desk, monkeypatch):
    def refuse(**kwargs):
        raise messaging.PermanentDeliveryError("The provider refused the address.")

    monkeypatch.setattr(messaging, "send_to_patient", refuse)
    invitation = services.invitation_send(actor=front_desk, episode=episode, channel="email")
    message = PatientMessage.objects.get(kind=MessageKind.INTAKE_LINK, subject_id=invitation.pk)
    assert dispatch.deliver(message_id=message.pk) is False
    invitation.refresh_from_db()
    assert (invitation.token_hash, invitation.sent_at) == (None, None)
    assert invitation.last_error == "The provider refused the address."
    assert PatientMessage.objects.get(pk=message.pk).status == MessageStatus.FAILED


@pytest.mark.django_db
def test_the_clinics_own_wording_is_used_and_always_carries_the_link(episode, front_desk):
    MessageWording.objects.create(
        clinic=episode.patient.clinic,
        kind="intake_link",
        subject="Your form, {first_name}",
        body="Hello {first_name}, please fill in our form before {valid_until}.",
        sms_body="Form: {link}",
    )
    invitation = services.invitation_send(actor=front_desk, episode=episode, channel="email")
    dispatch.deliver(message_id=PatientMessage.objects.get(kind=MessageKind.INTAKE_LINK, subject_id=invitation.pk).pk)
    (message,) = mail.outbox
    assert message.subject == f"Your form, {episode.patient.first_name}"
    assert message.body.startswith(f"Hello {episode.patient.first_name}, please fill in our form before ")
    # The clinic's words left the link out: it is added, and it works.
    assert Client().get(last_link()).status_code == 302
