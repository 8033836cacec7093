"""The front desk, on a phone, books a visit from the patient's page by picking one of the lead
clinician's free times, then moves it to another clinician's free time from the visit's page."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clinic.permissions import Role
from clinic.scheduling.models import Appointment, WorkingHours
from tests.e2e.conftest import PHONE
from tests.factories import EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_book_from_the_patient_page_and_move_to_another_clinician(journey):
    lead = UserFactory(roles=[Role.CLINICIAN], full_name="Casey Lead")
    other = UserFactory(clinic=lead.clinic, roles=[Role.CLINICIAN], full_name="Robin Other")
    front_desk = UserFactory(clinic=lead.clinic, roles=[Role.FRONT_DESK])
    for person in (lead, other):
        for weekday in range(7):
            WorkingHours.objects.create(
                clinician=person, weekday=weekday, start=datetime.time(8), end=datetime.time(12)
            )
    episode = EpisodeFactory(patient__clinic=lead.clinic, patient__last_name="Okonkwo", lead_clinician=lead)
    zone = lead.clinic.zone
    tomorrow = timezone.localdate(timezone.now(), zone) + datetime.timedelta(days=1)

    page = journey.open(**PHONE)
    journey.sign_in(page, front_desk)
    journey.check(page, "00-dashboard")
    page.goto(journey.url(f"/patients/{episode.patient_id}/"))
    assert "No visits yet." in page.get_by_role("region", name="Visits").inner_text()
    journey.check(page, "01-patient-without-visits")

    page.get_by_role("link", name="Book a visit").click()
    page.wait_for_load_state()
    assert page.get_by_label("Visit").input_value() == "initial"
    journey.check(page, "02-free-times")
    page.get_by_role("group", name=f"{tomorrow:%A} {tomorrow.day} {tomorrow:%B}").get_by_label("10:00").check()
    page.get_by_role("button", name="Book visit").click()
    page.wait_for_load_state()
    assert "Visit booked" in page.locator(".messages").inner_text()
    journey.check(page, "03-episode-with-the-visit")
    visit = Appointment.objects.get()
    assert (visit.clinician, timezone.localtime(visit.starts_at, zone).time()) == (lead, datetime.time(10))

    page.get_by_role("region", name="Visits").get_by_role("link", name=f"{tomorrow:%a} {tomorrow.day}").click()
    page.wait_for_load_state()
    page.get_by_label("Clinician").select_option(label="Robin Other")
    page.get_by_role("button", name="Show free times").click()
    page.wait_for_load_state()
    journey.check(page, "04-visit-with-the-other-clinicians-times")
    page.get_by_role("group", name=f"{tomorrow:%A} {tomorrow.day} {tomorrow:%B}").get_by_label("11:00").check()
    page.get_by_role("button", name="Move to the chosen time").click()
    page.wait_for_load_state()
    assert "with Robin Other" in page.locator(".messages").inner_text()
    journey.check(page, "05-day-after-the-move")
    visit.refresh_from_db()
    assert (visit.clinician, timezone.localtime(visit.starts_at, zone).time()) == (other, datetime.time(11))
