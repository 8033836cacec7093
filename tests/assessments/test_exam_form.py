"""The assessment form hands the service typed values: the ExamInput the findings take and the
visit's details. What the service stores reads back as the same exam."""

from __future__ import annotations

import dataclasses

from assessments import selectors, services
from assessments.findings import SpecialTest
from assessments.forms import AssessmentForm
from assessments.models import AssessmentKind
from assessments.scoring import RomReading
from tests.assessments.helpers import BASELINE_DAY, exam_data


def _valid_form(changes: dict | None = None) -> AssessmentForm:
    form = AssessmentForm(exam_data(changes))
    assert form.is_valid(), form.errors
    return form


def test_the_form_gives_the_exam_in_the_findings_units():
    exam = _valid_form().exam()

    assert RomReading("flexion", 110, 118, left_painful=True, position="supine", device="goniometer") in exam.rom
    assert (exam.true_left, exam.true_right, exam.apparent_left, exam.apparent_right) == (900, 888, 950, 939)
    assert exam.fms_raw["hurdle_step_right"] == 1
    assert exam.special_tests["slr"]["right"] == SpecialTest("positive", angle=45, reproduces_leg_symptoms=True)
    assert exam.special_tests["slr"]["left"] == SpecialTest("negative", reproduces_leg_symptoms=False)
    assert exam.special_tests["thomas"]["left"] == SpecialTest("positive", tight=frozenset({"iliopsoas"}))
    assert exam.special_tests["faber"]["left"] == SpecialTest("positive", pain_location="posterior")
    assert exam.special_tests["ober"]["left"] == SpecialTest("not_tested")
    assert exam.running_form["overstriding"] is True
    assert exam.running_form["knee_valgus"] is False
    assert exam.cadence == 162


def test_the_form_gives_the_visit_details():
    visit = _valid_form({"outcome_lefs_activity_01": "3"}).visit()

    assert (visit.assessed_on, visit.rom_device, visit.rom_mode, visit.pain_today) == (
        BASELINE_DAY,
        "goniometer",
        "passive",
        6,
    )
    assert visit.form_notes.startswith("Heel strikes")
    assert visit.outcomes["lefs"]["activity_01"] == 3
    assert all(value is None for value in visit.outcomes["odi"].values())


def test_the_stored_exam_reads_back_as_the_form_gave_it(clinician, episode):
    form = _valid_form()
    assessment = services.assessment_start(
        actor=clinician, episode=episode, kind=AssessmentKind.INITIAL, assessed_on=BASELINE_DAY
    )

    services.assessment_save(actor=clinician, assessment=assessment, visit=form.visit(), exam=form.exam())

    stored = dataclasses.replace(selectors.exam_input(assessment), age=None, sex=None)
    assert stored == form.exam()
