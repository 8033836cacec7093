"""A clinician records a full assessment on a tablet-sized screen and sees the findings."""

from __future__ import annotations

import pytest

from assessments import findings, scoring
from clinic.permissions import Role
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, EpisodeFactory, UserFactory

TABLET = {"viewport": {"width": 1024, "height": 1366}, "has_touch": True}
ROM = {
    "flexion": (122, 121),
    "extension": (14, 29),
    "abduction": (44, 46),
    "adduction": (30, 29),
    "internal_rotation": (44, 45),
    "external_rotation": (46, 45),
}


@pytest.mark.django_db(transaction=True)
def test_clinician_records_an_assessment_and_sees_findings(live_server, browser):
    clinician = UserFactory(roles=[Role.CLINICIAN])
    episode = EpisodeFactory(patient__clinic=clinician.clinic, patient__first_name="Jordan", lead_clinician=clinician)
    context = browser.new_context(**TABLET)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(clinician.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/episodes/{episode.pk}/")
    page.get_by_role("button", name="Start assessment").click()
    assert "(draft)" in page.get_by_role("heading", level=1).inner_text()

    page.get_by_label("Pain today (NPRS 0–10)").select_option("5")
    for motion, (left, right) in ROM.items():
        label = scoring.MOTION_LABELS[motion]
        page.get_by_label(f"{label}, left (degrees)").fill(str(left))
        page.get_by_label(f"{label}, right (degrees)").fill(str(right))
    page.get_by_label("Pain on hip extension, left").check()
    for test in scoring.FMS_TESTS:
        if test.bilateral:
            page.get_by_label(f"{test.label}, left").select_option("2")
            page.get_by_label(f"{test.label}, right").select_option("1" if test.code == "hurdle_step" else "2")
        else:
            page.get_by_label(test.label, exact=True).select_option("2")
    page.get_by_label("True leg length, left (cm)").fill("90.0")
    page.get_by_label("True leg length, right (cm)").fill("88.8")
    page.get_by_label("Apparent leg length, left (cm)").fill("95.0")
    page.get_by_label("Apparent leg length, right (cm)").fill("93.9")
    for _code, label in findings.SPECIAL_TESTS:
        for side in ("left", "right"):
            page.get_by_label(f"{label}, {side}", exact=True).select_option("negative")
    page.get_by_label(f"{findings.SPECIAL_TEST_LABELS['thomas']}, left", exact=True).select_option("positive")
    page.get_by_label("Tight structure, left").select_option("iliopsoas")
    page.get_by_label("Overstriding").check()
    page.get_by_label("Cadence (steps/min)").fill("158")
    screenshot(page, "assessment-tablet-form")

    # A draft keeps everything.
    page.get_by_role("button", name="Save draft").click()
    assert page.get_by_label("True leg length, right (cm)").input_value() == "88.8"

    page.get_by_role("button", name="Complete and derive findings").click()
    found = page.get_by_role("region", name="Findings").inner_text()
    for expected in [
        "Hip flexor tightness – left",
        "Reduced hip extension – left",
        "Hip extension asymmetry",
        "Leg-length discrepancy 12 mm, right short, structural",
        "FMS hurdle step asymmetry",
        "Overstriding",
    ]:
        assert expected in found, expected
    assert "Thomas test: positive" in found
    screenshot(page, "assessment-findings")
    context.close()
