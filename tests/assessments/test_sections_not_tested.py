"""Completing needs every exam section recorded or marked "not tested" (reason optional): the rule,
the service, the screen and the API, the database's refusals, and the marking of assessments
completed before the rule."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from assessments import sections, services
from assessments.findings import ExamInput, SpecialTest
from assessments.models import Assessment, AssessmentStatus
from assessments.records import Visit
from assessments.scoring import RomReading
from tests.assessments.helpers import BASELINE_DAY, error_summary, exam_data, login, post_exam, started
from tests.factories import AssessmentFactory
from tests.html_forms import read_form

ALL = [code for code, _ in sections.SECTIONS]
NEITHER = "Neither recorded nor marked not tested"


def _marks(**reasons: str) -> dict[str, str]:
    """The screen's "not tested" ticks (and reasons) for the sections named."""
    data = {}
    for code, reason in reasons.items():
        data[f"{code}_not_tested"] = "on"
        if reason:
            data[f"{code}_not_tested_reason"] = reason
    return data


def _visit() -> Visit:
    return Visit(assessed_on=BASELINE_DAY, rom_device="goniometer", rom_mode="passive")


# --- The rule ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exam", "notes", "expected"),
    [
        (ExamInput(), "", set()),
        (ExamInput(rom=(RomReading("flexion", None, None),)), "", set()),
        (ExamInput(rom=(RomReading("flexion", 110, 112),)), "", {"rom"}),
        (ExamInput(fms_raw={"deep_squat": 0}), "", {"fms"}),
        (ExamInput(fms_raw={"deep_squat": None}, fms_clearing={"shoulder_clearing": True}), "", {"fms"}),
        (ExamInput(true_left=900, true_right=900), "", {"leg_length"}),
        (ExamInput(special_tests={"slr": {"left": SpecialTest("not_tested")}}), "", set()),
        (ExamInput(special_tests={"slr": {"left": SpecialTest("negative")}}), "", {"special_tests"}),
        (ExamInput(running_form={"overstriding": False}), "", set()),
        (ExamInput(running_form={"overstriding": True}), "", {"running_form"}),
        (ExamInput(cadence=170), "", {"running_form"}),
        (ExamInput(), "No fault seen.", {"running_form"}),
    ],
)
def test_recorded_sections(exam, notes, expected):
    assert sections.recorded(exam, form_notes=notes) == expected


def test_unaccounted_and_contradicted_sections():
    exam = ExamInput(cadence=170, not_tested={"running_form": "", "fms": "Shoulder pain"})

    assert sections.unaccounted(exam) == ["rom", "leg_length", "special_tests"]
    assert sections.contradicted(exam) == ["running_form"]


# --- The service ----------------------------------------------------------------------------------------


def test_completing_an_empty_draft_is_refused_naming_each_section(clinician, episode):
    assessment = services.assessment_start(actor=clinician, episode=episode, kind="initial", assessed_on=BASELINE_DAY)
    services.assessment_save(
        actor=clinician, assessment=assessment, visit=_visit(), exam=ExamInput(not_tested={"fms": ""})
    )

    with pytest.raises(ValidationError) as refused:
        services.assessment_complete(actor=clinician, assessment=assessment)

    errors = refused.value.message_dict
    missing = ["rom", "leg_length", "special_tests", "running_form"]
    assert set(errors) == {NON_FIELD_ERRORS, *(f"{code}_not_tested" for code in missing)}
    assert errors[NON_FIELD_ERRORS] == [
        "Not completed: record each section or mark it not tested. Neither is done for: "
        "Hip range of motion, Leg length, Special tests, Running form."
    ]
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert not assessment.findings.exists()


def test_every_section_marked_not_tested_completes(clinician, episode):
    assessment = services.assessment_start(actor=clinician, episode=episode, kind="initial", assessed_on=BASELINE_DAY)
    marks = dict.fromkeys(ALL, "") | {"leg_length": " No tape measure today. "}
    services.assessment_save(actor=clinician, assessment=assessment, visit=_visit(), exam=ExamInput(not_tested=marks))

    services.assessment_complete(actor=clinician, assessment=assessment)

    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    assert assessment.not_tested == dict.fromkeys(ALL, "") | {"leg_length": "No tape measure today."}


def test_saving_a_section_both_recorded_and_marked_not_tested_is_refused(clinician, episode):
    assessment = services.assessment_start(actor=clinician, episode=episode, kind="initial", assessed_on=BASELINE_DAY)
    exam = ExamInput(rom=(RomReading("flexion", 110, 112),), not_tested={"rom": "Too painful"})

    with pytest.raises(ValidationError) as refused:
        services.assessment_save(actor=clinician, assessment=assessment, visit=_visit(), exam=exam)

    assert set(refused.value.message_dict) == {"rom_not_tested"}
    assert not assessment.rom.exists()


# --- The database --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"leg_length_not_tested": True, "true_left_mm": 900, "true_right_mm": 900},
        {"running_form_not_tested": True, "cadence": 170},
        {"running_form_not_tested": True, "form_notes": "Overstrides"},
    ],
    ids=["leg length", "cadence", "notes"],
)
def test_database_refuses_a_contradictory_not_tested_mark(clinician, episode, changes):
    assessment = services.assessment_start(actor=clinician, episode=episode, kind="initial", assessed_on=BASELINE_DAY)

    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=assessment.pk).update(**changes)


# --- The screen ---------------------------------------------------------------------------------------


def test_screen_completing_an_empty_exam_keeps_what_was_typed_and_names_each_section(client, clinician, episode):
    login(client, clinician)
    assessment = started(client, episode)
    blank = read_form(client.get(f"/assessments/{assessment.pk}/").content.decode()).data
    typed = {**blank, "pain_today": "4", **_marks(fms="Shoulder surgery last month")}

    response = post_exam(client, assessment, typed, action="complete")

    assert response.status_code == 200
    html = response.content.decode()
    summary = error_summary(html)
    for code in ("rom", "leg_length", "special_tests", "running_form"):
        assert any(NEITHER in text for text in summary[f"id_{code}_not_tested"]), code
    assert "id_fms_not_tested" not in summary
    assert "Neither is done for: Hip range of motion, Leg length, Special tests, Running form." in html
    shown = read_form(html).values
    assert shown["pain_today"] == "4"
    assert shown["fms_not_tested"] == "on"
    assert shown["fms_not_tested_reason"] == "Shoulder surgery last month"
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    # The entries are kept as a draft, and the page says so.
    assert assessment.not_tested == {"fms": "Shoulder surgery last month"}
    assert assessment.pain_today == 4
    assert "Saved as a draft; not completed." in html


def test_screen_refuses_a_section_marked_not_tested_that_has_values(client, clinician, episode):
    login(client, clinician)
    assessment = started(client, episode)

    response = post_exam(client, assessment, exam_data(_marks(leg_length="")), action="complete")

    assert response.status_code == 200
    summary = error_summary(response.content.decode())
    assert any("untick" in text for text in summary["id_leg_length_not_tested"])
    assert read_form(response.content.decode()).values["true_left_cm"] == "90.0"
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.true_left_mm is None  # nothing stored


def test_screen_refuses_a_reason_for_a_section_not_marked(client, clinician, episode):
    login(client, clinician)
    assessment = started(client, episode)

    response = post_exam(client, assessment, exam_data(fms_not_tested_reason="Forgot"), action="save")

    assert response.status_code == 200
    assert "id_fms_not_tested_reason" in error_summary(response.content.decode())


def test_screen_completes_with_sections_marked_not_tested(client, clinician, episode):
    login(client, clinician)
    assessment = started(client, episode)
    blank = read_form(client.get(f"/assessments/{assessment.pk}/").content.decode()).data
    rom = {name: value for name, value in exam_data().items() if name.startswith("rom_")}
    data = {**blank, **rom, **_marks(fms="", leg_length="Tape measure missing", special_tests="", running_form="")}

    response = post_exam(client, assessment, data, action="complete")

    assert response.status_code == 302, response.context["form"].errors
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    assert assessment.not_tested == {
        "fms": "",
        "leg_length": "Tape measure missing",
        "special_tests": "",
        "running_form": "",
    }


# --- The API ---------------------------------------------------------------------------------------


@pytest.fixture
def api(clinician):
    client = APIClient()
    client.force_authenticate(clinician)
    return client


def test_api_complete_of_an_empty_draft_is_400_with_each_section(api, clinician, episode):
    assessment = services.assessment_start(actor=clinician, episode=episode, kind="initial", assessed_on=BASELINE_DAY)

    response = api.post(f"/api/assessments/{assessment.pk}/complete/")

    assert response.status_code == 400
    assert set(response.data) == {"detail", *(f"{code}_not_tested" for code in ALL)}
    assert response.data["rom_not_tested"] == [sections.UNACCOUNTED]
    assert "Hip range of motion, Functional Movement Screen, Leg length" in response.data["detail"][0]
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_api_marks_sections_not_tested_then_completes(api, clinician, episode):
    assessment = services.assessment_start(actor=clinician, episode=episode, kind="initial", assessed_on=BASELINE_DAY)
    marks = {f"{code}_not_tested": True for code in ALL} | {"fms_not_tested_reason": "Shoulder surgery"}

    patched = api.patch(f"/api/assessments/{assessment.pk}/", marks, format="json")
    completed = api.post(f"/api/assessments/{assessment.pk}/complete/")

    assert patched.status_code == 200, patched.data
    assert patched.data["measurements"]["fms_not_tested"] is True
    assert patched.data["measurements"]["fms_not_tested_reason"] == "Shoulder surgery"
    assert completed.status_code == 200, completed.data
    assert completed.data["status"] == "completed"


def test_api_refuses_a_section_marked_not_tested_that_has_values(api, clinician, episode):
    assessment = AssessmentFactory(episode=episode, complete=False)

    response = api.patch(f"/api/assessments/{assessment.pk}/", {"rom_not_tested": True}, format="json")

    assert response.status_code == 400
    assert list(response.data) == ["rom_not_tested"]
    assessment.refresh_from_db()
    assert not assessment.rom_not_tested


# --- Assessments completed before the rule -------------------------------------------------------------


def test_migration_marks_the_empty_sections_of_completed_assessments(clinician, episode):
    migration = importlib.import_module("assessments.migrations.0005_mark_unrecorded_sections_of_completed")
    full = AssessmentFactory(episode=episode)
    empty = services.assessment_start(actor=clinician, episode=episode, kind="reassessment", assessed_on=BASELINE_DAY)
    services.assessment_save(actor=clinician, assessment=empty, visit=_visit(), exam=ExamInput(cadence=170))
    Assessment.objects.filter(pk=empty.pk).update(status=AssessmentStatus.COMPLETED, completed_at=full.completed_at)
    draft = AssessmentFactory(episode=episode, kind="reassessment", complete=False)

    migration.mark_unrecorded(django_apps, None)

    full.refresh_from_db()
    empty.refresh_from_db()
    draft.refresh_from_db()
    assert full.not_tested == {}
    assert empty.not_tested == dict.fromkeys(["rom", "fms", "leg_length", "special_tests"], migration.REASON)
    assert draft.not_tested == {}
