"""The clinic admin reads the clinic-wide audit trail in a browser: finds a patient by name, filters,
is told beside the field when the dates are the wrong way round, and the page works on a phone."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clinic import audit
from clinic.permissions import Role
from tests.e2e.conftest import PHONE
from tests.factories import EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_filters_the_clinics_audit_trail(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Casey Lead")
    admin = UserFactory(clinic=clinician.clinic, roles=[Role.CLINIC_ADMIN])
    episode = EpisodeFactory(
        patient__clinic=clinician.clinic, patient__first_name="Robin", patient__last_name="Audited"
    )
    audit.record(actor=clinician, action="episode.updated", obj=episode)
    today = timezone.localdate(timezone.now(), clinician.clinic.zone)

    page = journey.open(**PHONE)
    journey.sign_in(page, admin)
    journey.check(page, "00-dashboard")
    page.goto(journey.url("/settings/"))
    journey.check(page, "00-clinic-settings")
    page.locator("main").get_by_role("link", name="Audit trail").click()
    page.wait_for_load_state()
    journey.check(page, "01-audit-trail")
    assert "Robin Audited" in page.locator("table").inner_text()

    page.get_by_role("textbox", name="Find a patient").fill("Audited")
    page.get_by_role("button", name="Find").click()
    page.wait_for_load_state()
    assert "1 patient found" in page.locator("main").inner_text()
    page.get_by_label("Patient", exact=True).select_option(label=f"Robin Audited (#{episode.patient_id})")
    page.get_by_label("From", exact=True).fill(f"{today:%Y-%m-%d}")
    page.get_by_label("To", exact=True).fill(f"{today - datetime.timedelta(days=1):%Y-%m-%d}")
    page.get_by_role("button", name="Show entries").click()
    page.wait_for_load_state()
    journey.check(page, "02-dates-the-wrong-way-round")
    assert page.locator(".field-error").count() >= 1
    assert page.get_by_label("From", exact=True).input_value() == f"{today:%Y-%m-%d}"

    page.get_by_label("To", exact=True).fill(f"{today:%Y-%m-%d}")
    page.get_by_role("button", name="Show entries").click()
    page.wait_for_load_state()
    journey.check(page, "03-one-patient-today")
    assert "Robin Audited" in page.locator("table").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
