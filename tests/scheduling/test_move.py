"""Moving a visit: to a free slot offered on the visit's page or a typed time, and to another
clinician of the clinic, with the booking's checks."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from clinic.permissions import Role
from clinic.scheduling import services
from clinic.scheduling.models import Appointment, TimeOff, WorkingHours
from tests.factories import AppointmentFactory, EpisodeFactory, UserFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def _hours(person) -> None:
    for weekday in range(7):
        WorkingHours.objects.create(clinician=person, weekday=weekday, start=datetime.time(8), end=datetime.time(17))


@pytest.fixture
def second(clinic, clinician):
    _hours(clinician)
    person = UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name="Sam Second")
    _hours(person)
    return person


def _tomorrow_at(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate(timezone.now(), CHICAGO) + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=CHICAGO)


def _visit(episode, clinician, hour: int = 9) -> Appointment:
    start = _tomorrow_at(hour)
    return AppointmentFactory(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )


# --- The service ---------------------------------------------------------------------------------


def test_a_visit_moves_to_another_clinician_who_is_told_to_the_patient(
    front_desk, episode, clinician, second, django_capture_on_commit_callbacks
):
    visit = _visit(episode, clinician)
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_reschedule(
            actor=front_desk, appointment=visit, starts_at=_tomorrow_at(10), clinician=second
        )
    moved = Appointment.objects.get(pk=visit.pk)
    assert (moved.clinician, moved.starts_at) == (second, _tomorrow_at(10))
    assert moved.ends_at - moved.starts_at == datetime.timedelta(minutes=30)
    event = AuditEvent.objects.get(action="appointment.rescheduled")
    assert event.changed_fields == ["clinician", "starts_at"]
    (notice,) = mail.outbox
    assert "Sam Second" in notice.body


def test_the_same_time_with_another_clinician_audits_only_the_clinician(front_desk, episode, clinician, second):
    visit = _visit(episode, clinician)
    services.appointment_reschedule(actor=front_desk, appointment=visit, starts_at=visit.starts_at, clinician=second)
    assert AuditEvent.objects.get(action="appointment.rescheduled").changed_fields == ["clinician"]


def test_another_clinics_clinician_is_refused(front_desk, episode, clinician, other_clinic):
    _hours(clinician)
    visit = _visit(episode, clinician)
    stranger = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    with pytest.raises(ValidationError) as refused:
        services.appointment_reschedule(
            actor=front_desk, appointment=visit, starts_at=_tomorrow_at(10), clinician=stranger
        )
    assert "clinician" in refused.value.error_dict
    assert Appointment.objects.get(pk=visit.pk).clinician == clinician


@pytest.mark.parametrize("who", ["front_desk", "inactive", "not_a_clinician"])
def test_only_an_active_clinician_can_take_a_visit(request, front_desk, clinic, episode, clinician, who):
    _hours(clinician)
    visit = _visit(episode, clinician)
    person = {
        "front_desk": lambda: UserFactory(clinic=clinic, roles=[Role.FRONT_DESK]),
        "inactive": lambda: UserFactory(clinic=clinic, roles=[Role.CLINICIAN], is_active=False),
        "not_a_clinician": lambda: UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN]),
    }[who]()
    with pytest.raises(ValidationError) as refused:
        services.appointment_reschedule(
            actor=front_desk, appointment=visit, starts_at=visit.starts_at, clinician=person
        )
    assert "clinician" in refused.value.error_dict


def test_the_new_clinicians_own_visits_hours_and_time_off_are_checked(front_desk, clinic, episode, clinician, second):
    visit = _visit(episode, clinician)
    _visit(EpisodeFactory(patient__clinic=clinic, lead_clinician=second), second, hour=10)
    TimeOff.objects.create(clinician=second, starts_at=_tomorrow_at(12), ends_at=_tomorrow_at(13))
    cases = [
        (_tomorrow_at(10), "starts_at"),
        (_tomorrow_at(12), "override_reason"),
        (_tomorrow_at(18), "override_reason"),
    ]
    for starts_at, field in cases:
        with pytest.raises(ValidationError) as refused:
            services.appointment_reschedule(actor=front_desk, appointment=visit, starts_at=starts_at, clinician=second)
        assert field in refused.value.error_dict
    assert Appointment.objects.get(pk=visit.pk).clinician == clinician


# --- The visit's page and the move endpoint --------------------------------------------------------


def test_the_visit_page_offers_the_clinicians_free_times(client, front_desk, clinic, episode, clinician, second):
    visit = _visit(episode, clinician)
    _visit(EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician), clinician, hour=11)
    client.force_login(front_desk)
    html = client.get(reverse("schedule_visit", args=[visit.pk])).content.decode()
    assert f'name="starts_at" value="{_tomorrow_at(10):%Y-%m-%dT%H:%M}"' in html
    assert f'name="starts_at" value="{_tomorrow_at(11):%Y-%m-%dT%H:%M}"' not in html  # taken
    # The visit's own time is free for itself (a move by a few minutes).
    assert f'name="starts_at" value="{_tomorrow_at(9):%Y-%m-%dT%H:%M}"' in html
    assert f'<option value="{second.pk}"' in html
    others = client.get(reverse("schedule_visit", args=[visit.pk]), {"clinician": second.pk}).content.decode()
    assert f'name="starts_at" value="{_tomorrow_at(11):%Y-%m-%dT%H:%M}"' in others
    assert "Free times with Sam Second" in others


def test_a_free_time_is_booked_with_the_chosen_clinician(client, front_desk, episode, clinician, second):
    visit = _visit(episode, clinician)
    client.force_login(front_desk)
    response = client.post(
        reverse("schedule_visit_move", args=[visit.pk]),
        {"starts_at": f"{_tomorrow_at(14):%Y-%m-%dT%H:%M}", "clinician": second.pk},
    )
    assert response.status_code == 302
    moved = Appointment.objects.get(pk=visit.pk)
    assert (moved.clinician, moved.starts_at) == (second, _tomorrow_at(14))


def test_without_a_clinician_the_visit_keeps_its_own(client, front_desk, episode, clinician, second):
    visit = _visit(episode, clinician)
    client.force_login(front_desk)
    client.post(reverse("schedule_visit_move", args=[visit.pk]), {"starts_at": f"{_tomorrow_at(14):%Y-%m-%dT%H:%M}"})
    moved = Appointment.objects.get(pk=visit.pk)
    assert (moved.clinician, moved.starts_at) == (clinician, _tomorrow_at(14))


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"clinician": "foreign"}, "Choose a clinician of this clinic."),
        ({"clinician": "nine"}, "Choose a clinician of this clinic."),
        ({"clinician": "1\x00"}, "Null characters are not allowed."),
        ({"starts_at": "2026-12-03T10:00\x00"}, "control character"),
        ({"starts_at": "9" * 100_000}, "at most 30 characters"),
        ({"starts_at": ""}, "Enter the new date and time."),
        ({"starts_at": "tomorrow"}, "Enter the new date and time"),
        ({"override_reason": "x" * 5000, "starts_at": "late"}, "at most 200 characters"),
    ],
)
def test_bad_input_is_a_field_error_and_the_visit_stays(
    client, front_desk, episode, clinician, second, foreign_episode, fields, shown
):
    visit = _visit(episode, clinician)
    if fields.get("clinician") == "foreign":
        fields["clinician"] = foreign_episode.lead_clinician.pk
    if fields.get("starts_at") == "late":
        fields["starts_at"] = f"{_tomorrow_at(20):%Y-%m-%dT%H:%M}"
    client.force_login(front_desk)
    response = client.post(
        reverse("schedule_visit_move", args=[visit.pk]), {"starts_at": f"{_tomorrow_at(14):%Y-%m-%dT%H:%M}", **fields}
    )
    assert response.status_code == 400
    assert shown in response.content.decode()
    assert 'class="field-error"' in response.content.decode()
    assert foreign_episode.lead_clinician.full_name not in response.content.decode()
    unchanged = Appointment.objects.get(pk=visit.pk)
    assert (unchanged.clinician, unchanged.starts_at) == (clinician, visit.starts_at)


def test_a_refusal_is_shown_beside_the_field_with_what_was_typed(client, front_desk, episode, clinician, second):
    visit = _visit(episode, clinician)
    client.force_login(front_desk)
    typed = f"{_tomorrow_at(20):%Y-%m-%dT%H:%M}"
    response = client.post(
        reverse("schedule_visit_move", args=[visit.pk]), {"starts_at": typed, "clinician": second.pk}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_override_reason_errors"' in html
    assert "outside the clinician&#x27;s working hours" in html
    assert f'value="{typed}"' in html
    assert "Free times with Sam Second" in html


def test_the_visit_pages_queries_do_not_grow_with_the_clinicians_visits(
    client, front_desk, clinic, episode, clinician, second, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    visit = _visit(episode, clinician)
    url = reverse("schedule_visit", args=[visit.pk])
    client.force_login(front_desk)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for days in range(1, 8):
        start = _tomorrow_at(13) + datetime.timedelta(days=days)
        AppointmentFactory(
            episode=EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician),
            clinician=clinician,
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=30),
        )
        TimeOff.objects.create(
            clinician=clinician,
            starts_at=start + datetime.timedelta(hours=1),
            ends_at=start + datetime.timedelta(hours=2),
        )
    with django_assert_max_num_queries(len(few)):
        html = client.get(url).content.decode()
    assert f'name="starts_at" value="{_tomorrow_at(13) + datetime.timedelta(days=1):%Y-%m-%dT%H:%M}"' not in html
