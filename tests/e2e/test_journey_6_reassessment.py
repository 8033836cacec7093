"""Journey 6: at the re-assessment the clinician records the exam and the patient's ODI from the
paper form, then sees progress against the baseline: the change table judged against the
MDC/MCID values and the three SVG charts."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from assessments.models import Assessment, AssessmentKind, AssessmentStatus
from clinic.permissions import Role
from intake.instruments import ODI
from tests.assessments.helpers import BASELINE_DAY, REASSESSMENT_DAY, exam_data
from tests.e2e.conftest import TABLET
from tests.e2e.preconditions import completed_assessment, signed_plan, submitted_intake
from tests.factories import EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Six weeks on: less pain, the right hip's extension back to normal, a better hurdle step.
BETTER = {
    "pain_today": "2",
    "rom_extension_right": "14",
    "rom_flexion_left": "118",
    "rom_flexion_left_pain": None,
    "fms_hurdle_step_right": "2",
    # ODI from the paper form: every section 1 (10 of 50 = 20 %, against 40 % at intake).
    **{f"outcome_odi_{item.code}": "1" for item in ODI.items if not item.optional},
}


def _noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


def _fill(page, data: dict[str, str]) -> None:
    """Enter a whole exam as a person does: each control found by its name on the screen."""
    for name, value in data.items():
        control = page.locator(f'[name="{name}"]')
        tag, kind = control.evaluate("(el) => [el.tagName.toLowerCase(), el.type]")
        if tag == "select":
            control.select_option(value)
        elif kind == "checkbox":
            control.check()
        else:
            control.fill(value)


def test_clinician_records_the_reassessment_and_sees_progress(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead")
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    episode = EpisodeFactory(
        patient__clinic=clinician.clinic,
        patient__first_name="Jordan",
        patient__last_name="Rivera",
        lead_clinician=clinician,
    )
    # The episode's history, each step on its own day: the intake two days before the initial
    # evaluation (ODI 40 %, pain now 5), the evaluation and the plan signed that day.
    with time_machine.travel(_noon(BASELINE_DAY - datetime.timedelta(days=2))):
        submitted_intake(episode, actor=front_desk)
    with time_machine.travel(_noon(BASELINE_DAY)):
        baseline = completed_assessment(episode, clinician=clinician, kind=AssessmentKind.INITIAL, on=BASELINE_DAY)
        signed_plan(baseline, clinician=clinician)

    page = journey.open(**TABLET)
    journey.sign_in(page, clinician)
    journey.check(page, "01-dashboard")
    page.goto(journey.url(f"/episodes/{episode.pk}/"))
    assert page.get_by_role("link", name="Progress against baseline").count() == 0  # nothing to compare yet
    journey.check(page, "02-episode-before")
    assessments = page.get_by_role("region", name="Assessments")
    assessments.get_by_label("Re-assessment").check()
    assessments.get_by_label("Date of the visit").fill(REASSESSMENT_DAY.isoformat())
    assessments.get_by_role("button", name="Start assessment").click()
    page.wait_for_load_state()
    assert "Re-assessment" in page.get_by_role("heading", level=1).inner_text()

    page.get_by_text("Oswestry Disability Index").click()  # open the questionnaire's section
    data = exam_data(BETTER)
    data.pop("assessed_on")  # the start form set it
    _fill(page, data)
    journey.check(page, "03-reassessment-form")
    page.get_by_role("button", name="Complete and derive findings").click()
    page.wait_for_load_state()
    journey.check(page, "04-reassessment-findings")
    reassessment = Assessment.objects.get(kind=AssessmentKind.REASSESSMENT)
    assert reassessment.status == AssessmentStatus.COMPLETED

    page.get_by_role("link", name="Episode").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Progress against baseline").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Progress: Jordan Rivera"
    table = page.get_by_role("region", name="Change against baseline").get_by_role("table")
    rows = {row.get_by_role("rowheader").inner_text(): row.inner_text() for row in table.get_by_role("row").all()[1:]}
    for measure, baseline_value, now, judgement in [
        ("Hip extension right", "-4", "14", "Improved"),
        ("FMS hurdle step", "1", "2", "Improved"),
        ("NPRS", "5", "2", "Improved"),  # the baseline questionnaire is the intake
        ("ODI", "40", "20", "Improved"),
        ("Hip flexion right", "118", "118", "No change"),
    ]:
        cells = rows[measure].split("\t")
        assert [cells[1].split(".")[0], cells[2].split(".")[0], cells[4]] == [baseline_value, now, judgement], cells
    for section in ("Hip range of motion over visits", "Outcome scores", "FMS profile"):
        chart = page.get_by_role("region", name=section).locator("svg")
        assert chart.count() == 1, section
    journey.check(page, "05-progress")
