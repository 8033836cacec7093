"""A patient's record read on a phone: the patient page, the episode page and the intake summary
fit the screen even with a long e-mail address and long answers (the journey's page check fails
any page wider than a phone's screen); the schedule's pages fit the narrowest common phone."""

from __future__ import annotations

import pytest
from django.test import Client

from clinic.permissions import Role
from tests.e2e.conftest import PHONE, SMALL_PHONE
from tests.factories import AppointmentFactory, EpisodeFactory, UserFactory
from tests.intake.helpers import complete_intake, send_invitation

pytestmark = pytest.mark.django_db(transaction=True)

LONG_EMAIL = "alexandria.montgomery-featherstonehaugh.runner@example-running-club.test"


def test_a_patients_record_fits_a_phone(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead")
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    episode = EpisodeFactory(
        patient__clinic=clinician.clinic,
        patient__email=LONG_EMAIL,
        patient__mobile_phone="+13125550199",
        lead_clinician=clinician,
        presenting_complaint="Right lateral hip pain when running downhill on cambered roads",
    )
    complete_intake(Client(), send_invitation(episode, actor=front_desk))

    page = journey.open(**PHONE)
    journey.sign_in(page, clinician)
    journey.check(page, "dashboard-phone")
    for name, path in [
        ("patient-phone", f"/patients/{episode.patient_id}/"),
        ("episode-phone", f"/episodes/{episode.pk}/"),
        ("intake-summary-phone", f"/episodes/{episode.pk}/intake/"),
    ]:
        page.goto(journey.url(path))
        journey.check(page, name)
    page.goto(journey.url(f"/patients/{episode.patient_id}/"))
    assert LONG_EMAIL in page.locator("main").inner_text().replace("\n", "")


def test_the_schedule_fits_a_small_phone(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead")
    UserFactory(clinic=clinician.clinic, roles=[Role.CLINICIAN], full_name="Sam Second")
    episode = EpisodeFactory(patient__clinic=clinician.clinic, lead_clinician=clinician)
    visit = AppointmentFactory(episode=episode, clinician=clinician)

    page = journey.open(**SMALL_PHONE)
    journey.sign_in(page, clinician)
    journey.check(page, "dashboard-small-phone")
    for name, path in [
        ("day-small-phone", "/schedule/"),
        ("week-small-phone", "/schedule/week/"),
        ("one-week-small-phone", f"/schedule/week/?clinician={clinician.pk}"),
        ("visit-small-phone", f"/schedule/visits/{visit.pk}/"),
    ]:
        page.goto(journey.url(path))
        journey.check(page, name)
