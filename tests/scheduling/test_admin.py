"""Clinic admins set working hours and time off in the Django admin, for their clinic only."""

from __future__ import annotations

from clinic.scheduling.models import WorkingHours
from tests.factories import UserFactory


def test_clinic_admin_adds_working_hours_for_own_clinician(client, clinic_admin, clinician, other_clinic):
    client.force_login(clinic_admin)
    response = client.post(
        "/admin/scheduling/workinghours/add/",
        {"clinician": clinician.pk, "weekday": 0, "start": "08:00", "end": "12:00"},
    )
    assert response.status_code == 302
    assert WorkingHours.objects.filter(clinician=clinician, weekday=0).exists()
    stranger = UserFactory(clinic=other_clinic)
    refused = client.post(
        "/admin/scheduling/workinghours/add/",
        {"clinician": stranger.pk, "weekday": 1, "start": "08:00", "end": "12:00"},
    )
    assert refused.status_code == 200  # the form says the choice is not valid
    assert not WorkingHours.objects.filter(clinician=stranger).exists()


def test_front_desk_cannot_change_working_hours(client, front_desk, clinician):
    client.force_login(front_desk)
    assert client.get("/admin/scheduling/workinghours/add/").status_code in {302, 403}
