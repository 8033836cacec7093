# ruff: noqa: F811  (the fixtures are imported from phases_fixtures, then named as arguments)
"""API of return-to-run plans: clinicians of the clinic read them (audited) with the open proposal, confirm or
override it; the walk-run programs are read by whoever reads the library."""

from __future__ import annotations

import pytest

from clinic.models import AuditEvent
from clinic.permissions import Role
from running.models import DecisionStatus, PhaseDecision
from running.services import phases
from tests.factories import UserFactory
from tests.plans.helpers import api_client
from tests.running.phases_fixtures import draft, log_run, rtr  # noqa: F401

pytestmark = pytest.mark.django_db

BAD_OVERRIDES = (
    {"step": "hold"},
    {"step": "hold", "reason": ""},
    {"step": "up", "reason": "x"},
    {"step": [], "reason": 3},
    {"step": "hold", "reason": "a\x00b"},
    {"step": "hold", "reason": "x" * 3000},
)


def test_a_clinician_reads_the_plan_with_its_proposal(clinician, rtr):
    decision = phases.propose_after_run(log_run(rtr, during=7).pk)
    api = api_client(clinician)
    listed = api.get("/api/return-to-run-plans/")
    assert listed.status_code == 200
    (row,) = listed.json()["results"]
    assert (row["id"], row["current_phase"], row["phase_count"], row["status"]) == (rtr.pk, 1, 6, "active")
    assert row["program"] == {"key": "standard-walk-run", "name": "Standard return-to-run program", "version": 1}
    assert row["proposal"]["id"] == decision.pk
    assert row["proposal"]["proposed_step"] == "step_back"
    assert api.get(f"/api/return-to-run-plans/{rtr.pk}/").status_code == 200
    actions = set(AuditEvent.objects.filter(actor=clinician).values_list("action", flat=True))
    assert {"return_to_run.listed", "return_to_run.viewed"} <= actions


def test_confirm_and_override(clinician, rtr):
    api = api_client(clinician)
    none_waiting = api.post(f"/api/return-to-run-plans/{rtr.pk}/confirm/")
    assert none_waiting.status_code == 400
    assert "proposal" in none_waiting.json()
    log_run(rtr)
    phases.propose_after_run(log_run(rtr).pk)
    confirmed = api.post(f"/api/return-to-run-plans/{rtr.pk}/confirm/")
    assert confirmed.status_code == 200
    assert confirmed.json()["current_phase"] == 2
    assert confirmed.json()["proposal"] is None
    for bad in BAD_OVERRIDES:
        assert api.post(f"/api/return-to-run-plans/{rtr.pk}/override/", bad, format="json").status_code == 400
    done = api.post(
        f"/api/return-to-run-plans/{rtr.pk}/override/", {"step": "step_back", "reason": "Limping."}, format="json"
    )
    assert done.status_code == 200
    assert done.json()["current_phase"] == 1
    assert PhaseDecision.objects.filter(status=DecisionStatus.OVERRIDDEN).count() == 1


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_no_clinical_reader_no_plans(rtr, role, request):
    api = api_client(request.getfixturevalue(role))
    assert api.get("/api/return-to-run-plans/").status_code == 403
    assert api.post(f"/api/return-to-run-plans/{rtr.pk}/confirm/").status_code == 403


def test_another_clinic_sees_nothing(rtr, other_clinic):
    stranger = api_client(UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN]))
    assert stranger.get("/api/return-to-run-plans/").json()["results"] == []
    assert stranger.get(f"/api/return-to-run-plans/{rtr.pk}/").status_code == 404
    assert (
        stranger.post(f"/api/return-to-run-plans/{rtr.pk}/override/", {"step": "hold", "reason": "x"}).status_code
        == 404
    )


def test_programs_are_read_by_library_readers(clinician, front_desk):
    rows = api_client(clinician).get("/api/run-program-templates/").json()["results"]
    assert {(row["key"], row["version"], row["shipped"]) for row in rows} == {
        ("standard-walk-run", 1, True),
        ("time-based-30-min", 1, True),
    }
    assert api_client(front_desk).get("/api/run-program-templates/").status_code in (200, 403)
