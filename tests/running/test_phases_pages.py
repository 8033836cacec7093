# ruff: noqa: F811  (the fixtures are imported from phases_fixtures, then named as arguments)
"""Phase pages: the episode page's panel (clinicians only, audited, bounded queries), the dashboard's lists, the
one-click confirmation and the override page that keeps what was typed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent
from running.models import DecisionStatus, PhaseDecision
from running.services import phases
from tests.assessments.helpers import login
from tests.running.phases_fixtures import draft, log_run, rtr  # noqa: F401

pytestmark = pytest.mark.django_db


def _page(client, episode) -> str:
    response = client.get(f"/episodes/{episode.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_panel_shows_the_phase_the_runs_and_the_proposal(client, clinician, rtr):
    log_run(rtr, distance_m=1500)
    phases.propose_after_run(log_run(rtr, morning=None).pk)
    run = log_run(rtr, before=1, during=1, morning=1)
    decision = phases.propose_after_run(run.pk)
    html = _page(login(client, clinician), rtr.episode)
    assert "Return to run" in html
    assert "phase 1 of 6" in html
    assert "1500 m (1609 m, 93 %)" in html
    assert "not answered" in html
    assert "Proposal: Progress to the next phase" in html
    assert "Achilles tendinopathy" in html
    assert "extrapolation" in html
    assert f"/return-to-run/decisions/{decision.pk}/confirm/" in html
    assert AuditEvent.objects.filter(action="return_to_run.viewed", object_id=rtr.pk, actor=clinician).exists()


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_no_panel_without_clinical_access(client, rtr, role, request):
    log_run(rtr)
    user = request.getfixturevalue(role)
    login(client, user)
    response = client.get(f"/episodes/{rtr.episode_id}/")
    if response.status_code == 200:
        assert 'id="rtr-h"' not in response.content.decode()
    assert client.post(f"/return-to-run/{rtr.pk}/decide/", {"step": "hold", "reason": "x"}).status_code in (403, 404)


def _queries(client, episode) -> int:
    with CaptureQueriesContext(connection) as context:
        _page(client, episode)
    return len(context.captured_queries)


def test_the_panel_queries_do_not_grow_with_the_runs(client, clinician, rtr):
    login(client, clinician)
    log_run(rtr)
    _queries(client, rtr.episode)  # warm-up
    few = _queries(client, rtr.episode)
    for _ in range(8):
        phases.propose_after_run(log_run(rtr).pk)
    assert _queries(client, rtr.episode) <= few + 1  # the open proposal's row joins the page


def test_confirm_with_one_click(client, clinician, rtr):
    log_run(rtr)
    decision = phases.propose_after_run(log_run(rtr).pk)
    response = login(client, clinician).post(f"/return-to-run/decisions/{decision.pk}/confirm/")
    assert response.status_code == 302
    rtr.refresh_from_db()
    assert rtr.current_phase == 2
    again = client.post(f"/return-to-run/decisions/{decision.pk}/confirm/", follow=True)
    assert "already decided" in again.content.decode()


def test_override_keeps_what_was_typed_on_error(client, clinician, rtr):
    phases.propose_after_run(log_run(rtr, during=7).pk)
    login(client, clinician)
    page = client.get(f"/return-to-run/{rtr.pk}/decide/")
    assert page.status_code == 200
    assert "Step back one phase" in page.content.decode()
    refused = client.post(f"/return-to-run/{rtr.pk}/decide/", {"step": "hold", "reason": ""})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'value="hold" checked' in html or 'checked value="hold"' in html or "checked" in html
    assert "field-error" in html
    for bad in ({"step": "sideways", "reason": "x"}, {"step": "hold", "reason": "a\x00b"}, {"step": "hold"}):
        assert client.post(f"/return-to-run/{rtr.pk}/decide/", bad).status_code == 400
    done = client.post(f"/return-to-run/{rtr.pk}/decide/", {"step": "hold", "reason": "Blister, not the hip."})
    assert done.status_code == 302
    assert PhaseDecision.objects.get(return_to_run=rtr).status == DecisionStatus.OVERRIDDEN


def test_another_clinics_plan_is_absent(client, rtr, other_clinic):
    from clinic.permissions import Role
    from tests.factories import UserFactory

    stranger = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    decision = phases.propose_after_run(log_run(rtr, during=7).pk)
    login(client, stranger)
    assert client.post(f"/return-to-run/decisions/{decision.pk}/confirm/").status_code == 404
    assert client.get(f"/return-to-run/{rtr.pk}/decide/").status_code == 404


def test_the_dashboard_lists_proposals_and_steps_back(client, clinician, rtr):
    rtr.current_phase = 3
    rtr.save()
    decision = phases.propose_after_run(log_run(rtr, during=8).pk)
    login(client, clinician)
    html = client.get("/").content.decode()
    assert "Return to run: proposals to confirm (1)" in html
    assert rtr.episode.patient.full_name in html
    phases.confirm(actor=clinician, decision=decision)
    html = client.get("/").content.decode()
    assert "Return to run: proposals to confirm (0)" in html
    assert "Return to run: stepped back (1)" in html
    assert "to phase 2" in html
