"""Bad exam input, on the screen and through the API: the same AssessmentForm refuses it with a
message on the field concerned, keeps what was typed, and stores nothing. Never a 500."""

from __future__ import annotations

import pytest
from django.utils.html import escape
from rest_framework.test import APIClient

from assessments.models import AssessmentStatus
from tests.assessments.helpers import (
    days_ago,
    error_summary,
    exam_data,
    login,
    post_exam,
    snapshot,
)
from tests.factories import AssessmentFactory
from tests.html_forms import read_form

# (changes to the valid exam, field that carries the error, words of its message). A change to None
# unticks a box (and leaves a text field empty).
CASES = {
    "flexion 170": ({"rom_flexion_left": "170"}, "rom_flexion_left", "Hip flexion is plausible from 0° to 160°."),
    "extension -40": (
        {"rom_extension_right": "-40"},
        "rom_extension_right",
        "Hip extension is plausible from -30° to 60°.",
    ),
    "abduction 95": ({"rom_abduction_left": "95"}, "rom_abduction_left", "Hip abduction is plausible from 0° to 90°."),
    "external rotation 1200": (
        {"rom_external_rotation_right": "1200"},
        "rom_external_rotation_right",
        "Hip external rotation is plausible from 0° to 90°.",
    ),
    "ROM left side only": (
        {"rom_adduction_right": ""},
        "rom_adduction_right",
        "Enter the right side too: asymmetry needs both sides (or clear both).",
    ),
    "ROM right side only": (
        {"rom_abduction_left": ""},
        "rom_abduction_left",
        "Enter the left side too: asymmetry needs both sides (or clear both).",
    ),
    "pain mark without a value": (
        {
            "rom_internal_rotation_left": "",
            "rom_internal_rotation_right": "",
            "rom_internal_rotation_right_pain": None,
            "rom_internal_rotation_left_pain": "on",
        },
        "rom_internal_rotation_left",
        "Enter the angle, or untick the pain mark.",
    ),
    "ROM reading without a position": (
        {"rom_flexion_position": ""},
        "rom_flexion_position",
        "Choose the position the reading was taken in.",
    ),
    "ROM position unknown": (
        {"rom_internal_rotation_position": "standing"},
        "rom_internal_rotation_position",
        "Select a valid choice.",
    ),
    "ROM device unknown": (
        {"rom_external_rotation_device": "tape"},
        "rom_external_rotation_device",
        "Select a valid choice.",
    ),
    "negative leg length": ({"true_left_cm": "-5"}, "true_left_cm", "greater than or equal to 40"),
    "leg length 10.0 cm": ({"true_right_cm": "10.0"}, "true_right_cm", "greater than or equal to 40"),
    "leg length 200 cm": ({"apparent_left_cm": "200"}, "apparent_left_cm", "less than or equal to 130"),
    "leg length in mm": ({"apparent_right_cm": "939"}, "apparent_right_cm", "less than or equal to 130"),
    "two decimals in cm": (
        {"true_right_cm": "88.85"},
        "true_right_cm",
        "Enter centimetres with at most one decimal (mm precision).",
    ),
    "leg length not a number": ({"true_left_cm": "ninety"}, "true_left_cm", "Enter a number."),
    "one true length only": ({"true_right_cm": ""}, "true_right_cm", "Enter both true leg lengths, or neither."),
    "one apparent length only": (
        {"apparent_left_cm": ""},
        "apparent_left_cm",
        "Enter both apparent leg lengths, or neither.",
    ),
    "apparent without true": (
        {"true_left_cm": "", "true_right_cm": ""},
        "true_left_cm",
        "Enter the true lengths too: apparent lengths alone cannot be interpreted.",
    ),
    "FMS value 4": ({"fms_deep_squat": "4"}, "fms_deep_squat", "Select a valid choice."),
    "FMS bilateral, one side": (
        {"fms_inline_lunge_right": ""},
        "fms_inline_lunge_right",
        "Score both sides of a bilateral test.",
    ),
    "Thomas structure on a negative test": (
        {"thomas_right_rectus_femoris": "on"},
        "thomas_right_rectus_femoris",
        "Only recorded when the Thomas test",
    ),
    "Thomas structure on a test not done": (
        {"thomas_right_result": "not_tested", "thomas_right_tfl_itb": "on"},
        "thomas_right_tfl_itb",
        "Only recorded when the Thomas test",
    ),
    "positive Thomas naming no structure": (
        {"thomas_left_iliopsoas": None},
        "thomas_left_iliopsoas",
        "A positive Thomas test names what is tight: tick at least one of iliopsoas, rectus femoris or TFL / ITB.",
    ),
    "Thomas made positive without a structure": (
        {"thomas_right_result": "positive"},
        "thomas_right_iliopsoas",
        "A positive Thomas test names what is tight",
    ),
    "FABER location on a test not done": (
        {"faber_right_location": "groin"},
        "faber_right_location",
        "Only recorded when the FABER",
    ),
    "SLR leg symptoms on a negative test": (
        {"slr_left_leg_symptoms": "on"},
        "slr_left_leg_symptoms",
        "Only recorded when the Straight-leg raise",
    ),
    "SLR angle with not tested": (
        {"slr_left_result": "not_tested", "slr_left_angle": "40"},
        "slr_left_angle",
        "The SLR was marked not tested: clear the angle or record the result.",
    ),
    "SLR angle 170": ({"slr_right_angle": "170"}, "slr_right_angle", "less than or equal to 160"),
    "cadence 300": ({"cadence": "300"}, "cadence", "less than or equal to 260"),
    "pain today 11": ({"pain_today": "11"}, "pain_today", "Select a valid choice."),
    "visit date in the future": (
        {"assessed_on": days_ago(-3).isoformat()},
        "assessed_on",
        "The visit date cannot be in the future.",
    ),
    "visit date impossible": ({"assessed_on": "2025-02-30"}, "assessed_on", "Enter a valid date."),
}
CASE_PARAMS = [pytest.param(*case, id=name) for name, case in CASES.items()]


@pytest.fixture
def draft(client, clinician, episode):
    """A draft saved once with the valid exam, so that 'nothing saved' can be checked."""
    login(client, clinician)
    return AssessmentFactory(episode=episode, complete=False)


# --- The screen ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["save", "complete"])
@pytest.mark.parametrize(("changes", "field", "message"), CASE_PARAMS)
def test_screen_refuses_bad_input_with_the_field_message(client, draft, changes, field, message, action):
    before = snapshot(draft)
    # A valid change rides along: it must be kept on screen but not stored either.
    typed = exam_data({"pain_today": "3", "form_notes": "Second look", **changes})

    response = post_exam(client, draft, typed, action=action)

    assert response.status_code == 200
    html = response.content.decode()
    assert any(message in error for error in response.context["form"].errors[field])
    summary = error_summary(html)
    assert summary, "no error summary"
    assert any(escape(message) in text for text in summary.get(f"id_{field}", [])), summary
    # What was typed is shown again, every control of the screen.
    form = read_form(html)
    for name in form.controls:
        expected = typed.get(name, "")
        if name in form.selects and expected not in form.options[name]:
            continue  # a value no option offers (a forged "4") cannot be shown selected
        assert form.values.get(name, "") == expected, name
    assert snapshot(draft) == before
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT
    assert not draft.findings.exists()


def test_the_exam_itself_is_valid(client, draft):
    """The cases above are refused for their change alone: the unchanged exam saves."""
    response = post_exam(client, draft, exam_data({"pain_today": "3", "form_notes": "Second look"}))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.pain_today == 3


def test_invalid_score_on_one_side_is_not_also_called_missing(client, draft):
    """Both sides of the hurdle step were scored; only the invalid one is wrong."""
    response = post_exam(client, draft, exam_data(fms_hurdle_step_left="4"))

    assert response.status_code == 200
    errors = response.context["form"].errors["fms_hurdle_step_left"]
    assert any("Select a valid choice." in error for error in errors)
    assert not any("Score both sides" in error for error in errors), errors


@pytest.mark.parametrize(
    ("changes", "test_label"),
    [
        ({"thomas_right_rectus_femoris": "on"}, "Thomas test"),
        ({"faber_right_location": "groin"}, "FABER (Patrick) test"),
    ],
)
def test_detail_message_names_the_test_once(client, draft, changes, test_label):
    response = post_exam(client, draft, exam_data(changes))

    html = response.content.decode()
    assert f"Only recorded when the {escape(test_label)} is positive on this side." in html
    assert "test test" not in html


# --- The API ------------------------------------------------------------------------------------------


@pytest.fixture
def api(clinician):
    client = APIClient()
    client.force_authenticate(clinician)
    return client


@pytest.mark.parametrize(("changes", "field", "message"), CASE_PARAMS)
def test_api_refuses_bad_input_with_the_field_name(api, draft, changes, field, message):
    before = snapshot(draft)

    response = api.patch(f"/api/assessments/{draft.pk}/", {"pain_today": "3", **changes}, format="json")

    assert response.status_code == 400
    assert field in response.data, response.data
    assert all(isinstance(item, str) for item in response.data[field]), response.data[field]
    assert any(message in item for item in response.data[field]), response.data[field]
    assert snapshot(draft) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"rom_flexion_left": 170},
        {"true_left_cm": 88.85},
        {"true_left_cm": -5},
        {"fms_deep_squat": 4},
        {"cadence": 300},
        {"rom_flexion_left": "abc"},
        {"rom_flexion_left": [1, 2]},
        {"assessed_on": "yesterday"},
        {"thomas_left_iliopsoas": 1},
        {"thomas_left_rectus_femoris": [True]},
        {"thomas_right_tfl_itb": {"tight": True}},
    ],
    ids=str,
)
def test_api_refuses_json_typed_values_too(api, draft, changes):
    before = snapshot(draft)

    response = api.patch(f"/api/assessments/{draft.pk}/", changes, format="json")

    assert response.status_code == 400
    assert set(changes) <= set(response.data), response.data
    assert snapshot(draft) == before
