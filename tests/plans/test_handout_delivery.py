"""A ready handout is sent to the patient once, by their channel, with a fresh portal link."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import messaging
from clinic.models import AuditEvent, ContactChannel
from clinic.outbox import dispatch
from clinic.outbox import services as outbox
from clinic.outbox import tasks as outbox_tasks
from clinic.outbox.models import MessageKind, MessageWording, PatientMessage
from clinic.portal.models import PortalLink
from plans import handouts, services
from plans.models import Handout, HandoutDelivery, HandoutStatus, PlanItem, PlanStatus
from tests.plans.handout_helpers import plan_of, signed_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_outbox(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    messaging.outbox.clear()


def _sign(plan, clinician, capture):
    with capture(execute=True):
        return services.plan_sign(actor=clinician, plan=plan)


@pytest.fixture
def draft(episode, clinician):
    plan = plan_of(episode)
    PlanItem.objects.create(plan=plan, prong="exercise", name="Glute bridge", home_program=True, frequency="daily")
    PlanItem.objects.create(plan=plan, prong="manipulation", name="Hip mobilisation")
    PlanItem.objects.create(plan=plan, prong="soft_tissue", name="Foam rolling", home_program=True)
    return plan


def _message_of(handout) -> PatientMessage:
    return PatientMessage.objects.get(kind=MessageKind.HANDOUT_READY, subject_id=handout.pk)


def _owe(handout) -> PatientMessage:
    """The handout's message owed, as a render that just finished leaves it."""
    Handout.objects.filter(pk=handout.pk).update(delivery=HandoutDelivery.OWED)
    return outbox.enqueue(kind=MessageKind.HANDOUT_READY, episode=handout.version.plan.episode, subject_id=handout.pk)


def _link_in(body: str) -> str:
    match = re.search(r"https?://\S+/portal/\S+/", body)
    assert match, body
    return urlsplit(match.group(0)).path


def test_signing_sends_the_patient_a_portal_link_by_email_once(
    client, draft, clinician, patient, django_capture_on_commit_callbacks
):
    version = _sign(draft, clinician, django_capture_on_commit_callbacks)
    handout = Handout.objects.get(version=version)
    assert (handout.status, handout.delivery, handout.delivery_channel) == (
        HandoutStatus.READY,
        HandoutDelivery.SENT,
        ContactChannel.EMAIL,
    )
    assert handout.delivered_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [patient.email]
    assert message.attachments == []
    assert "Glute bridge" in client.get(_link_in(message.body)).content.decode()
    sent = AuditEvent.objects.get(action="handout.sent")
    assert (sent.actor_id, sent.patient_id) == (None, patient.pk)

    # A duplicate task message sends nothing.
    message = _message_of(handout)
    assert dispatch.deliver(message_id=message.pk) is False
    assert outbox_tasks.send_patient_message(message.pk) is False
    assert len(mail.outbox) == 1
    assert PortalLink.objects.count() == 1


def test_the_pdf_is_attached_when_the_clinic_chose_it(draft, clinician, patient, django_capture_on_commit_callbacks):
    patient.clinic.email_handout_attachment = True
    patient.clinic.save()
    _sign(draft, clinician, django_capture_on_commit_callbacks)
    [(name, content, mimetype)] = mail.outbox[0].attachments
    assert (name, mimetype) == ("home-program-v1.pdf", "application/pdf")
    assert content.startswith(b"%PDF")


def test_a_text_message_carries_the_link_and_no_attachment(
    client, draft, clinician, patient, django_capture_on_commit_callbacks
):
    patient.clinic.email_handout_attachment = True
    patient.clinic.save()
    patient.preferred_contact_channel = ContactChannel.SMS
    patient.save()
    version = _sign(draft, clinician, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    [sms] = messaging.outbox
    assert sms["to"] == str(patient.mobile_phone)
    assert client.get(_link_in(sms["body"])).status_code == 200
    assert Handout.objects.get(version=version).delivery_channel == ContactChannel.SMS


def test_without_consent_nothing_is_sent_and_the_clinician_sees_why(
    client, draft, clinician, patient, django_capture_on_commit_callbacks
):
    patient.contact_consent = False
    patient.save()
    version = _sign(draft, clinician, django_capture_on_commit_callbacks)
    handout = Handout.objects.get(version=version)
    assert handout.delivery == HandoutDelivery.NOT_SENT
    assert mail.outbox == []
    assert messaging.outbox == []
    assert PortalLink.objects.count() == 0
    client.force_login(clinician)
    page = client.get(f"/plans/{draft.pk}/versions/1/").content.decode()
    assert "The patient has not agreed to messages." in page


def test_a_permanent_failure_is_recorded_without_keeping_the_unsent_link(
    client, draft, clinician, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(**kwargs):
        raise messaging.PermanentDeliveryError("The provider refused the number.")

    monkeypatch.setattr(messaging, "send_to_patient", refuse)
    version = _sign(draft, clinician, django_capture_on_commit_callbacks)
    handout = Handout.objects.get(version=version)
    assert (handout.delivery, handout.delivery_error) == (HandoutDelivery.FAILED, "The provider refused the number.")
    assert handout.delivered_at is None
    assert PortalLink.objects.count() == 0
    client.force_login(clinician)
    page = client.get(f"/plans/{draft.pk}/versions/1/").content.decode()
    assert "Could not be sent: The provider refused the number." in page


def test_a_transient_failure_is_retried_with_backoff_and_sends_once(episode, monkeypatch):
    version = signed_version(episode, [])
    message = _owe(version.handout)
    real_send = messaging.send_to_patient
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise messaging.TransientDeliveryError("Connection refused.")
        return real_send(**kwargs)

    monkeypatch.setattr(messaging, "send_to_patient", flaky)
    assert outbox_tasks.send_patient_message.retry_backoff is True
    # apply() runs the task and its retry here, as a worker would (tests run tasks eagerly).
    assert outbox_tasks.send_patient_message.apply(args=[message.pk], throw=False).get() is True
    assert len(calls) == 2
    assert len(mail.outbox) == 1
    assert Handout.objects.get(pk=version.handout.pk).delivery == HandoutDelivery.SENT
    # Only the link of the message that went out exists.
    assert PortalLink.objects.count() == 1


def test_a_delivery_left_owed_is_sent_by_the_sweep(episode, monkeypatch, django_capture_on_commit_callbacks):
    version = signed_version(episode, [])
    handout = version.handout
    message = _owe(handout)

    def down(**kwargs):
        raise messaging.TransientDeliveryError("Connection refused.")

    monkeypatch.setattr(messaging, "send_to_patient", down)
    with pytest.raises(messaging.TransientDeliveryError):
        dispatch.deliver(message_id=message.pk)
    handout.refresh_from_db()
    assert handout.delivery == HandoutDelivery.OWED
    assert PortalLink.objects.count() == 0

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_tasks.dispatch_patient_messages() == 0  # not stale yet: its own task may still be retrying
    PatientMessage.objects.filter(pk=message.pk).update(queued_at=timezone.now() - datetime.timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_tasks.dispatch_patient_messages() == 1
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_tasks.dispatch_patient_messages() == 0


def test_an_amended_plan_renders_and_sends_the_new_version(draft, clinician, django_capture_on_commit_callbacks):
    first = _sign(draft, clinician, django_capture_on_commit_callbacks)
    draft.refresh_from_db()
    PlanItem.objects.create(plan=draft, prong="exercise", name="Side plank", home_program=True)
    draft.status = PlanStatus.DRAFT
    draft.save()
    second = _sign(draft, clinician, django_capture_on_commit_callbacks)
    assert second.number == 2
    assert Handout.objects.get(version=second).delivery == HandoutDelivery.SENT
    assert Handout.objects.get(version=first).delivery == HandoutDelivery.SENT
    assert len(mail.outbox) == 2
    assert "updated home program" in mail.outbox[1].subject


def test_a_superseded_version_is_never_sent_after_the_newer_one(episode):
    # Version 1's render was held up (a worker lost it) until after version 2 was signed and sent.
    first = signed_version(episode, [])
    second = signed_version(episode, [], plan=first.plan)
    dispatch.deliver(message_id=_owe(second.handout).pk)

    assert dispatch.deliver(message_id=_owe(first.handout).pk) is False

    assert len(mail.outbox) == 1
    assert "updated home program" in mail.outbox[0].subject
    first.handout.refresh_from_db()
    assert first.handout.delivery == HandoutDelivery.NOT_SENT
    assert "newer version" in first.handout.delivery_error


def test_a_rerender_of_a_ready_handout_sends_nothing_more(draft, clinician, django_capture_on_commit_callbacks):
    version = _sign(draft, clinician, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert handouts.render(handout_id=version.handout.pk) is False
    assert len(mail.outbox) == 1


def test_a_render_retried_after_a_failure_sends_once(episode, monkeypatch, django_capture_on_commit_callbacks):
    version = signed_version(episode, [], handout=False)
    handout = Handout.objects.create(version=version)
    monkeypatch.setattr(handouts, "html", lambda version: (_ for _ in ()).throw(RuntimeError("boom")))
    with django_capture_on_commit_callbacks(execute=True):
        handouts.render(handout_id=handout.pk)
    handout.refresh_from_db()
    assert (handout.status, handout.delivery) == (HandoutStatus.FAILED, HandoutDelivery.WAITING)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        handouts.retry(actor=episode.lead_clinician, handout=handout)
    assert Handout.objects.get(pk=handout.pk).delivery == HandoutDelivery.SENT
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"status": HandoutStatus.READY, "delivery": HandoutDelivery.SENT, "delivered_at": None},
        {"status": HandoutStatus.READY, "delivery": HandoutDelivery.OWED, "delivered_at": timezone.now()},
        {"status": HandoutStatus.QUEUED, "delivery": HandoutDelivery.OWED},
        {"status": HandoutStatus.FAILED, "delivery": HandoutDelivery.NOT_SENT},
    ],
)
def test_the_database_refuses_an_impossible_delivery(episode, fields):
    version = signed_version(episode, [], handout=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Handout.objects.create(version=version, **fields)


def test_a_message_not_sent_can_be_sent_again_by_a_clinician(
    client, clinician, front_desk, episode, patient, django_capture_on_commit_callbacks
):
    version = signed_version(episode, [])
    Handout.objects.filter(version=version).update(delivery=HandoutDelivery.FAILED, delivery_error="Refused.")
    url = f"/plans/{version.plan_id}/versions/1/handout/send/"
    client.force_login(front_desk)
    assert client.post(url).status_code == 403
    client.force_login(clinician)
    assert 'action="' + url + '"' in client.get(f"/plans/{version.plan_id}/versions/1/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    handout = Handout.objects.get(version=version)
    assert (handout.delivery, handout.delivery_error) == (HandoutDelivery.SENT, "")
    assert mail.outbox[0].to == [patient.email]
    assert AuditEvent.objects.filter(action="handout.send_requested", actor=clinician).count() == 1
    # Once sent, asking again sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert len(mail.outbox) == 1
    assert 'action="' + url + '"' not in client.get(f"/plans/{version.plan_id}/versions/1/").content.decode()


def test_a_failed_render_is_retried_only_by_a_clinician_and_audited(
    client, clinician, front_desk, episode, django_capture_on_commit_callbacks
):
    version = signed_version(episode, [], handout=False)
    handout = Handout.objects.create(version=version, status=HandoutStatus.FAILED, error="RuntimeError")
    with pytest.raises(PermissionDenied):
        handouts.retry(actor=front_desk, handout=handout)
    url = f"/plans/{version.plan_id}/versions/1/handout/retry/"
    client.force_login(front_desk)
    assert client.post(url).status_code == 403
    assert Handout.objects.get(pk=handout.pk).status == HandoutStatus.FAILED
    client.force_login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert Handout.objects.get(pk=handout.pk).status == HandoutStatus.READY
    assert AuditEvent.objects.filter(action="handout.retry_requested", actor=clinician).count() == 1
    # A handout that is not failed is left alone, and nothing more is audited.
    handouts.retry(actor=clinician, handout=handout)
    assert AuditEvent.objects.filter(action="handout.retry_requested").count() == 1


def test_the_clinics_own_wording_is_used(client, draft, clinician, patient, django_capture_on_commit_callbacks):
    MessageWording.objects.create(
        clinic=patient.clinic,
        kind="home_program",
        subject="{first_name}, your {program}",
        body="{clinician} has made your {program}; it is here:",
        sms_body="Your {program}:",
    )
    _sign(draft, clinician, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.subject == f"{patient.first_name}, your home program"
    assert message.body.startswith(f"{clinician.full_name} has made your home program; it is here: http")
    assert client.get(_link_in(message.body)).status_code == 200
