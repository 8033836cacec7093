"""The portal's "Your visits": each upcoming visit can be moved or cancelled by the patient,
within the clinic's policy; only the link's own patient's visits open, anyone else's is 404."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from clinic.models import AuditEvent
from clinic.portal import services as portal_services
from clinic.scheduling import services
from clinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
    PatientChange,
    PatientVisitChange,
    WorkingHours,
)
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_every_day(clinic, clinician):
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))


def _at(clinic, days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate(timezone.now(), clinic.zone) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=clinic.zone)


@pytest.fixture
def visit(front_desk, episode, clinician, clinic):
    return services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=_at(clinic, 3, 10)
    )


@pytest.fixture
def portal(patient):
    return urlsplit(portal_services.link_issue(patient=patient)).path


def _page(response) -> str:
    return " ".join(response.content.decode().split())


def test_your_visits_offers_to_move_or_cancel_each_visit(client, portal, visit, clinic):
    page = _page(client.get(portal))
    assert "Your visits" in page
    assert f'href="{portal}visits/{visit.pk}/move/"' in page
    assert f'href="{portal}visits/{visit.pk}/cancel/"' in page
    assert f"until {clinic.patient_change_notice_hours} hours before it" in page


def test_another_patients_visit_is_not_found(client, portal, front_desk, clinician, clinic):
    someone = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    theirs = services.appointment_book(
        actor=front_desk, episode=someone, clinician=clinician, starts_at=_at(clinic, 4, 10)
    )
    for action in ("move", "cancel"):
        assert client.get(f"{portal}visits/{theirs.pk}/{action}/").status_code == 404
        assert client.post(f"{portal}visits/{theirs.pk}/{action}/", {"slot": "x", "confirm": "1"}).status_code == 404
    assert Appointment.objects.get(pk=theirs.pk).status == AppointmentStatus.BOOKED


def test_a_cancelled_visit_is_not_found(client, portal, visit, front_desk):
    services.appointment_cancel(actor=front_desk, appointment=visit, reason="Patient called")
    assert client.get(f"{portal}visits/{visit.pk}/move/").status_code == 404


def test_the_patient_moves_a_visit_from_the_portal(client, portal, visit, clinic):
    move = f"{portal}visits/{visit.pk}/move/"
    page = _page(client.get(move))
    assert clinic.cancellation_policy in page
    new_start = _at(clinic, 5, 11)
    assert f'value="{new_start.isoformat()}"' in page
    review = client.post(move, {"slot": new_start.isoformat()})
    assert "Yes, move my visit" in review.content.decode()
    done = client.post(move, {"slot": new_start.isoformat(), "confirm": "1"})
    assert "Your visit is moved" in done.content.decode()
    assert Appointment.objects.get(pk=visit.pk).starts_at == new_start
    assert PatientVisitChange.objects.get().change == PatientChange.RESCHEDULED
    assert AuditEvent.objects.filter(action="appointment.rescheduled_by_patient", actor__isnull=True).exists()
    # The portal link stays the patient's own: it is not a single-use link.
    assert client.get(portal).status_code == 200


def test_a_tampered_time_gets_a_message_beside_the_times(client, portal, visit, clinic):
    response = client.post(
        f"{portal}visits/{visit.pk}/move/", {"slot": _at(clinic, 4, 10).isoformat()[:-3] + "\x00", "confirm": "1"}
    )
    assert response.status_code == 400
    assert "Please choose one of the times listed." in response.content.decode()
    assert Appointment.objects.get(pk=visit.pk).starts_at == visit.starts_at


def test_a_later_week_is_listed_on_request(client, portal, visit, clinic):
    page = _page(client.get(f"{portal}visits/{visit.pk}/move/?week=2"))
    assert f'value="{_at(clinic, 16, 9).isoformat()}"' in page
    assert f'value="{_at(clinic, 4, 9).isoformat()}"' not in page
    # A week number out of range or not a number shows a week, never an error.
    for week in ("99", "-1", "x", "\x00"):
        assert client.get(f"{portal}visits/{visit.pk}/move/", {"week": week}).status_code == 200


def test_inside_the_notice_window_the_portal_asks_to_call(client, portal, front_desk, episode, clinician, clinic):
    soon = (timezone.now() + datetime.timedelta(hours=6)).replace(second=0, microsecond=0)
    visit = services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=soon, override_reason="test"
    )
    page = _page(client.get(f"{portal}visits/{visit.pk}/move/"))
    assert "Please call us to change this visit" in page
    assert clinic.phone.as_national in page


def test_the_patient_cancels_from_the_portal_and_the_front_desk_sees_it(
    client, portal, visit, clinic, front_desk, episode
):
    cancel = f"{portal}visits/{visit.pk}/cancel/"
    page = _page(client.get(cancel))
    assert clinic.cancellation_policy in page
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.BOOKED  # a GET changes nothing
    assert "Your visit is cancelled" in client.post(cancel).content.decode()
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.CANCELLED
    assert PatientVisitChange.objects.get().change == PatientChange.CANCELLED
    client.force_login(front_desk)
    dashboard = client.get("/").content.decode()
    assert episode.patient.full_name in dashboard
    assert f"/schedule/visits/{visit.pk}/offer/" in dashboard
