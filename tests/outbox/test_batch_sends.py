"""The dispatcher's sends go in batches: a batch of reminders runs a fixed number of statements
whatever its size (each clinic's settings read once, the visits read together, the rows claimed
and settled together), and each message in it is still decided on its own (consent, opt-out,
quiet hours), sent at most once, and retried alone after a transient failure."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic import messaging
from clinic.models import ClinicThreshold, Patient
from clinic.outbox import dispatch, rules, tasks
from clinic.outbox.models import MessageKind, MessageLink, MessageStatus, MessageWording, PatientMessage
from clinic.scheduling import services, visit_reminders
from clinic.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clinic_settings(clinic):
    """No quiet hours, and every clinic-wide setting a reminder reads set by the clinic: its own
    threshold, its own wording for the visit type, the visit type itself."""
    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0, 0)
    clinic.save()
    ClinicThreshold.objects.create(clinic=clinic, key="reminder_opt_out_link_days", value=30)


def _due_reminders(front_desk, clinic, count: int) -> list[PatientMessage]:
    """``count`` visits in three days, each of another patient, whose first reminder is due now
    (the booking notices already sent)."""
    start = (timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
    visits = []
    for n in range(count):
        episode = EpisodeFactory(patient__clinic=clinic)
        visits.append(
            services.appointment_book(
                actor=front_desk,
                episode=episode,
                clinician=episode.lead_clinician,
                starts_at=start + datetime.timedelta(hours=n),
                override_reason="test",
            )
        )
    PatientMessage.objects.filter(kind=MessageKind.VISIT_NOTICE).update(
        status=MessageStatus.SENT, sent_at=timezone.now()
    )
    first = PatientMessage.objects.filter(kind=MessageKind.FIRST, subject_id__in=[visit.pk for visit in visits])
    first.update(due_at=timezone.now() - datetime.timedelta(minutes=1))
    mail.outbox.clear()
    return list(first.order_by("pk"))


def _statements(ids) -> int:
    with CaptureQueriesContext(connection) as queries:
        delivered = dispatch.deliver_many(ids)
    assert sorted(delivered.sent) == sorted(ids)
    return len(queries)


def test_a_batch_of_reminders_runs_the_same_statements_whatever_its_size(front_desk, clinic):
    reminders = _due_reminders(front_desk, clinic, 10)
    kind = Appointment.objects.get(pk=reminders[0].subject_id).kind
    visit_type = AppointmentType.objects.get_or_create(
        clinic=clinic, kind=kind, defaults={"name": "Visit", "minutes": 45}
    )[0]
    MessageWording.objects.create(
        clinic=clinic,
        kind=MessageKind.FIRST,
        appointment_type=visit_type,
        subject="See you soon at {clinic_name}",
        body="Hello {first_name}, see you on {visit_day}.",
        sms_body="See you on {visit_day}.",
    )
    two, eight = [message.pk for message in reminders[:2]], [message.pk for message in reminders[2:]]
    # Claimed and composed together (lock the rows, read the visits, the clinic's threshold,
    # wording and visit types once, insert the links, update the rows), then settled together
    # (lock the rows still sending, update them); each transaction a savepoint in the test's.
    assert _statements(two) == _statements(eight) == 13
    assert len(mail.outbox) == 10
    assert {message.subject for message in mail.outbox} == {f"See you soon at {clinic.name}"}
    assert MessageLink.objects.count() == 10 * 4  # confirm, cancel, move and stop, for each
    assert set(PatientMessage.objects.filter(kind=MessageKind.FIRST).values_list("status", "attempts")) == {
        (MessageStatus.SENT, 1)
    }
    # The same batch delivered again (the broker hands the task out twice) sends nothing.
    assert dispatch.deliver_many(two + eight).sent == []
    assert len(mail.outbox) == 10


def test_each_message_of_a_batch_is_decided_on_its_own(front_desk, clinic):
    sent, opted_out, no_consent, quiet = _due_reminders(front_desk, clinic, 4)
    Patient.objects.filter(pk=opted_out.patient_id).update(reminders_opted_out_at=timezone.now())
    Patient.objects.filter(pk=no_consent.patient_id).update(contact_consent=False)
    # The last one is about a visit of another clinic, quiet at this moment.
    other = EpisodeFactory().patient.clinic
    now = timezone.now().astimezone(other.zone)
    other.quiet_hours_start = (now - datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    other.quiet_hours_end = (now + datetime.timedelta(hours=2)).time().replace(second=0, microsecond=0)
    other.save()
    Patient.objects.filter(pk=quiet.patient_id).update(clinic=other)

    delivered = dispatch.deliver_many([sent.pk, opted_out.pk, no_consent.pk, quiet.pk])

    assert delivered.sent == [sent.pk]
    statuses = dict(PatientMessage.objects.values_list("pk", "status"))
    assert statuses[sent.pk] == MessageStatus.SENT
    assert statuses[opted_out.pk] == statuses[no_consent.pk] == MessageStatus.SKIPPED
    assert PatientMessage.objects.get(pk=opted_out.pk).reason == rules.OPTED_OUT
    assert PatientMessage.objects.get(pk=no_consent.pk).reason == rules.NO_CONSENT
    held = PatientMessage.objects.get(pk=quiet.pk)
    assert held.status == MessageStatus.PENDING
    assert held.due_at > timezone.now()
    assert [message.to for message in mail.outbox] == [[sent.patient.email]]


def test_the_dispatcher_queues_its_sends_in_batches(
    front_desk, clinic, monkeypatch, settings, django_capture_on_commit_callbacks
):
    reminders = _due_reminders(front_desk, clinic, 7)
    settings.OUTBOX_SEND_BATCH = 3
    published = []
    monkeypatch.setattr("clinic.queueing.publish", lambda task, batch: published.append((task.name, batch)) or True)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.dispatch_due() == 7
    ids = [message.pk for message in reminders]
    assert published == [(tasks.send_patient_messages.name, batch) for batch in (ids[:3], ids[3:6], ids[6:])]


def test_a_transient_failure_in_a_batch_retries_that_message_alone(front_desk, clinic, monkeypatch):
    first, second, third = _due_reminders(front_desk, clinic, 3)
    real = messaging.send_to_patient
    failures = [messaging.TransientDeliveryError("Connection refused by the mail server.")]

    def send(**kwargs):
        if kwargs["patient"].pk == second.patient_id and failures:
            raise failures.pop()
        return real(**kwargs)

    monkeypatch.setattr(messaging, "send_to_patient", send)
    retried = []
    monkeypatch.setattr(
        tasks.send_patient_messages, "retry", lambda **kwargs: retried.append(kwargs) or RuntimeError("retry")
    )
    with pytest.raises(RuntimeError, match="retry"):
        tasks.send_patient_messages([first.pk, second.pk, third.pk])
    assert [kwargs["args"] for kwargs in retried] == [([second.pk],)]
    assert retried[0]["countdown"] >= 0
    again = PatientMessage.objects.get(pk=second.pk)
    assert (again.status, again.attempts, again.reason) == (
        MessageStatus.QUEUED,
        1,
        "Connection refused by the mail server.",
    )
    assert len(mail.outbox) == 2
    # The retry sends it, and only it.
    assert tasks.send_patient_messages([second.pk]) == 1
    assert len(mail.outbox) == 3
    assert set(PatientMessage.objects.filter(kind=MessageKind.FIRST).values_list("status", flat=True)) == {
        MessageStatus.SENT
    }


def test_a_reminder_whose_visit_was_cancelled_meanwhile_is_settled_and_the_others_go(front_desk, clinic):
    cancelled, *others = _due_reminders(front_desk, clinic, 3)
    Appointment.objects.filter(pk=cancelled.subject_id).update(status=AppointmentStatus.CANCELLED, cancel_reason="Ill")
    delivered = dispatch.deliver_many([message.pk for message in (cancelled, *others)])
    assert sorted(delivered.sent) == [message.pk for message in others]
    settled = PatientMessage.objects.get(pk=cancelled.pk)
    assert (settled.status, settled.reason) == (MessageStatus.CANCELLED, visit_reminders.NOT_BOOKED)
    assert len(mail.outbox) == 2


def test_a_message_the_batch_cannot_prepare_does_not_hold_back_the_others(front_desk, clinic, monkeypatch):
    broken, *others = _due_reminders(front_desk, clinic, 3)
    real = visit_reminders.prepare

    def prepare(message):
        if message.pk == broken.pk:
            raise LookupError("a subject in a state no kind foresaw")
        return real(message)

    monkeypatch.setattr(visit_reminders, "prepare", prepare)
    with pytest.raises(LookupError):
        tasks.send_patient_messages([broken.pk, *(message.pk for message in others)])
    assert len(mail.outbox) == 2
    statuses = dict(PatientMessage.objects.filter(kind=MessageKind.FIRST).values_list("pk", "status"))
    assert statuses == {broken.pk: MessageStatus.PENDING} | {message.pk: MessageStatus.SENT for message in others}


def test_a_links_path_is_the_one_reverse_gives():
    from django.urls import reverse

    from clinic.outbox import batch, reminders

    for name in (*reminders.LINK_PATHS.values(), reminders.SHORT_PATH):
        for link_token in (reminders.LINKS["confirm"].new()[0], reminders.SHORT_LINKS.new()[0]):
            with batch.preparing():
                assert reminders._path(name, link_token) == reverse(name, args=[link_token])
                assert reminders._path(name, link_token) == reverse(name, args=[link_token])  # as memoised
            assert reminders._path(name, link_token) == reverse(name, args=[link_token])
