"""A plan's visits booked together are told in one message: every visit listed and, by e-mail,
one .ics file holding them all. Each visit's row still records what the patient was told."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from icalendar import Calendar

from clinic import messaging
from clinic.outbox import dispatch
from clinic.outbox.models import MessageKind, PatientMessage
from clinic.scheduling import rules, services
from clinic.scheduling.models import Appointment, AppointmentKind, VisitSeries

NEED = rules.PlanNeed(visits_per_week=2, weeks=2)


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    messaging.outbox.clear()


def _four(clinic) -> list[tuple[datetime.datetime, str]]:
    """Four visits on the clinic's days 2, 4, 9 and 11 from today, the last the re-assessment."""
    today = timezone.localdate(timezone.now(), clinic.zone)
    starts = [
        datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(9), tzinfo=clinic.zone)
        for days in (2, 4, 9, 11)
    ]
    return [(start, AppointmentKind.FOLLOW_UP) for start in starts[:3]] + [(starts[3], AppointmentKind.REASSESSMENT)]


def _book(front_desk, episode, clinician) -> list[Appointment]:
    return services.plan_series_book(
        actor=front_desk, episode=episode, clinician=clinician, need=NEED, visits=_four(episode.patient.clinic)
    )


def test_a_series_of_four_is_one_message_with_four_events(
    front_desk, episode, clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booked = _book(front_desk, episode, clinician)
    told = PatientMessage.objects.filter(kind__in=[MessageKind.VISIT_SERIES, MessageKind.VISIT_NOTICE])
    assert [message.kind for message in told] == [MessageKind.VISIT_SERIES]
    (message,) = mail.outbox
    assert message.to == [episode.patient.email]
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == ("visits.ics", "text/calendar")
    events = Calendar.from_ical(content).walk("VEVENT")
    assert len(events) == 4
    assert [event.decoded("dtstart") for event in events] == [visit.starts_at for visit in booked]
    assert str(events[-1]["summary"]).startswith("Re-assessment")
    listed = [line for line in message.body.splitlines() if line.startswith("- ")]
    assert len(listed) == 4
    zone = episode.patient.clinic.zone
    for line, visit in zip(listed, booked, strict=True):
        assert f"{visit.starts_at.astimezone(zone):%A} {visit.starts_at.astimezone(zone).day}" in line
        assert "at 09:00" in line
    assert all(visit.notified_sequence == visit.sequence == 1 for visit in Appointment.objects.all())


def test_a_patient_who_prefers_text_messages_gets_one_listing_the_visits(
    front_desk, episode, clinician, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    send = messaging.send_to_patient
    monkeypatch.setattr(messaging, "send_to_patient", lambda **kwargs: sent.append(kwargs) or send(**kwargs))
    patient = episode.patient
    patient.preferred_contact_channel = "sms"
    patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        _book(front_desk, episode, clinician)
    assert not mail.outbox
    (sms,) = messaging.outbox
    assert sms["to"] == str(patient.mobile_phone)
    assert "your 4 visits are booked" in sms["body"]
    assert sms["body"].count("09:00") == 4
    (call,) = sent
    assert call["attachments"] == []  # a text carries no file


def test_a_later_change_to_one_visit_is_its_own_notice(
    front_desk, episode, clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booked = _book(front_desk, episode, clinician)
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_reschedule(
            actor=front_desk, appointment=booked[1], starts_at=booked[1].starts_at + datetime.timedelta(hours=2)
        )
    assert len(mail.outbox) == 2
    (name, content, _) = mail.outbox[1].attachments[0]
    assert name == "visit.ics"
    (event,) = Calendar.from_ical(content).walk("VEVENT")
    assert int(event["sequence"]) == 2
    assert Appointment.objects.get(pk=booked[1].pk).notified_sequence == 2


def test_a_change_before_the_series_goes_is_told_in_it_once(front_desk, episode, clinician):
    booked = _book(front_desk, episode, clinician)
    moved = services.appointment_reschedule(
        actor=front_desk, appointment=booked[0], starts_at=booked[0].starts_at + datetime.timedelta(hours=3)
    )
    series = PatientMessage.objects.get(kind=MessageKind.VISIT_SERIES)
    assert dispatch.deliver(message_id=series.pk) is True
    assert "at 12:00" in mail.outbox[0].body
    single = PatientMessage.objects.get(kind=MessageKind.VISIT_NOTICE, subject_id=moved.pk)
    assert dispatch.deliver(message_id=single.pk) is False  # already told, in the series
    assert dispatch.deliver(message_id=series.pk) is False
    assert len(mail.outbox) == 1


def test_a_series_that_no_longer_fits_books_nothing_and_tells_nothing(front_desk, episode, clinician):
    visits = _four(episode.patient.clinic)
    start = visits[2][0]
    Appointment.objects.create(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )
    with pytest.raises(ValidationError):
        services.plan_series_book(actor=front_desk, episode=episode, clinician=clinician, need=NEED, visits=visits)
    assert Appointment.objects.count() == 1
    assert not VisitSeries.objects.exists()
    assert not PatientMessage.objects.exists()  # nor reminders of visits not booked
