"""Runs in the FHIR export: one Observation per run, valid R4B, coded only with what the domain
reference gives (LOINC 55411-3 exercise duration; NPRS 72514-3 for the pain ratings), readable
on its own, another clinic's not."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.observation import Observation

from clinic.fhir import mapping
from running.services import runs
from tests.running import runs_fixtures
from tests.running.runs_fixtures import log

pytestmark = pytest.mark.django_db

run_episode = runs_fixtures.run_episode


def _run_observations(client, patient) -> list[dict]:
    response = client.get(f"/fhir/Patient/{patient.pk}/$everything")
    assert response.status_code == 200
    return [
        entry["resource"]
        for entry in response.json()["entry"]
        if entry["resource"]["resourceType"] == "Observation" and entry["resource"]["id"].startswith("run-")
    ]


def test_each_run_is_an_observation_of_exercise_duration_with_its_ratings(client, clinician, run_episode):
    run = log(run_episode, km="5.25", minutes=31)
    runs.record_morning_pain(run=run, pain=1)
    bare = log(run_episode, days_ago=2, feel=runs.Feel(None, None, None))
    client.force_login(clinician)
    observations = {observation["id"]: observation for observation in _run_observations(client, run_episode.patient)}
    assert set(observations) == {f"run-{run.pk}", f"run-{bare.pk}"}
    for observation in observations.values():
        Observation.model_validate(observation)
    full = observations[f"run-{run.pk}"]
    assert full["code"]["coding"] == [{"system": mapping.LOINC, "code": "55411-3", "display": "Exercise duration"}]
    assert full["category"][0]["coding"][0]["code"] == "activity"
    assert full["valueQuantity"] == {"value": 31, "unit": "min", "system": mapping.UCUM, "code": "min"}
    assert full["subject"] == {"reference": f"Patient/{run_episode.patient_id}"}
    by_code = {component["code"]["coding"][0]["code"]: component for component in full["component"]}
    assert by_code["run-distance"]["valueQuantity"]["value"] == 5250
    for code, value in (("run-pain-during", 2), ("run-pain-next-morning", 1)):
        assert by_code[code]["valueQuantity"]["value"] == value
        assert by_code[code]["code"]["coding"][1]["code"] == "72514-3"
    assert by_code["run-rpe"]["valueQuantity"]["value"] == 3
    assert by_code["run-swelling-or-stiffness"]["valueBoolean"] is False
    assert full["note"] == [{"text": "Felt fine"}]
    # What was not recorded is left out, not guessed.
    assert {c["code"]["coding"][0]["code"] for c in observations[f"run-{bare.pk}"]["component"]} == {"run-distance"}


def test_a_run_is_read_on_its_own_by_its_clinic_only(client, clinician, run_episode, foreign_episode):
    run = log(run_episode)
    client.force_login(clinician)
    read = client.get(f"/fhir/Observation/run-{run.pk}")
    assert read.status_code == 200
    assert read.json()["id"] == f"run-{run.pk}"
    foreign_episode.opened_on = run_episode.opened_on
    foreign_episode.save()
    theirs = log(foreign_episode)
    assert client.get(f"/fhir/Observation/run-{theirs.pk}").status_code == 404
