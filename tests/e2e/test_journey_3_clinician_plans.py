"""Journey 3: the clinician reads the submitted intake's scores, records the initial assessment
on a tablet, reviews the findings (dismissing one), drafts the plan, edits a dosage and signs."""

from __future__ import annotations

import pytest

from assessments import findings, scoring
from assessments.models import Finding
from clinic.permissions import Role
from intake.instruments import LEFS, ODI
from plans.models import PlanVersion
from tests.e2e.conftest import TABLET
from tests.e2e.preconditions import submitted_intake
from tests.factories import EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Low back and hip pain, 6/10 now; a jump in weekly distance (a load flag); a history of cancer
# (an urgent red flag); ODI 16 of 45 (the optional section left out) and LEFS 60 of 80.
INTAKE = {
    "complaint": {
        "regions": ["low_back_right", "hip_side_right"],
        "pain_now": "6",
        "pain_least": "3",
        "pain_worst": "8",
    },
    "running": {
        "weekly_now": "40",
        "weekly_2_weeks_ago": "25",
        "weekly_4_weeks_ago": "22",
        "longest_last_7_days": "16",
        "longest_prior_30_days": "14",
    },
    "red_flags": {"cancer_history": "yes"},
    "questionnaires": {
        **{f"odi__{item.code}": "2" for item in ODI.items if item.code not in ("social_life", "travelling")},
        "odi__social_life": "1",
        "odi__travelling": "1",
        "odi__sex_life": None,
        **{f"lefs__{item.code}": "3" for item in LEFS.items},
    },
}
ROM = {
    "flexion": (122, 121),
    "extension": (14, 29),
    "abduction": (44, 46),
    "adduction": (30, 29),
    "internal_rotation": (44, 45),
    "external_rotation": (46, 45),
}


def _press(page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()


def test_clinician_reviews_the_intake_assesses_and_signs_the_plan(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead")
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    episode = EpisodeFactory(
        patient__clinic=clinician.clinic,
        patient__first_name="Jordan",
        patient__last_name="Rivera",
        lead_clinician=clinician,
        presenting_complaint="Low back pain after long runs",
    )
    submitted_intake(episode, actor=front_desk, answers=INTAKE)

    page = journey.open(**TABLET)
    journey.sign_in(page, clinician)
    urgent = page.get_by_role("region", name="Urgent: red flags to review")
    assert "Jordan Rivera" in urgent.inner_text()
    assert "Urgent" in urgent.inner_text()
    journey.check(page, "01-dashboard")
    waiting = page.get_by_role("region", name="My open episodes with no next visit booked")
    waiting.get_by_role("link", name="Jordan Rivera").click()
    page.wait_for_load_state()
    journey.check(page, "02-episode")
    page.get_by_role("link", name="Read the intake summary").click()
    page.wait_for_load_state()
    scores = page.get_by_role("region", name="Questionnaire scores").inner_text()
    assert "6 / 10" in scores  # NPRS now
    assert "35.6 %" in scores  # ODI: 16 of 45
    assert "Moderate" in scores
    assert "60 / 80" in scores  # LEFS
    assert "Load flag" in page.get_by_role("region", name="Running load").inner_text()
    journey.check(page, "03-intake-summary")

    page.go_back()
    _press(page, "Start assessment")
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
    tight_left = page.get_by_role("group", name="Tight structures, left (when positive)")
    tight_left.get_by_label("Iliopsoas (one-joint flexor), left").check()
    tight_left.get_by_label("Rectus femoris, left").check()
    page.get_by_label("Overstriding").check()
    page.get_by_label("Cadence (steps/min)").fill("158")
    journey.check(page, "04-assessment-form")

    # A draft keeps everything.
    _press(page, "Save draft")
    assert page.get_by_label("True leg length, right (cm)").input_value() == "88.8"
    journey.screenshot(page, "05-assessment-draft-saved")

    _press(page, "Complete and derive findings")
    found = page.get_by_role("region", name="Findings").inner_text()
    for expected in [
        "Hip flexor tightness – left",
        "Rectus femoris tightness – left",
        "Reduced hip extension – left",
        "Hip extension asymmetry",
        "Leg-length discrepancy 12 mm, right short, structural",
        "FMS hurdle step asymmetry",
        "Overstriding",
    ]:
        assert expected in found, expected
    assert "Thomas test: positive, iliopsoas" in found
    assert "Thomas test: positive, rectus femoris" in found
    journey.check(page, "06-findings")

    # The clinician judges the asymmetry unimportant and dismisses it, with a reason.
    asymmetry = page.get_by_role("listitem").filter(has_text="Hip extension asymmetry").first
    asymmetry.get_by_text("Dismiss", exact=True).click()
    asymmetry.get_by_role("textbox").fill("Explained by the reduced left extension already listed.")
    asymmetry.get_by_role("button", name="Dismiss finding").click()
    page.wait_for_load_state()
    assert "Dismissed by Dana Lead" in page.get_by_role("region", name="Findings").inner_text()
    (dismissed,) = Finding.objects.filter(dismissed_at__isnull=False)
    assert dismissed.label.startswith("Hip extension asymmetry")
    assert dismissed.dismiss_reason.startswith("Explained by")
    journey.check(page, "07-finding-dismissed")

    _press(page, "Draft plan")
    assert "Treatment plan" in page.get_by_role("heading", level=1).inner_text()
    stretch = page.get_by_role("article", name="Half-kneeling hip-flexor stretch")
    assert "Hip flexor tightness – left" in stretch.inner_text()  # why the item is there
    journey.check(page, "08-plan-draft")

    stretch.get_by_text("Edit dosage and instructions").click()
    stretch.get_by_label("Sets").fill("3")
    stretch.get_by_role("button", name="Save Half-kneeling hip-flexor stretch").click()
    page.wait_for_load_state()
    stretch = page.get_by_role("article", name="Half-kneeling hip-flexor stretch")
    assert "3 ×" in stretch.inner_text()
    journey.screenshot(page, "09-plan-edited")

    _press(page, "Sign the plan")
    if page.get_by_text("say why it is left out").count():
        # A prong the generator left empty needs a reason before signing.
        journey.check(page, "10-plan-needs-a-reason")
        for field in page.get_by_label("If there is no").all():
            field.fill("Not indicated at this stage.")
        _press(page, "Save plan details")
        _press(page, "Sign the plan")
    assert page.get_by_role("heading", level=1).inner_text() == "Treatment plan, version 1"
    home = page.get_by_role("region", name="Home program (what the patient's handout shows)").inner_text()
    assert "Half-kneeling hip-flexor stretch" in home
    assert "3 ×" in home
    journey.check(page, "11-plan-signed")
    version = PlanVersion.objects.get()
    assert version.signed_by == clinician
    assert any(
        item["name"] == "Half-kneeling hip-flexor stretch" and item["sets"] == 3 for item in version.body["items"]
    )
