"""A patient on a phone opens their portal, moves a visit to another free time of the same
clinician and sees it moved; the front desk's dashboard then shows the move. axe-core passes on
every page."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from clinic.permissions import Role
from clinic.portal import services as portal_services
from clinic.scheduling import services
from clinic.scheduling.models import Appointment, WorkingHours
from tests.e2e.conftest import PHONE
from tests.factories import EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_patient_moves_a_visit_from_the_portal_on_a_phone(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead", clinic__name="Lakeside Running Clinic")
    clinic = clinician.clinic
    front_desk = UserFactory(roles=[Role.FRONT_DESK], clinic=clinic)
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))
    episode = EpisodeFactory(patient__clinic=clinic, patient__first_name="Robin", lead_clinician=clinician)
    day = timezone.localdate(timezone.now(), clinic.zone) + datetime.timedelta(days=3)
    starts_at = datetime.datetime.combine(day, datetime.time(10), tzinfo=clinic.zone)
    visit = services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=starts_at)
    link = urlsplit(portal_services.link_issue(patient=episode.patient)).path

    phone = journey.open(**PHONE)
    phone.goto(journey.url(link))
    assert phone.get_by_role("heading", level=2, name="Your visits").is_visible()
    journey.check(phone, "01-portal-your-visits")

    phone.get_by_role("link", name="Move this visit").first.click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Choose a new time for your visit"
    journey.check(phone, "02-choose-a-time")

    new_day = day + datetime.timedelta(days=1)
    phone.locator("summary", has_text=f"{new_day:%A} {new_day.day} {new_day:%B}").click()
    group = phone.get_by_role("group", name=f"{new_day:%A} {new_day.day} {new_day:%B}", exact=True)
    group.get_by_label("11:00 to 11:30").check()
    phone.get_by_role("button", name="Continue").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Move your visit?"
    journey.check(phone, "03-confirm-the-new-time")

    phone.get_by_role("button", name="Yes, move my visit").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Your visit is moved"
    assert f"{new_day:%A} {new_day.day} {new_day:%B} {new_day:%Y}, 11:00" in phone.locator("main").inner_text()
    journey.check(phone, "04-visit-moved")
    moved = Appointment.objects.get(pk=visit.pk)
    assert timezone.localtime(moved.starts_at, clinic.zone).time() == datetime.time(11)

    desk = journey.open()
    journey.sign_in(desk, front_desk)
    section = desk.locator("section[aria-labelledby='patient-changes']")
    assert "Moved" in section.inner_text()
    assert episode.patient.full_name in section.inner_text()
    journey.check(desk, "05-dashboard-shows-the-move")
