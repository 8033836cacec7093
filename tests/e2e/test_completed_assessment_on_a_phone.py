"""A completed assessment read on a phone: the exam as recorded fits the screen, each value still
says its side, and a section not tested says so with its reason."""

from __future__ import annotations

import pytest

from clinic.permissions import Role
from tests.e2e.conftest import PHONE
from tests.e2e.preconditions import completed_assessment
from tests.factories import BASELINE_DAY, EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

LEG_LENGTH_NOT_TESTED = {
    "true_left_cm": None,
    "true_right_cm": None,
    "apparent_left_cm": None,
    "apparent_right_cm": None,
    "leg_length_not_tested": "on",
    "leg_length_not_tested_reason": "Tape measure missing",
}


def test_completed_assessment_reads_on_a_phone(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead")
    episode = EpisodeFactory(patient__clinic=clinician.clinic, lead_clinician=clinician)
    assessment = completed_assessment(episode, clinician=clinician, on=BASELINE_DAY, changes=LEG_LENGTH_NOT_TESTED)

    page = journey.open(**PHONE)
    journey.sign_in(page, clinician)
    journey.check(page, "dashboard-phone")
    page.goto(journey.url(f"/assessments/{assessment.pk}/"))

    record = page.get_by_role("region", name="Exam as recorded")
    special = record.get_by_role("region", name="Special tests").inner_text()
    assert "Right: Positive (angle 45°, reproduces leg symptoms)" in special
    assert "Right: Negative" in special
    assert "Not tested: Tape measure missing" in record.get_by_role("region", name="Leg length").inner_text()
    assert "Leg length: Tape measure missing" in page.get_by_role("region", name="Findings").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    journey.check(page, "completed-assessment-phone")
