"""The run-log API: clinicians of the run's clinic read runs and log one on the runner's behalf;
the front desk and the clinic admin get nothing; another clinic's run or episode is unknown;
reads audited; bad input a 400 naming the field."""

from __future__ import annotations

import pytest

from clinic.models import AuditEvent
from running.models import Run
from tests.factories import EpisodeFactory
from tests.plans.helpers import api_client
from tests.running import runs_fixtures
from tests.running.runs_fixtures import local_today, log

pytestmark = pytest.mark.django_db

run_episode = runs_fixtures.run_episode
return_to_run = runs_fixtures.return_to_run


def _body(episode, **changes) -> dict:
    return {
        "episode": episode.pk,
        "local_date": local_today(episode.patient.clinic).isoformat(),
        "distance_km": "2.41",
        "moving_s": 1500,
        "pain_during": 1,
        "rpe": 3,
        "swelling_or_stiffness": False,
        "note": "Treadmill at the clinic",
    } | changes


def test_a_clinician_lists_and_reads_runs_and_each_read_is_audited(run_episode, clinician):
    run = log(run_episode)
    api = api_client(clinician)
    listed = api.get("/api/runs/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.data["results"]] == [run.pk]
    read = api.get(f"/api/runs/{run.pk}/")
    assert (read.data["distance_m"], read.data["pain_during"], read.data["local_date"]) == (
        1610,
        2,
        run.local_date.isoformat(),
    )
    assert AuditEvent.objects.filter(action="run.listed", actor=clinician, patient_id=run_episode.patient_id).exists()
    assert AuditEvent.objects.filter(action="run.viewed", actor=clinician, object_id=run.pk).exists()


def test_a_clinician_logs_a_run_on_the_runners_behalf(return_to_run, clinician):
    episode = return_to_run.episode
    response = api_client(clinician).post("/api/runs/", _body(episode), format="json")
    assert response.status_code == 201, response.data
    run = Run.objects.get(pk=response.data["id"])
    assert (run.distance_m, run.moving_s, run.phase, run.return_to_run) == (2410, 1500, 1, return_to_run)
    assert response.data["protocol_planned"] is False
    assert AuditEvent.objects.get(action="run.logged").actor == clinician


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"local_date": "2999-01-01"}, "local_date"),
        ({"local_date": "yesterday"}, "local_date"),
        ({"distance_km": "0"}, "distance_km"),
        ({"distance_km": "1.234"}, "distance_km"),
        ({"distance_km": ["1"]}, "distance_km"),
        ({"moving_s": 0}, "moving_s"),
        ({"moving_s": 86_401}, "moving_s"),
        ({"pain_during": 11}, "pain_during"),
        ({"rpe": "hard"}, "rpe"),
        ({"note": "x\u0000"}, "note"),
        ({"note": "x" * 2001}, "note"),
        ({"episode": 0}, "episode"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(run_episode, clinician, changes, field):
    response = api_client(clinician).post("/api/runs/", _body(run_episode) | changes, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not Run.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(run_episode, clinician):
    assert api_client(clinician).post("/api/runs/", [1, 2], format="json").status_code == 400


def test_another_clinics_runs_and_episodes_are_unknown(clinician, foreign_episode):
    foreign_episode.opened_on = runs_fixtures.local_today(foreign_episode.patient.clinic).replace(day=1)
    foreign_episode.save()
    theirs = log(foreign_episode, days_ago=0)
    api = api_client(clinician)
    assert api.get(f"/api/runs/{theirs.pk}/").status_code == 404
    assert api.get("/api/runs/").data["results"] == []
    response = api.post("/api/runs/", _body(foreign_episode), format="json")
    assert response.status_code == 400
    assert "episode" in response.data
    assert Run.objects.count() == 1


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_other_roles_get_nothing(request, run_episode, role):
    run = log(run_episode)
    api = api_client(request.getfixturevalue(role))
    assert api.get("/api/runs/").status_code == 403
    assert api.get(f"/api/runs/{run.pk}/").status_code == 403
    assert api.post("/api/runs/", _body(run_episode), format="json").status_code == 403


def test_a_closed_episode_is_a_400(clinician, clinic):
    episode = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    episode.status, episode.closed_on = "discharged", episode.opened_on
    episode.save()
    response = api_client(clinician).post("/api/runs/", _body(episode), format="json")
    assert response.status_code == 400
    assert "detail" in response.data
