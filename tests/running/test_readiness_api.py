"""The return-to-run check API: clinicians of the episode's clinic list, read and record checks;
the verdict is the service's, never the client's; every read audited; bad input a 400 naming the
field."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent
from clinic.permissions import Role
from intake.models import RedFlag
from running.models import ReadinessCheck
from tests.factories import EpisodeFactory, UserFactory, clinic_today
from tests.plans.helpers import api_client
from tests.running.readiness_fixtures import record_check

pytestmark = pytest.mark.django_db
URL = "/api/return-to-run-checks/"


def _body(target, **changes) -> dict:
    items = [
        {"criterion": key, "value": value, "pelvic_control": "ok"}
        for key, value in (
            ("plank", 45),
            ("side_plank", 50),
            ("bird_dog", 30),
            ("side_lying_abduction", 30),
            ("prone_hip_extension", 30),
            ("pelvic_rotation", 30),
            ("lateral_step_down", 10),
            ("single_leg_squat", 10),
            ("step_and_hold", 30),
            ("walk", 15),
        )
    ]
    items += [{"criterion": "rom", "met": True}, {"criterion": "strength", "met": True}]
    items.append({"criterion": "y_balance", "pelvic_control": "ok", "note": "Shoes off"})
    body = {
        "episode": target.pk,
        "checked_on": clinic_today().isoformat(),
        "pain_now": 0,
        "involved_side": "left",
        "reach_left_anterior": "61.5",
        "reach_right_anterior": "65.0",
        "reach_left_posteromedial": 95,
        "reach_right_posteromedial": 100,
        "hos_adl": 97.5,
        "hos_sport": 92,
        "items": items,
        "decision": "start",
    }
    body.update(changes)
    return body


@pytest.fixture
def api(clinician):
    return api_client(clinician)


def test_a_clinician_records_a_check_and_gets_the_verdict(api, episode):
    response = api.post(URL, _body(episode), format="json")
    assert response.status_code == 201, response.data
    check = ReadinessCheck.objects.get()
    assert response.data["id"] == check.pk
    assert response.data["rule_start"] is True
    assert response.data["lsi"] == {"anterior": "94.6", "posteromedial": "95.0"}
    assert response.data["lsi_formula"] == "involved_over_uninvolved"
    assert response.data["thresholds"]["rtr_y_balance_lsi_pct"] == "85"
    assert len(response.data["items"]) == 15
    y_balance = next(item for item in response.data["items"] if item["criterion"] == "y_balance")
    assert (y_balance["value"], y_balance["note"], y_balance["passed"]) == ("94.6", "Shoes off", True)
    assert AuditEvent.objects.filter(action="readiness_check.recorded", object_id=check.pk).count() == 1
    # The write's answer is the record it wrote: no read row besides.
    assert not AuditEvent.objects.filter(action="readiness_check.viewed").exists()


def test_the_client_cannot_set_the_verdict_and_red_flags_come_first(api, episode):
    RedFlag.objects.create(episode=episode, code="saddle", tier="emergency", label="Saddle numbness")
    response = api.post(URL, _body(episode, rule_start=True), format="json")
    assert response.status_code == 400
    assert response.data["override_reason"] == ["You are deciding against the checklist: say why."]
    response = api.post(URL, _body(episode, decision="hold"), format="json")
    assert response.status_code == 201
    assert response.data["rule_start"] is False
    assert response.data["rule_reasons"][0].startswith("Open red flag: Saddle numbness.")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pain_now": 11}, "pain_now"),
        ({"pain_now": "lots"}, "pain_now"),
        ({"pain_now": True}, "pain_now"),
        ({"checked_on": "2026-13-01"}, "checked_on"),
        ({"checked_on": "9999-01-01"}, "checked_on"),
        ({"reach_left_anterior": -1}, "reach_left_anterior"),
        ({"reach_left_anterior": "1e400"}, "reach_left_anterior"),
        ({"hos_sport": 100.5}, "hos_sport"),
        ({"involved_side": "both"}, "involved_side"),
        ({"involved_side": ""}, "involved_side"),
        ({"decision": "sprint"}, "decision"),
        ({"decision": None}, "decision"),
        ({"items": [{"criterion": "hop"}]}, "items"),
        ({"items": [{"criterion": "plank"}, {"criterion": "plank"}]}, "items"),
        ({"items": {"criterion": "plank"}}, "items"),
        ({"items": [{"criterion": "plank", "note": "a\x00b"}]}, "items"),
        ({"override_reason": "x" * 2001}, "override_reason"),
        ({"episode": 987654321}, "episode"),
        ({"episode": "one"}, "episode"),
        ({"next_check_on": "2000-01-01"}, "next_check_on"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, episode, changes, field):
    response = api.post(URL, _body(episode, **changes), format="json")
    assert response.status_code == 400, response.data
    assert field in response.data
    assert not ReadinessCheck.objects.exists()


@pytest.mark.parametrize("body", [[], "text", None, 5])
def test_a_body_that_is_not_an_object_is_a_400(api, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400


def test_another_clinics_episode_is_unknown(api, foreign_episode):
    response = api.post(URL, _body(foreign_episode), format="json")
    assert response.status_code == 400
    assert "episode" in response.data


def test_a_closed_episode_takes_no_check(api, episode):
    episode.closed_on = clinic_today()
    episode.status = "discharged"
    episode.save()
    response = api.post(URL, _body(episode), format="json")
    assert response.status_code == 400
    assert "closed" in response.data["detail"][0]


def test_list_and_read_are_scoped_and_audited(api, clinician, episode, other_clinic):
    mine = record_check(clinician, episode)
    foreign_clinician = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    foreign = record_check(
        foreign_clinician, EpisodeFactory(patient__clinic=other_clinic, lead_clinician=foreign_clinician)
    )
    response = api.get(URL)
    assert [row["id"] for row in response.data["results"]] == [mine.pk]
    assert AuditEvent.objects.filter(action="readiness_check.listed", patient_id=episode.patient_id).exists()
    assert api.get(f"{URL}{mine.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="readiness_check.viewed", object_id=mine.pk).exists()
    assert api.get(f"{URL}{foreign.pk}/").status_code == 404
    assert api.get(URL, {"episode": foreign.episode_id}).status_code == 400


def test_the_list_costs_the_same_queries_whatever_its_rows(api, clinician, episode):
    record_check(clinician, episode)
    with CaptureQueriesContext(connection) as one:
        api.get(URL)
    for _ in range(3):
        record_check(clinician, episode)
    with CaptureQueriesContext(connection) as four:
        api.get(URL)
    assert len(four) == len(one)


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_other_roles_are_refused(request, clinician, episode, role):
    check = record_check(clinician, episode)
    api = api_client(request.getfixturevalue(role))
    assert api.get(URL).status_code == 403
    assert api.get(f"{URL}{check.pk}/").status_code == 403
    assert api.post(URL, _body(episode), format="json").status_code == 403
    assert ReadinessCheck.objects.count() == 1
