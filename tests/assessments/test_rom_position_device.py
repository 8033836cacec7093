"""Each hip ROM reading keeps the position and device it was taken with, and progress compares only
readings taken alike (position, device and mode), saying why when it does not."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps as django_apps
from rest_framework.test import APIClient

from assessments import scoring, selectors, services
from assessments.forms import AssessmentForm, initial_from
from assessments.models import AssessmentKind, RomDevice, RomMeasurement, RomMode
from tests.assessments.helpers import BASELINE_DAY, exam_data, login
from tests.assessments.test_progress_page import _progress, _rows
from tests.factories import AssessmentFactory
from tests.html_forms import read_form


@pytest.fixture
def as_clinician(client, clinician):
    return login(client, clinician)


def test_the_pure_rules_and_the_models_offer_the_same_codes():
    assert dict(RomDevice.choices) == scoring.ROM_DEVICES
    assert dict(RomMode.choices) == scoring.ROM_MODES
    assert dict(RomMeasurement._meta.get_field("position").choices) == scoring.ROM_POSITIONS
    assert set(scoring.DEFAULT_POSITIONS) == set(scoring.MOTIONS)
    assert set(scoring.DEFAULT_POSITIONS.values()) <= set(scoring.ROM_POSITIONS)


# --- Stored with every reading --------------------------------------------------------------------------


def test_each_reading_stores_its_position_and_device(episode):
    assessment = AssessmentFactory(
        episode=episode,
        complete=False,
        exam={
            "rom_device": "goniometer",
            "rom_internal_rotation_position": "seated",
            "rom_internal_rotation_device": "inclinometer",
        },
    )

    rows = {row.motion: (row.position, row.device) for row in assessment.rom.all()}

    assert rows["internal_rotation"] == ("seated", "inclinometer")
    # No device chosen for the motion: the visit's usual device.
    assert rows["external_rotation"] == ("prone", "goniometer")
    assert rows["flexion"] == ("supine", "goniometer")


def test_the_usual_device_follows_the_visit_unless_a_motion_has_its_own():
    form = AssessmentForm(exam_data({"rom_device": "inclinometer", "rom_flexion_device": "goniometer"}))
    assert form.is_valid(), form.errors

    devices = {reading.motion: reading.device for reading in form.exam().rom}

    assert devices["flexion"] == "goniometer"
    assert devices["internal_rotation"] == "inclinometer"


def test_a_new_draft_offers_each_motions_usual_position(clinician, episode):
    draft = services.assessment_start(
        actor=clinician, episode=episode, kind=AssessmentKind.INITIAL, assessed_on=BASELINE_DAY
    )

    initial = initial_from(draft)

    # Rotation: the clinic default is prone (the position the JOSPT low back pain guideline recommends).
    assert initial["rom_internal_rotation_position"] == "prone"
    assert initial["rom_external_rotation_position"] == "prone"
    assert initial["rom_flexion_position"] == "supine"
    assert initial["rom_extension_position"] == "prone"
    assert initial["rom_flexion_device"] == ""


def test_a_reading_without_a_position_is_not_given_one_when_reopened(episode):
    draft = AssessmentFactory(episode=episode, complete=False)
    draft.rom.filter(motion="internal_rotation").update(position="")

    initial = initial_from(draft)

    assert initial["rom_internal_rotation_position"] == ""
    form = AssessmentForm(initial)
    assert not form.is_valid()
    assert form.errors["rom_internal_rotation_position"] == ["Choose the position the reading was taken in."]


def test_a_motion_not_measured_needs_no_position():
    form = AssessmentForm(
        exam_data(
            {"rom_flexion_left": "", "rom_flexion_right": "", "rom_flexion_left_pain": None, "rom_flexion_position": ""}
        )
    )

    assert form.is_valid(), form.errors


def test_the_exam_screen_labels_each_position_and_device(as_clinician, episode):
    draft = AssessmentFactory(episode=episode, complete=False)

    html = as_clinician.get(f"/assessments/{draft.pk}/").content.decode()

    for motion, label in scoring.MOTION_LABELS.items():
        for what in ("position", "device"):
            assert re.search(rf'<label[^>]*for="id_rom_{motion}_{what}"[^>]*>{label}: {what}</label>', html), (
                motion,
                what,
            )
    form = read_form(html)
    assert form.values["rom_internal_rotation_position"] == "prone"
    assert form.options["rom_internal_rotation_position"] == ["", "seated", "supine", "prone", "side_lying"]
    assert form.values["rom_internal_rotation_device"] == ""


def test_the_api_returns_and_changes_position_and_device(clinician, episode):
    api = APIClient()
    api.force_authenticate(clinician)
    draft = AssessmentFactory(episode=episode, complete=False)

    response = api.patch(
        f"/api/assessments/{draft.pk}/",
        {"rom_internal_rotation_position": "supine", "rom_internal_rotation_device": "inclinometer"},
        format="json",
    )

    assert response.status_code == 200, response.data
    measurements = response.data["measurements"]
    assert measurements["rom_internal_rotation_position"] == "supine"
    assert measurements["rom_internal_rotation_device"] == "inclinometer"
    assert measurements["rom_flexion_position"] == "supine"
    row = draft.rom.get(motion="internal_rotation")
    assert (row.position, row.device) == ("supine", "inclinometer")


# --- Progress: like with like -------------------------------------------------------------------------


def test_progress_refuses_readings_taken_in_another_position_and_says_why(as_clinician, episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(
        episode=episode,
        kind=AssessmentKind.REASSESSMENT,
        exam={"rom_internal_rotation_left": 45, "rom_internal_rotation_position": "seated"},
    )

    html = _progress(as_clinician, episode)
    rows = _rows(html)

    assert rows["Hip internal rotation left"] == [
        "35",
        "45",
        "—",
        "Not comparable",
        "taken prone then seated: not comparable",
    ]
    assert rows["Hip internal rotation right"][2:] == ["—", "Not comparable", "taken prone then seated: not comparable"]
    # Motions taken alike are still compared.
    assert rows["Hip external rotation left"][3] == "No change"
    assert "Hip internal rotation (1 visit)" in html


def test_progress_refuses_a_motion_measured_with_another_device(as_clinician, episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(
        episode=episode,
        kind=AssessmentKind.REASSESSMENT,
        exam={"rom_external_rotation_left": 50, "rom_external_rotation_device": "inclinometer"},
    )

    rows = _rows(_progress(as_clinician, episode))

    assert rows["Hip external rotation left"][2:] == [
        "—",
        "Not comparable",
        "measured with a goniometer then an inclinometer: not comparable",
    ]
    assert rows["Hip flexion left"][3] == "No change"


def test_progress_refuses_a_reading_whose_position_was_not_recorded(as_clinician, episode):
    baseline = AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind=AssessmentKind.REASSESSMENT)
    baseline.rom.filter(motion="flexion").update(position="")

    rows = _rows(_progress(as_clinician, episode))

    assert rows["Hip flexion left"][2:] == ["—", "Not comparable", "position not recorded at baseline: not comparable"]
    assert rows["Hip abduction left"][3] == "No change"


def test_the_chart_line_leaves_out_readings_taken_another_way(episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(
        episode=episode, kind=AssessmentKind.REASSESSMENT, exam={"rom_internal_rotation_position": "seated"}
    )

    series = selectors.chart_series(episode)

    assert len(series["rom"]["internal_rotation"]["left"]) == 1
    assert len(series["rom"]["external_rotation"]["left"]) == 2
    assert series["rom_left_out"] == [("Hip internal rotation", 1)]


# --- Readings stored before positions were kept ----------------------------------------------------------


def test_migration_copies_the_visits_device_and_leaves_the_position_not_recorded(episode):
    migration = importlib.import_module("assessments.migrations.0007_rom_position_device")
    assessment = AssessmentFactory(episode=episode, exam={"rom_device": "inclinometer"})
    # As stored before: the row had no device of its own (the column's default) and no position.
    assessment.rom.update(device="goniometer", position="")
    other = AssessmentFactory(episode=episode, kind=AssessmentKind.REASSESSMENT)

    migration.device_from_visit(django_apps, None)

    assert set(assessment.rom.values_list("device", "position")) == {("inclinometer", "")}
    assert set(other.rom.values_list("device", flat=True)) == {"goniometer"}
