"""The PSFS in the patient's intake: optional, up to three activities in the patient's words, scored on submit,
kept on errors; and the PSFS and the hip measures in the API and the FHIR export."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fhir.resources.R4B import get_fhir_model_class
from rest_framework.test import APIClient

from assessments.models import OutcomeScore
from clinic.fhir import mapping
from clinic.models import Patient
from intake.models import Intake, QuestionnaireScore
from tests.factories import AssessmentFactory
from tests.intake.helpers import (
    VALID,
    born_aged,
    complete_intake,
    field_errors,
    fill_steps,
    post_step,
    send_invitation,
    shown_values,
    step_url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(patient, episode, front_desk):
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=born_aged(35))
    return send_invitation(episode, actor=front_desk)


def _with_psfs(**fields: str) -> dict:
    return {**VALID["questionnaires"], **fields}


def test_the_named_activities_are_scored_on_submit(client, link, episode):
    answers = {
        "questionnaires": _with_psfs(
            psfs__activity_1_name="Running  downhill",
            psfs__activity_1="2",
            psfs__activity_3_name="Stairs",
            psfs__activity_3="7",
        )
    }
    response = complete_intake(client, link, answers=answers)
    assert response.status_code == 302
    score = QuestionnaireScore.objects.get(intake__episode=episode, instrument="psfs")
    assert score.scored
    assert score.value == Decimal("4.500")
    assert score.display == "4.5 / 10 (2 activities)"
    assert score.answers == {"activity_1": 2, "activity_2": None, "activity_3": 7}
    assert score.detail["activities"] == {"activity_1": "Running downhill", "activity_3": "Stairs"}


def test_the_psfs_is_optional(client, link, episode):
    assert complete_intake(client, link).status_code == 302
    intake = Intake.objects.get(episode=episode)
    assert intake.is_submitted
    assert not intake.scores.filter(instrument="psfs").exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"psfs__activity_1": "5"}, "psfs__activity_1_name", "Write the activity this number is for."),
        ({"psfs__activity_2_name": "Hopping"}, "psfs__activity_2", "Choose a number for this activity"),
        ({"psfs__activity_1_name": "Hills", "psfs__activity_1": "11"}, "psfs__activity_1", "Select a valid choice"),
        ({"psfs__activity_1_name": "x" * 101, "psfs__activity_1": "4"}, "psfs__activity_1_name", "at most 100"),
        ({"psfs__activity_1_name": "Hil\x00ls", "psfs__activity_1": "4"}, "psfs__activity_1_name", "character"),
    ],
)
def test_a_problem_is_shown_beside_its_field_and_what_was_typed_kept(client, link, episode, fields, field, message):
    fill_steps(client, link, until="questionnaires")
    kept = {"psfs__activity_3_name": "Stairs", "psfs__activity_3": "6"}
    response = post_step(client, link, "questionnaires", _with_psfs(**fields, **kept))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in field_errors(html, field)
    # The draft keeps the step as typed when the patient comes back to it.
    again = client.get(step_url(link, "questionnaires")).content.decode()
    assert shown_values(again, kept) == {name: [value] for name, value in kept.items()}
    assert "questionnaires" not in Intake.objects.get(episode=episode).answers


def test_the_step_shows_the_psfs_to_everyone(client, link):
    fill_steps(client, link, until="questionnaires")
    html = client.get(step_url(link, "questionnaires")).content.decode()
    assert "Activities that are hard for you (optional)" in html
    assert 'name="psfs__activity_1_name"' in html


# --- API and FHIR -----------------------------------------------------------------------------------------------


@pytest.fixture
def psfs_score(client, link, episode):
    answers = {"questionnaires": _with_psfs(psfs__activity_1_name="Hill repeats", psfs__activity_1="3")}
    complete_intake(client, link, answers=answers)
    return QuestionnaireScore.objects.get(intake__episode=episode, instrument="psfs")


def test_the_api_lists_the_psfs_with_the_other_scores(psfs_score, clinician):
    api = APIClient()
    api.force_authenticate(clinician)
    scores = api.get(f"/api/intakes/{psfs_score.intake_id}/").data["scores"]
    psfs = next(score for score in scores if score["instrument"] == "psfs")
    assert psfs["display"] == "3.0 / 10 (1 activity)"
    assert psfs["detail"]["activities"] == {"activity_1": "Hill repeats"}


def _valid(resource: dict) -> dict:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def test_the_psfs_is_a_questionnaire_response_and_an_observation(psfs_score):
    intake = psfs_score.intake
    response = _valid(mapping.questionnaire_response(psfs_score, intake))
    assert response["item"] == [{"linkId": "activity_1", "answer": [{"valueInteger": 3}], "text": "Hill repeats"}]
    observation = _valid(mapping.intake_score_observation(psfs_score, intake))
    assert observation["code"]["coding"][0]["code"] == "psfs"
    assert observation["valueQuantity"]["value"] == 3


@pytest.mark.parametrize(
    ("instrument", "value", "code", "unit"),
    [
        ("hos_adl", Decimal("88.2"), "hos-adl", "%"),
        ("hos_sport", 50, "hos-sport", "%"),
        ("ihot12", 63, "ihot12", "score"),
        ("visag", 71, "visa-g", "score"),
        ("psfs", Decimal("4.5"), "psfs", "score"),
    ],
)
def test_visit_measures_are_observations(episode, instrument, value, code, unit):
    assessment = AssessmentFactory(episode=episode)
    OutcomeScore.objects.create(
        assessment=assessment, instrument=instrument, value=value, display=str(value), scored=True
    )
    (observation,) = mapping.visit_score_observations(assessment)
    _valid(observation)
    assert observation["code"]["coding"][0]["code"] == code
    assert observation["valueQuantity"]["unit"] == unit
    assert Decimal(str(observation["valueQuantity"]["value"])) == Decimal(value)
