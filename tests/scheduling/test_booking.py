"""Booking: no double booking (database-enforced on PostgreSQL), working hours with
overrides, cancellation and status rules."""

from __future__ import annotations

import datetime
import threading
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from clinic.permissions import Role
from clinic.scheduling import services
from clinic.scheduling.models import Appointment, AppointmentStatus, TimeOff, WorkingHours
from tests.factories import EpisodeFactory, UserFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A local Chicago time on a day of December 2026 (a Tuesday is 1 Dec)."""
    return datetime.datetime(2026, 12, day, hour, minute, tzinfo=CHICAGO)


@pytest.fixture
def working_clinician(clinician):
    for weekday in range(5):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))
    return clinician


def _book(front_desk, episode, clinician, start, **extra):
    return services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=start, **extra)


@pytest.mark.parametrize(
    ("second_start", "clashes"),
    [
        (at(1, 9), True),  # same time
        (at(1, 9, 15), True),  # starts inside
        (at(1, 8, 45), True),  # ends inside
        (at(1, 9, 30), False),  # starts when the first ends
        (at(1, 8, 30), False),  # ends when the first starts
    ],
)
def test_a_clinician_is_never_double_booked(front_desk, episode, working_clinician, second_start, clashes):
    _book(front_desk, episode, working_clinician, at(1, 9))  # 30-minute follow-up
    other = EpisodeFactory(patient__clinic=episode.patient.clinic, lead_clinician=working_clinician)
    if clashes:
        with pytest.raises(ValidationError, match="already has a visit from 09:00 to 09:30"):
            _book(front_desk, other, working_clinician, second_start)
        assert Appointment.objects.count() == 1
    else:
        _book(front_desk, other, working_clinician, second_start)
        assert Appointment.objects.count() == 2


def test_a_cancelled_visit_frees_its_slot(front_desk, episode, working_clinician):
    first = _book(front_desk, episode, working_clinician, at(1, 9))
    services.appointment_cancel(actor=front_desk, appointment=first, reason="Patient is ill")
    _book(front_desk, episode, working_clinician, at(1, 9))
    assert Appointment.objects.exclude(status=AppointmentStatus.CANCELLED).count() == 1


def test_outside_working_hours_needs_a_reason(front_desk, episode, working_clinician):
    with pytest.raises(ValidationError, match="outside the clinician's working hours"):
        _book(front_desk, episode, working_clinician, at(1, 17))
    booked = _book(front_desk, episode, working_clinician, at(1, 17), override_reason="Only time the runner can come")
    assert booked.override_reason == "Only time the runner can come"


def test_time_off_needs_a_reason(front_desk, episode, working_clinician):
    TimeOff.objects.create(clinician=working_clinician, starts_at=at(2, 0), ends_at=at(3, 0), reason="Course")
    with pytest.raises(ValidationError, match="Give a reason to book it anyway"):
        _book(front_desk, episode, working_clinician, at(2, 10))
    booked = _book(front_desk, episode, working_clinician, at(2, 10), override_reason="Seen between sessions")
    assert booked.override_reason == "Seen between sessions"


def test_time_is_stored_in_utc_and_keeps_its_wall_clock(front_desk, episode, working_clinician):
    booked = _book(front_desk, episode, working_clinician, at(1, 9))
    booked.refresh_from_db()
    assert booked.starts_at.utcoffset() == datetime.timedelta(0)
    assert booked.starts_at.astimezone(CHICAGO).time() == datetime.time(9)


def test_cancellation_needs_a_reason(front_desk, episode, working_clinician):
    booked = _book(front_desk, episode, working_clinician, at(1, 9))
    with pytest.raises(ValidationError, match="reason"):
        services.appointment_cancel(actor=front_desk, appointment=booked, reason="  ")


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, True),
        (AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED, True),
        (AppointmentStatus.BOOKED, AppointmentStatus.NO_SHOW, True),
        (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW, False),
        (AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED, False),  # cancelling needs a reason
    ],
)
def test_status_changes(front_desk, episode, working_clinician, start, target, allowed):
    booked = _book(front_desk, episode, working_clinician, at(1, 9))
    Appointment.objects.filter(pk=booked.pk).update(status=start)
    booked.refresh_from_db()
    if allowed:
        services.appointment_set_status(actor=front_desk, appointment=booked, status=target)
        assert Appointment.objects.get(pk=booked.pk).status == target
    else:
        with pytest.raises(ValidationError):
            services.appointment_set_status(actor=front_desk, appointment=booked, status=target)


def test_clinic_admin_cannot_book(clinic_admin, episode, working_clinician):
    with pytest.raises(PermissionDenied):
        _book(clinic_admin, episode, working_clinician, at(1, 9))
    assert not Appointment.objects.exists()


@pytest.mark.postgres
def test_the_database_refuses_an_overlapping_row(episode, working_clinician):
    Appointment.objects.create(episode=episode, clinician=working_clinician, starts_at=at(1, 9), ends_at=at(1, 10))
    with pytest.raises(IntegrityError, match="appointment_no_double_booking"), transaction.atomic():
        Appointment.objects.create(
            episode=episode, clinician=working_clinician, starts_at=at(1, 9, 30), ends_at=at(1, 10, 30)
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_attempts_at_one_slot_book_exactly_once():
    clinician = UserFactory(roles=[Role.CLINICIAN])
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    episodes = [EpisodeFactory(patient__clinic=clinician.clinic, lead_clinician=clinician) for _ in range(8)]
    start = threading.Barrier(len(episodes))
    outcomes: list[str] = []

    def attempt(episode):
        try:
            start.wait()
            services.appointment_book(
                actor=front_desk, episode=episode, clinician=clinician, starts_at=at(1, 9), override_reason="test"
            )
            outcomes.append("booked")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(episode,)) for episode in episodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("booked") == 1
    refused = [outcome for outcome in outcomes if outcome != "booked"]
    assert len(refused) == len(episodes) - 1
    assert all("Choose another time" in message for message in refused)
    assert Appointment.objects.filter(clinician=clinician).count() == 1
