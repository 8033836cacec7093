"""A clinician drafts a plan from a completed assessment, edits a dosage and signs it."""

from __future__ import annotations

import pytest

from assessments import services as assessment_services
from assessments.forms import AssessmentForm
from assessments.models import AssessmentKind
from clinic.permissions import Role
from plans.models import PlanVersion
from tests.assessments.helpers import exam_data
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, EpisodeFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_clinician_drafts_edits_and_signs_a_plan(live_server, browser):
    clinician = UserFactory(roles=[Role.CLINICIAN])
    episode = EpisodeFactory(patient__clinic=clinician.clinic, lead_clinician=clinician)
    assessment = assessment_services.assessment_start(actor=clinician, episode=episode, kind=AssessmentKind.INITIAL)
    form = AssessmentForm(exam_data())
    assert form.is_valid(), form.errors
    assessment_services.assessment_save(actor=clinician, assessment=assessment, data=form.cleaned_data)
    assessment_services.assessment_complete(actor=clinician, assessment=assessment)

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(clinician.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/assessments/{assessment.pk}/")
    page.get_by_role("button", name="Draft plan").click()
    assert "Treatment plan" in page.get_by_role("heading", level=1).inner_text()
    stretch = page.get_by_role("article", name="Half-kneeling hip-flexor stretch")
    assert "Hip flexor tightness – left" in stretch.inner_text()  # why the item is there
    screenshot(page, "plan-draft")

    stretch.get_by_text("Edit dosage and instructions").click()
    stretch.get_by_label("Sets").fill("3")
    stretch.get_by_role("button", name="Save Half-kneeling hip-flexor stretch").click()
    stretch = page.get_by_role("article", name="Half-kneeling hip-flexor stretch")
    assert "3 ×" in stretch.inner_text()

    page.get_by_role("button", name="Sign the plan").click()
    if page.get_by_text("say why it is left out").count():
        # A prong the generator left empty needs a reason before signing.
        for field in page.get_by_label("If there is no").all():
            field.fill("Not indicated at this stage.")
        page.get_by_role("button", name="Save plan details").click()
        page.get_by_role("button", name="Sign the plan").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Treatment plan, version 1"
    home = page.get_by_role("region", name="Home program (what the patient's handout shows)").inner_text()
    assert "Half-kneeling hip-flexor stretch" in home
    assert "3 ×" in home
    screenshot(page, "plan-signed")
    version = PlanVersion.objects.get()
    assert version.signed_by == clinician
    assert any(
        item["name"] == "Half-kneeling hip-flexor stretch" and item["sets"] == 3 for item in version.body["items"]
    )
