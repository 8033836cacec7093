"""Schedule API: the same rules as the pages."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.test import APIClient

from clinic.permissions import Role
from clinic.scheduling.models import Appointment, WorkingHours
from tests.factories import UserFactory

START = "2026-12-01T09:00:00-06:00"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def hours(clinician):
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))


def _book(api, episode, clinician, start=START):
    return api.post(
        "/api/appointments/", {"episode": episode.pk, "clinician": clinician.pk, "starts_at": start}, format="json"
    )


@pytest.mark.parametrize(("role", "expected"), [("front_desk", 201), ("clinician", 201), ("clinic_admin", 403)])
def test_booking_by_role(api, request, episode, clinician, hours, role, expected):
    api.force_authenticate(request.getfixturevalue(role))
    assert _book(api, episode, clinician).status_code == expected


def test_double_booking_is_a_400_with_the_reason(api, front_desk, episode, clinician, hours):
    api.force_authenticate(front_desk)
    assert _book(api, episode, clinician).status_code == 201
    clash = _book(api, episode, clinician, "2026-12-01T09:15:00-06:00")
    assert clash.status_code == 400
    assert "already has a visit from 09:00 to 09:30" in str(clash.data["starts_at"])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"clinician": 999999}, "clinician"),
        ({"episode": "abc"}, "episode"),
        ({"kind": "nap"}, "kind"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, front_desk, episode, clinician, hours, payload, field):
    api.force_authenticate(front_desk)
    body = {"episode": episode.pk, "clinician": clinician.pk, "starts_at": START, **payload}
    response = api.post("/api/appointments/", body, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not Appointment.objects.exists()


def test_reschedule_cancel_and_status(api, front_desk, episode, clinician, hours):
    api.force_authenticate(front_desk)
    visit = _book(api, episode, clinician).data
    moved = api.post(f"/api/appointments/{visit['id']}/reschedule/", {"starts_at": "2026-12-02T10:00:00-06:00"})
    assert moved.status_code == 200
    assert moved.data["starts_at"].startswith("2026-12-02T16:00")  # stored and returned in UTC
    assert api.post(f"/api/appointments/{visit['id']}/status/", {"status": "checked_in"}).data["status"] == "checked_in"
    assert api.post(f"/api/appointments/{visit['id']}/cancel/", {"reason": ""}).status_code == 400


def test_availability_lists_free_slots(api, front_desk, episode, clinician, hours):
    api.force_authenticate(front_desk)
    _book(api, episode, clinician)
    slots = api.get("/api/appointments/availability/", {"clinician": clinician.pk, "day": "2026-12-01"}).data
    starts = [slot["start"] for slot in slots]
    assert "2026-12-01T08:30:00-06:00" in starts
    assert "2026-12-01T09:00:00-06:00" not in starts
    assert "2026-12-01T09:30:00-06:00" in starts


def test_other_clinics_visits_are_not_found(api, front_desk, foreign_episode):
    other = Appointment.objects.create(
        episode=foreign_episode,
        clinician=foreign_episode.lead_clinician,
        starts_at=datetime.datetime(2026, 12, 1, 15, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2026, 12, 1, 16, tzinfo=datetime.UTC),
    )
    api.force_authenticate(front_desk)
    assert api.get(f"/api/appointments/{other.pk}/").status_code == 404
    assert api.post(f"/api/appointments/{other.pk}/cancel/", {"reason": "x"}).status_code == 404
    assert api.get("/api/appointments/").data["count"] == 0


def test_reschedule_to_another_clinician_of_the_clinic(api, front_desk, episode, clinician, clinic, hours):
    other = UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name="Robin Other")
    for weekday in range(7):
        WorkingHours.objects.create(clinician=other, weekday=weekday, start=datetime.time(8), end=datetime.time(17))
    api.force_authenticate(front_desk)
    visit = _book(api, episode, clinician).data

    moved = api.post(
        f"/api/appointments/{visit['id']}/reschedule/",
        {"starts_at": "2026-12-02T10:00:00-06:00", "clinician": other.pk},
        format="json",
    )

    assert moved.status_code == 200
    assert moved.data["clinician"] == other.pk


@pytest.mark.parametrize("clinician_id", ["foreign", 999999, "abc"])
def test_reschedule_refuses_a_clinician_not_of_the_clinic(
    api, front_desk, episode, clinician, hours, foreign_episode, clinician_id
):
    api.force_authenticate(front_desk)
    visit = _book(api, episode, clinician).data
    if clinician_id == "foreign":
        clinician_id = foreign_episode.lead_clinician_id

    refused = api.post(
        f"/api/appointments/{visit['id']}/reschedule/",
        {"starts_at": "2026-12-02T10:00:00-06:00", "clinician": clinician_id},
        format="json",
    )

    assert refused.status_code == 400
    assert "clinician" in refused.data
    assert Appointment.objects.get(pk=visit["id"]).clinician == clinician
