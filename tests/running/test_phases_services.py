# ruff: noqa: F811  (the fixtures are imported from phases_fixtures, then named as arguments)
"""Phases: a signed plan starts the runner at phase 1; each run gets the rule's proposal; only a clinician's
confirmation or override moves the phase, and each move is owed to the webhooks."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clinic.webhooks.models import WebhookDelivery
from plans import services as plan_services
from running.models import DecisionStatus, PhaseDecision, ReturnToRun, ReturnToRunStatus
from running.services import phases
from tests.running.phases_fixtures import draft, log_run, program, rtr, sign_with_program  # noqa: F401
from tests.webhooks.conftest import make_endpoint  # noqa: F401

pytestmark = pytest.mark.django_db


def test_signing_with_a_program_starts_phase_one(rtr, draft):
    version = draft.versions.get()
    body = version.body["return_to_run"]
    assert (body["key"], body["version"], len(body["phases"])) == ("standard-walk-run", 1, 6)
    assert body["phases"][0]["distance_m"] == 1609
    assert "Leave at least one rest day between runs." in body["rules"]
    assert (rtr.current_phase, rtr.status, rtr.plan_version_id) == (1, ReturnToRunStatus.ACTIVE, version.pk)
    assert rtr.phases == body["phases"]
    assert version.signed.return_to_run.rows[5]["intervals"] == "run the whole session"


def test_a_plan_without_a_program_starts_nothing(draft, clinician):
    plan_services.plan_sign(actor=clinician, plan=draft)
    assert not ReturnToRun.objects.exists()
    assert "return_to_run" not in draft.versions.get().body


def test_a_new_version_keeps_the_phase_and_changing_the_program_is_a_change(rtr, draft, clinician):
    rtr.current_phase = 5
    rtr.save()
    version = sign_with_program(clinician, draft, program("time-based-30-min"))
    rtr.refresh_from_db()
    assert (rtr.current_phase, rtr.plan_version_id, len(rtr.phases)) == (5, version.pk, 5)
    assert [change["subject"] for change in version.changes] == ["Return-to-run program"]
    sign_with_program(clinician, draft, None)
    rtr.refresh_from_db()
    assert rtr.status == ReturnToRunStatus.STOPPED
    assert rtr.ended_on


def test_a_good_first_run_holds_and_a_second_proposes_progress(rtr):
    first = phases.propose_after_run(log_run(rtr).pk)
    assert (first.proposed_step, first.to_phase) == ("hold", 1)
    second = phases.propose_after_run(log_run(rtr).pk)
    assert (second.proposed_step, second.to_phase, second.status) == ("progress", 2, DecisionStatus.PROPOSED)
    first.refresh_from_db()
    assert first.status == DecisionStatus.SUPERSEDED
    rtr.refresh_from_db()
    assert rtr.current_phase == 1  # nothing moves before a clinician confirms


def test_proposing_again_is_idempotent_and_follows_the_morning_answer(rtr):
    log_run(rtr)
    run = log_run(rtr, morning=None)
    assert phases.propose_after_run(run.pk) is None  # waiting for the next morning
    assert phases.propose_after_run(run.pk) is None
    run.morning_pain = 0
    run.save()
    decision = phases.propose_after_run(run.pk)
    assert phases.propose_after_run(run.pk).pk == decision.pk
    assert decision.proposed_step == "progress"
    run.morning_pain = 2
    run.save()
    assert phases.propose_after_run(run.pk).proposed_step == "step_back"
    assert PhaseDecision.objects.filter(run=run).count() == 1


def test_confirming_moves_the_phase_and_tells_the_webhooks(rtr, clinician, make_endpoint):
    make_endpoint(events=["return_to_run.phase_changed"])
    log_run(rtr)
    decision = phases.propose_after_run(log_run(rtr).pk)
    phases.confirm(actor=clinician, decision=decision)
    rtr.refresh_from_db()
    decision.refresh_from_db()
    assert rtr.current_phase == 2
    assert (decision.status, decision.decided_by, decision.step) == (DecisionStatus.CONFIRMED, clinician, "progress")
    delivery = WebhookDelivery.objects.get(event_type="return_to_run.phase_changed")
    assert delivery.payload["data"] == {
        "episode": rtr.episode_id,
        "return_to_run": rtr.pk,
        "from_phase": 1,
        "to_phase": 2,
        "phase_decision": decision.pk,
    }
    with pytest.raises(ValidationError):
        phases.confirm(actor=clinician, decision=decision)


def test_runs_before_the_phase_change_do_not_count_in_the_new_phase(rtr, clinician):
    log_run(rtr)
    phases.confirm(actor=clinician, decision=phases.propose_after_run(log_run(rtr).pk))
    rtr.refresh_from_db()
    assert phases.propose_after_run(log_run(rtr).pk).proposed_step == "hold"


def test_confirming_after_the_last_phase_completes(rtr, clinician):
    rtr.current_phase = 6
    rtr.save()
    log_run(rtr)
    decision = phases.propose_after_run(log_run(rtr).pk)
    assert decision.proposed_step == "complete"
    phases.confirm(actor=clinician, decision=decision)
    rtr.refresh_from_db()
    assert (rtr.status, rtr.current_phase, bool(rtr.ended_on)) == (ReturnToRunStatus.COMPLETED, 6, True)
    assert phases.propose_after_run(log_run(rtr).pk) is None


def test_override_needs_a_reason_and_takes_the_clinicians_step(rtr, clinician, make_endpoint):
    make_endpoint(events=["return_to_run.phase_changed"])
    rtr.current_phase = 3
    rtr.save()
    decision = phases.propose_after_run(log_run(rtr, during=7).pk)
    assert decision.proposed_step == "step_back"
    with pytest.raises(ValidationError) as error:
        phases.override(actor=clinician, plan=rtr, step="hold", reason="  ")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError):
        phases.override(actor=clinician, plan=rtr, step="sideways", reason="x")
    phases.override(actor=clinician, plan=rtr, step="hold", reason="Pain was from a blister, not the hip.")
    decision.refresh_from_db()
    rtr.refresh_from_db()
    assert (decision.status, decision.proposed_step, decision.step) == (DecisionStatus.OVERRIDDEN, "step_back", "hold")
    assert rtr.current_phase == 3
    assert not WebhookDelivery.objects.exists()  # holding changes no phase


def test_override_without_a_proposal(rtr, clinician):
    decision = phases.override(actor=clinician, plan=rtr, step="progress", reason="Seen in clinic, runs well.")
    rtr.refresh_from_db()
    assert (rtr.current_phase, decision.from_phase, decision.to_phase) == (2, 1, 2)


def test_the_database_refuses_an_override_without_reason(rtr, clinician):
    from django.db import IntegrityError
    from django.utils import timezone

    with pytest.raises(IntegrityError):
        PhaseDecision.objects.create(
            return_to_run=rtr,
            proposed_step="hold",
            from_phase=1,
            to_phase=1,
            status=DecisionStatus.OVERRIDDEN,
            decided_by=clinician,
            decided_at=timezone.now(),
        )


def test_only_a_clinician_of_the_clinic_decides(rtr, front_desk, clinic_admin):
    decision = phases.propose_after_run(log_run(rtr, during=7).pk)
    for actor in (front_desk, clinic_admin):
        with pytest.raises(PermissionDenied):
            phases.confirm(actor=actor, decision=decision)
        with pytest.raises(PermissionDenied):
            phases.override(actor=actor, plan=rtr, step="hold", reason="No.")


def test_a_missing_run_or_one_outside_a_plan_proposes_nothing(rtr):
    assert phases.propose_after_run(10**9) is None
    run = log_run(rtr)
    run.return_to_run = None
    run.phase = None
    run.save()
    assert phases.propose_after_run(run.pk) is None
