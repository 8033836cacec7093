"""The notice of a contact change asked for, sent through the outbox: one message per confirmed
address, each to the address on record when the change was asked for, at most once; the
change keeps a copy of the outcome and a failure reaches the front desk's list."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from clinic import messaging
from clinic.contact_changes import services as contact_changes
from clinic.models import ContactChange, ContactChangeNotice, Patient
from clinic.outbox import dispatch, rules, services, tasks
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.permissions import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OLD_EMAIL = "robin.old@example.test"
OLD_PHONE = "+13125550100"
NEW_EMAIL = "someone.else@example.test"
NEW_PHONE = "+13125550199"
FAILED_PAGE = "/messages/failed/"


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no handler catches it."""


@pytest.fixture(autouse=True)
def _confirmed_addresses(patient):
    Patient.objects.filter(pk=patient.pk).update(
        email=OLD_EMAIL, mobile_phone=OLD_PHONE, preferred_contact_channel="email"
    )
    patient.refresh_from_db()
    mail.outbox.clear()
    messaging.outbox.clear()


def _propose(patient, *, email=NEW_EMAIL, mobile_phone=NEW_PHONE) -> ContactChange:
    with transaction.atomic():
        return contact_changes.propose(patient=patient, email=email, mobile_phone=mobile_phone, channel="email")


def _messages(change) -> dict[str, PatientMessage]:
    rows = PatientMessage.objects.filter(kind=MessageKind.CONTACT_CHANGE, subject_id=change.pk)
    return {row.channel: row for row in rows}


def test_one_message_per_confirmed_address_for_the_patient_not_an_episode(patient):
    change = _propose(patient)

    messages = _messages(change)
    assert set(messages) == {"email", "sms"}
    assert {(row.patient_id, row.episode_id, row.status) for row in messages.values()} == {
        (patient.pk, None, MessageStatus.QUEUED)
    }
    # Owing it again for an address still waiting adds nothing.
    again = services.enqueue(kind=MessageKind.CONTACT_CHANGE, patient=patient, subject_id=change.pk, channel="sms")
    assert again.pk == messages["sms"].pk


def test_the_notice_goes_to_the_addresses_confirmed_when_it_was_asked_for(patient, front_desk):
    change = _propose(patient)
    # Confirmed before the notice went: the record holds the new addresses by then.
    contact_changes.confirm(actor=front_desk, change=change)

    for message in _messages(change).values():
        assert dispatch.deliver(message_id=message.pk) is True

    assert [message.to for message in mail.outbox] == [[OLD_EMAIL]]
    assert mail.outbox[0].subject == f"{patient.clinic.name}: a change to your contact details"
    assert [text["to"] for text in messaging.outbox] == [OLD_PHONE]
    assert {row.channel for row in _messages(change).values() if row.status == MessageStatus.SENT} == {"email", "sms"}
    change.refresh_from_db()
    assert change.notice == ContactChangeNotice.SENT


def test_the_clinics_phone_number_is_given_when_it_has_one(patient):
    clinic = patient.clinic
    clinic.phone = "+13125550111"
    clinic.save()
    change = _propose(patient, mobile_phone=OLD_PHONE)

    dispatch.deliver(message_id=_messages(change)["email"].pk)

    (message,) = mail.outbox
    assert message.body == (
        f"{clinic.name}: someone used your form link to ask us to change the e-mail address or mobile number we "
        "hold for you. We keep using this one until our staff have checked the change with you. If you did not "
        f"ask for it, please call us on {clinic.phone.as_national}."
    )


def test_without_consent_each_message_is_skipped_and_the_change_says_not_sent(patient):
    Patient.objects.filter(pk=patient.pk).update(contact_consent=False)
    change = _propose(patient)

    for message in _messages(change).values():
        assert dispatch.deliver(message_id=message.pk) is False

    assert {(row.status, row.reason) for row in _messages(change).values()} == {
        (MessageStatus.SKIPPED, rules.NO_CONSENT)
    }
    change.refresh_from_db()
    assert (change.notice, change.notice_error) == (ContactChangeNotice.NOT_SENT, rules.NO_CONSENT)
    assert not mail.outbox
    assert not messaging.outbox


def test_a_worker_killed_after_the_provider_took_it_sends_nothing_more(
    patient, front_desk, monkeypatch, django_capture_on_commit_callbacks
):
    change = _propose(patient, mobile_phone=OLD_PHONE)
    (message,) = _messages(change).values()
    real = messaging.send_to_patient

    def send_then_die(**kwargs):
        real(**kwargs)
        raise WorkerKilled

    monkeypatch.setattr(messaging, "send_to_patient", send_then_die)
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
    change.refresh_from_db()
    assert (change.notice, change.notice_error) == (ContactChangeNotice.FAILED, dispatch.INTERRUPTED)


def test_a_failed_notice_is_on_the_failure_page_of_the_patients_clinic_only(
    client, patient, front_desk, other_clinic, monkeypatch
):
    def refuse(**kwargs):
        raise messaging.PermanentDeliveryError("The provider refused the number.")

    change = _propose(patient, email=OLD_EMAIL)
    monkeypatch.setattr(messaging, "send_to_patient", refuse)
    assert dispatch.deliver(message_id=_messages(change)["sms"].pk) is False
    change.refresh_from_db()
    assert (change.notice, change.notice_error) == (ContactChangeNotice.FAILED, "The provider refused the number.")

    client.force_login(front_desk)
    html = client.get(FAILED_PAGE).content.decode()
    assert patient.full_name in html
    assert "Contact details change asked for" in html
    assert "The provider refused the number." in html

    client.force_login(UserFactory(clinic=other_clinic, roles=[Role.FRONT_DESK]))
    html = client.get(FAILED_PAGE).content.decode()
    assert patient.full_name not in html
    assert "The provider refused the number." not in html
