"""Contact details a patient changes through the intake link: held until a front-desk user or
clinician confirms them on the patient page, the confirmed addresses told meanwhile (no
details, no link), messages still going to the confirmed addresses, every step audited."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from clinic import messaging
from clinic.contact_changes import services as contact_changes
from clinic.models import AuditEvent, ContactChange, ContactChangeNotice, ContactChangeStatus, Patient
from clinic.outbox import dispatch
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.permissions import Role
from clinic.rules import ContactDecision, ContactDetails, contact_decision
from tests.factories import UserFactory
from tests.intake.helpers import born_aged, complete_intake, send_invitation

OLD_EMAIL = "robin.old@example.test"
OLD_PHONE = "+13125550100"
NEW_EMAIL = "someone.else@example.test"
NEW_PHONE = "+13125550199"


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    messaging.outbox.clear()


@pytest.mark.parametrize(
    ("current", "proposed", "expected"),
    [
        # Nothing changed.
        (("a@x.test", "+1312", "email"), ("a@x.test", "+1312", "email"), (False, False, ())),
        # The channel alone, between confirmed addresses: at once, nobody to warn.
        (("a@x.test", "+1312", "email"), ("a@x.test", "+1312", "sms"), (True, False, ())),
        # A new e-mail: held; the old e-mail is told.
        (("a@x.test", "+1312", "email"), ("b@x.test", "+1312", "email"), (False, True, ("email",))),
        # A new number: held; the old number is told.
        (("a@x.test", "+1312", "sms"), ("a@x.test", "+1399", "sms"), (False, True, ("sms",))),
        # Both: both old addresses are told.
        (("a@x.test", "+1312", "email"), ("b@x.test", "+1399", "sms"), (False, True, ("email", "sms"))),
        # An address added where there was none, with a switch to it: held; the address in use is told.
        (("a@x.test", "", "email"), ("a@x.test", "+1399", "sms"), (False, True, ("email",))),
        # An address removed: held too.
        (("a@x.test", "+1312", "email"), ("a@x.test", "", "email"), (False, True, ("sms",))),
    ],
)
def test_contact_decision(current, proposed, expected):
    apply_now, hold, tell = expected
    assert contact_decision(ContactDetails(*current), ContactDetails(*proposed)) == ContactDecision(
        apply_now=apply_now, hold=hold, tell=tell
    )


@pytest.fixture
def link(patient, episode, front_desk):
    Patient.objects.filter(pk=patient.pk).update(
        date_of_birth=born_aged(35), email=OLD_EMAIL, mobile_phone=OLD_PHONE, preferred_contact_channel="email"
    )
    return send_invitation(episode, actor=front_desk)


def _submit(client, link, django_capture_on_commit_callbacks, **about):
    mail.outbox.clear()
    messaging.outbox.clear()
    answers = {"about": {"email": OLD_EMAIL, "mobile_phone": OLD_PHONE, "preferred_contact_channel": "email", **about}}
    with django_capture_on_commit_callbacks(execute=True):
        complete_intake(Client(), link, answers=answers)


def test_new_details_from_the_link_are_held_and_the_old_addresses_told(
    client, link, patient, django_capture_on_commit_callbacks
):
    _submit(client, link, django_capture_on_commit_callbacks, email=NEW_EMAIL, mobile_phone=NEW_PHONE)

    patient.refresh_from_db()
    assert (patient.email, str(patient.mobile_phone)) == (OLD_EMAIL, OLD_PHONE)
    change = ContactChange.objects.get(patient=patient)
    assert change.status == ContactChangeStatus.PENDING
    assert change.notice == ContactChangeNotice.SENT
    # The old e-mail address and the old number heard of it; nothing went to the new ones.
    notices = [message for message in mail.outbox if "contact details" in message.subject]
    assert [message.to for message in notices] == [[OLD_EMAIL]]
    assert [text["to"] for text in messaging.outbox] == [OLD_PHONE]
    assert "change the e-mail address or mobile" in notices[0].body
    assert "change the contact details" in messaging.outbox[0]["body"]  # shorter, for one text message
    for body in [notices[0].body, messaging.outbox[0]["body"]]:
        assert NEW_EMAIL not in body
        assert NEW_PHONE not in body
        assert "http" not in body  # no link
        assert patient.last_name not in body
        assert patient.first_name not in body
    assert all(NEW_EMAIL not in message.to for message in mail.outbox)
    # Messages keep going to the confirmed address.
    messaging.send_to_patient(patient=patient, subject="Reminder", body="Your visit is tomorrow.")
    assert mail.outbox[-1].to == [OLD_EMAIL]
    actions = set(AuditEvent.objects.filter(patient_id=patient.pk).values_list("action", "actor"))
    assert ("patient.contact_change_requested", None) in actions
    assert ("patient.contact_change_notice_sent", None) in actions


def test_a_channel_change_alone_applies_at_once(client, link, patient, django_capture_on_commit_callbacks):
    _submit(client, link, django_capture_on_commit_callbacks, preferred_contact_channel="sms")

    patient.refresh_from_db()
    assert patient.preferred_contact_channel == "sms"
    assert not ContactChange.objects.exists()


def test_without_consent_to_messages_nobody_is_told_but_the_change_still_waits(
    client, link, patient, django_capture_on_commit_callbacks
):
    Patient.objects.filter(pk=patient.pk).update(contact_consent=False)

    _submit(client, link, django_capture_on_commit_callbacks, email=NEW_EMAIL)

    change = ContactChange.objects.get(patient=patient)
    assert (change.status, change.notice) == (ContactChangeStatus.PENDING, ContactChangeNotice.NOT_SENT)
    assert not [message for message in mail.outbox if "contact details" in message.subject]


@pytest.fixture
def change(client, link, patient, django_capture_on_commit_callbacks):
    _submit(
        client,
        link,
        django_capture_on_commit_callbacks,
        email=NEW_EMAIL,
        mobile_phone=NEW_PHONE,
        preferred_contact_channel="sms",
    )
    return ContactChange.objects.get(patient=patient)


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
def test_the_patient_page_shows_the_change_and_staff_confirm_it(client, clinic, patient, change, role):
    staff = UserFactory(clinic=clinic, roles=[role])
    client.force_login(staff)

    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Contact details changed in the intake" in page
    assert NEW_EMAIL in page
    assert OLD_EMAIL in page
    assert "Confirm the new details" in page
    assert "Keep the old details" in page

    response = client.post(f"/patients/{patient.pk}/contact-change/{change.pk}/", {"decision": "confirm"}, follow=True)

    assert "messages go to them from now on" in response.content.decode()
    assert "Contact details changed in the intake" not in response.content.decode()
    patient.refresh_from_db()
    assert (patient.email, str(patient.mobile_phone), patient.preferred_contact_channel) == (
        NEW_EMAIL,
        NEW_PHONE,
        "sms",
    )
    change.refresh_from_db()
    assert (change.status, change.decided_by) == (ContactChangeStatus.CONFIRMED, staff)
    row = AuditEvent.objects.get(action="patient.contact_change_confirmed")
    assert (row.actor, row.patient_id) == (staff, patient.pk)
    assert set(row.changed_fields) == {"email", "mobile_phone", "preferred_contact_channel"}
    messaging.send_to_patient(patient=patient, subject="Reminder", body="Your visit is tomorrow.")
    assert messaging.outbox[-1]["to"] == NEW_PHONE


def test_keeping_the_old_details(client, patient, front_desk, change):
    client.force_login(front_desk)

    client.post(f"/patients/{patient.pk}/contact-change/{change.pk}/", {"decision": "keep"})

    patient.refresh_from_db()
    assert (patient.email, str(patient.mobile_phone), patient.preferred_contact_channel) == (
        OLD_EMAIL,
        OLD_PHONE,
        "email",
    )
    change.refresh_from_db()
    assert change.status == ContactChangeStatus.KEPT_OLD
    assert AuditEvent.objects.filter(action="patient.contact_change_declined", actor=front_desk).exists()
    # Decided once: a second answer changes nothing and says why.
    response = client.post(f"/patients/{patient.pk}/contact-change/{change.pk}/", {"decision": "confirm"}, follow=True)
    assert "already dealt with" in response.content.decode()
    patient.refresh_from_db()
    assert patient.email == OLD_EMAIL


def test_who_may_not_decide(client, clinic, patient, change, clinic_admin, other_clinic):
    client.force_login(clinic_admin)
    assert (
        client.post(f"/patients/{patient.pk}/contact-change/{change.pk}/", {"decision": "confirm"}).status_code == 403
    )
    assert "Confirm the new details" not in client.get(f"/patients/{patient.pk}/").content.decode()
    client.force_login(UserFactory(clinic=other_clinic, roles=[Role.FRONT_DESK]))
    assert (
        client.post(f"/patients/{patient.pk}/contact-change/{change.pk}/", {"decision": "confirm"}).status_code == 404
    )
    assert client.get(f"/patients/{patient.pk}/contact-change/{change.pk}/").status_code in (404, 405)
    change.refresh_from_db()
    assert change.status == ContactChangeStatus.PENDING


def test_a_later_change_replaces_the_pending_one(patient, change):
    with transaction.atomic():
        later = contact_changes.propose(
            patient=patient, email="third@example.test", mobile_phone=OLD_PHONE, channel="email"
        )

    change.refresh_from_db()
    assert change.status == ContactChangeStatus.REPLACED
    assert later.status == ContactChangeStatus.PENDING


def test_the_database_refuses_two_pending_changes_or_an_undated_decision(patient, change):
    fields = {
        "patient": patient,
        "email": "x@example.test",
        "preferred_contact_channel": "email",
        "old_preferred_contact_channel": "email",
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactChange.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactChange.objects.create(**fields, status=ContactChangeStatus.CONFIRMED)
    ContactChange.objects.create(**fields, status=ContactChangeStatus.CONFIRMED, decided_at=timezone.now())


def test_a_transient_failure_does_not_send_again_what_went(link, patient, monkeypatch):
    """Each confirmed address is told by a message of its own: after the e-mail went and the
    text message failed for now, the retry sends only the text message."""
    mail.outbox.clear()
    messaging.outbox.clear()
    with transaction.atomic():
        change = contact_changes.propose(patient=patient, email=NEW_EMAIL, mobile_phone=NEW_PHONE, channel="email")
    notices = PatientMessage.objects.filter(kind=MessageKind.CONTACT_CHANGE, subject_id=change.pk)
    by_channel = dict(notices.values_list("channel", "pk"))
    real = messaging.send_to_patient

    def text_down(**kwargs):
        if kwargs["channel"] == "sms":
            raise messaging.TransientDeliveryError("Twilio could not be reached.")
        return real(**kwargs)

    monkeypatch.setattr(messaging, "send_to_patient", text_down)
    assert dispatch.deliver(message_id=by_channel["email"]) is True
    with pytest.raises(messaging.TransientDeliveryError):
        dispatch.deliver(message_id=by_channel["sms"])
    monkeypatch.setattr(messaging, "send_to_patient", real)
    change.refresh_from_db()
    assert change.notice == ContactChangeNotice.OWED

    assert dispatch.deliver(message_id=by_channel["sms"]) is True

    assert [message.to for message in mail.outbox] == [[OLD_EMAIL]]
    assert [text["to"] for text in messaging.outbox] == [OLD_PHONE]
    assert dispatch.deliver(message_id=by_channel["email"]) is False
    assert dispatch.deliver(message_id=by_channel["sms"]) is False
    change.refresh_from_db()
    assert change.notice == ContactChangeNotice.SENT
    assert set(notices.values_list("status", flat=True)) == {MessageStatus.SENT}
