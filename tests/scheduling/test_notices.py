"""Confirmations: e-mail with an .ics file (parsed back with icalendar) or a text message,
sent once per change."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core import mail
from icalendar import Calendar

from clinic import messaging
from clinic.outbox import dispatch
from clinic.outbox.models import MessageKind, MessageWording, PatientMessage
from clinic.scheduling import services
from clinic.scheduling.models import Appointment

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
NINE = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    messaging.outbox.clear()


def _event(message) -> dict:
    (name, content, mimetype) = message.attachments[0]
    assert name == "visit.ics"
    assert mimetype == "text/calendar"
    calendar = Calendar.from_ical(content)
    (event,) = calendar.walk("VEVENT")
    return {"calendar": calendar, "event": event}


def test_booking_sends_an_email_with_a_calendar_file(
    front_desk, episode, clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booked = services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=NINE)
    (message,) = mail.outbox
    assert message.to == [episode.patient.email]
    assert "Tuesday 01 December at 09:00" in message.body
    parsed = _event(message)
    event = parsed["event"]
    assert event.decoded("dtstart") == NINE
    assert event.decoded("dtend") == NINE + datetime.timedelta(minutes=30)
    assert str(event["uid"]) == f"appointment-{booked.pk}@127.0.0.1"
    assert int(event["sequence"]) == 1
    assert str(event["status"]) == "CONFIRMED"


@pytest.mark.parametrize(
    "address", ["1 Lake Street\r\nSuite 5\r\n\r\nChicago, IL", "1 Lake Street\nSuite 5\n Chicago, IL \n"]
)
def test_the_calendar_location_is_the_address_on_one_line(
    front_desk, episode, clinician, django_capture_on_commit_callbacks, address
):
    clinic = episode.patient.clinic
    clinic.address = address
    clinic.save(update_fields=["address"])
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=NINE)

    (message,) = mail.outbox
    assert str(_event(message)["event"]["location"]) == "1 Lake Street, Suite 5, Chicago, IL"


def test_moving_and_cancelling_update_the_same_event(
    front_desk, episode, clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booked = services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=NINE)
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_reschedule(
            actor=front_desk, appointment=booked, starts_at=NINE + datetime.timedelta(days=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(actor=front_desk, appointment=booked, reason="Patient travelling")
    events = [_event(message) for message in mail.outbox]
    assert [str(e["event"]["uid"]) for e in events] == [f"appointment-{booked.pk}@127.0.0.1"] * 3
    assert [int(e["event"]["sequence"]) for e in events] == [1, 2, 3]
    assert "moved to Wednesday 02 December at 09:00" in mail.outbox[1].body
    assert str(events[2]["calendar"]["method"]) == "CANCEL"
    assert str(events[2]["event"]["status"]) == "CANCELLED"


def test_text_message_for_patients_who_prefer_it(front_desk, episode, clinician, django_capture_on_commit_callbacks):
    patient = episode.patient
    patient.preferred_contact_channel = "sms"
    patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=NINE)
    assert not mail.outbox
    (sms,) = messaging.outbox
    assert sms["to"] == str(patient.mobile_phone)
    assert "booked for Tuesday 01 December at 09:00" in sms["body"]


def test_changes_made_before_a_message_goes_out_are_told_once_as_the_latest_state(
    front_desk, episode, clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booked = services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=NINE)
        services.appointment_cancel(actor=front_desk, appointment=booked, reason="Booked by mistake")
    (message,) = mail.outbox
    assert "cancelled" in message.body


def _notice_of(visit) -> PatientMessage:
    return PatientMessage.objects.get(kind=MessageKind.VISIT_NOTICE, subject_id=visit.pk)


def test_a_notice_is_sent_once(front_desk, episode, clinician):
    booked = services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=NINE)
    assert dispatch.deliver(message_id=_notice_of(booked).pk) is True
    assert dispatch.deliver(message_id=_notice_of(booked).pk) is False
    assert len(mail.outbox) == 1
    assert Appointment.objects.get(pk=booked.pk).notified_sequence == 1


def test_no_message_without_consent(front_desk, episode, clinician):
    episode.patient.contact_consent = False
    episode.patient.save()
    booked = services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=NINE)
    assert dispatch.deliver(message_id=_notice_of(booked).pk) is False
    assert not mail.outbox


def test_the_clinics_own_wording_is_used(front_desk, episode, clinician, django_capture_on_commit_callbacks):
    MessageWording.objects.create(
        clinic=episode.patient.clinic,
        kind="visit_booked",
        subject="See you {visit_when}",
        body="Hello {first_name}, we have you down for {visit_when} with {clinician}.",
        sms_body="See you {visit_when}.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=NINE)
    (message,) = mail.outbox
    assert message.subject == "See you Tuesday 01 December at 09:00"
    assert message.body.startswith(
        f"Hello {episode.patient.first_name}, we have you down for Tuesday 01 December at 09:00 with "
        f"{clinician.full_name}."
    )
