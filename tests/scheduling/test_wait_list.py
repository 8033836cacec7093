"""The wait list: a cancelled visit is offered, in one step, to a waiting patient who fits."""

from __future__ import annotations

import datetime

from django.utils import timezone

from clinic.scheduling.models import Appointment, AppointmentStatus, WaitListEntry
from tests.factories import AppointmentFactory, EpisodeFactory


def _visit(episode, clinician):
    start = timezone.now() + datetime.timedelta(days=2)
    return AppointmentFactory(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )


def test_cancel_offers_the_slot_to_a_waiting_patient(client, front_desk, clinic, clinician, episode):
    waiting = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    client.force_login(front_desk)
    client.post(f"/schedule/episodes/{waiting.pk}/wait-list/", {"clinician": "", "note": "mornings"})
    entry = WaitListEntry.objects.get()
    visit = _visit(episode, clinician)

    response = client.post(f"/schedule/visits/{visit.pk}/status/", {"status": "cancelled", "reason": "Ill"})
    assert response["Location"] == f"/schedule/visits/{visit.pk}/offer/"
    offer = client.get(response["Location"]).content.decode()
    assert waiting.patient.full_name in offer

    client.post(f"/schedule/visits/{visit.pk}/offer/", {"entry": entry.pk})
    booked = Appointment.objects.get(episode=waiting)
    assert (booked.starts_at, booked.ends_at, booked.clinician) == (visit.starts_at, visit.ends_at, clinician)
    entry.refresh_from_db()
    assert entry.closed_at is not None
    assert entry.booked == booked


def test_no_one_waiting_goes_back_to_the_day(client, front_desk, clinician, episode):
    visit = _visit(episode, clinician)
    client.force_login(front_desk)
    response = client.post(f"/schedule/visits/{visit.pk}/status/", {"status": "cancelled", "reason": "Ill"})
    assert response["Location"].startswith("/schedule/?day=")
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.CANCELLED


def test_waiting_for_another_clinician_does_not_fit(client, front_desk, clinic, clinician, episode):
    from clinic.permissions import Role
    from tests.factories import UserFactory

    other = UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
    waiting = EpisodeFactory(patient__clinic=clinic, lead_clinician=other)
    client.force_login(front_desk)
    client.post(f"/schedule/episodes/{waiting.pk}/wait-list/", {"clinician": other.pk})
    visit = _visit(episode, clinician)
    response = client.post(f"/schedule/visits/{visit.pk}/status/", {"status": "cancelled", "reason": "Ill"})
    assert response["Location"].startswith("/schedule/?day=")


def test_one_open_entry_per_episode(client, front_desk, episode):
    client.force_login(front_desk)
    client.post(f"/schedule/episodes/{episode.pk}/wait-list/", {})
    response = client.post(f"/schedule/episodes/{episode.pk}/wait-list/", {}, follow=True)
    assert "already on the wait list" in response.content.decode()
    assert WaitListEntry.objects.count() == 1
