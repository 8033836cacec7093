"""The plans API: the library (read), drafting from an assessment, editing plan fields and items,
adding from the library, signing and reading versions. Clinicians of the clinic only; bad input is a
400 naming the field."""

from __future__ import annotations

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent
from plans import library, services
from plans.models import Intervention, PlanItem, TreatmentPlan
from tests.assessments.helpers import login
from tests.factories import AssessmentFactory, PlanFactory
from tests.plans.helpers import (
    NO_NEURAL_TENSION,
    api_client,
    audit_rows,
    foreign_plan,
    item_keys,
    item_of,
    red_flag,
    version,
)


@pytest.fixture
def api(clinician):
    return api_client(clinician)


@pytest.fixture
def assessment(episode):
    return AssessmentFactory(episode=episode)


@pytest.fixture
def plan(api, assessment) -> TreatmentPlan:
    response = api.post("/api/plans/", {"assessment": assessment.pk}, format="json")
    assert response.status_code == 201, response.data
    return TreatmentPlan.objects.get(pk=response.data["id"])


def _stored(obj) -> dict:
    return model_to_dict(type(obj).objects.get(pk=obj.pk))


def _intervention(clinic, key: str) -> Intervention:
    return Intervention.objects.get(clinic=clinic, key=key)


# --- The library ------------------------------------------------------------------------------------


def test_clinicians_read_their_clinics_interventions(api, clinic, other_clinic):
    services.library_seed(clinic=clinic)
    services.library_seed(clinic=other_clinic)

    response = api.get("/api/interventions/")

    assert response.status_code == 200
    assert response.data["count"] == len(library.INTERVENTIONS)
    ids = {row["id"] for row in response.data["results"]}
    assert ids
    assert ids <= set(Intervention.objects.filter(clinic=clinic).values_list("id", flat=True))
    stretch = _intervention(clinic, "hip-flexor-stretch")
    detail = api.get(f"/api/interventions/{stretch.pk}/")
    assert detail.status_code == 200
    assert detail.data["dosage"] == "2–4 holds each side, 20–30 s each, daily"
    foreign = _intervention(other_clinic, "hip-flexor-stretch")
    assert api.get(f"/api/interventions/{foreign.pk}/").status_code == 404


def test_the_interventions_api_is_read_only(api, clinic):
    services.library_seed(clinic=clinic)
    stretch = _intervention(clinic, "hip-flexor-stretch")
    before = _stored(stretch)

    assert api.post("/api/interventions/", {"key": "x", "name": "X", "prong": "exercise"}).status_code == 405
    assert api.patch(f"/api/interventions/{stretch.pk}/", {"name": "Renamed"}, format="json").status_code == 405
    assert api.delete(f"/api/interventions/{stretch.pk}/").status_code == 405
    assert _stored(stretch) == before


# --- Drafting ---------------------------------------------------------------------------------------


def test_drafting_returns_the_plan_with_its_reasons(api, clinician, assessment):
    response = api.post("/api/plans/", {"assessment": assessment.pk}, format="json")

    assert response.status_code == 201, response.data
    assert (response.data["status"], response.data["assessment"]) == ("draft", assessment.pk)
    items = {item["name"]: item for item in response.data["items"]}
    stretch = items["Half-kneeling hip-flexor stretch"]
    assert "Hip flexor tightness – left" in stretch["because"]
    assert stretch["dosage"] == "2–4 holds each side, 20–30 s each, daily"
    assert [entry["intervention"] for entry in response.data["excluded"]] == ["lumbopelvic-thrust"]
    plan = TreatmentPlan.objects.get(pk=response.data["id"])
    assert [row.actor for row in audit_rows("plan.drafted", plan)] == [clinician]


@pytest.mark.parametrize("payload", [{}, {"assessment": "abc"}, {"assessment": None}, {"assessment": 999999}])
def test_drafting_needs_an_assessment_of_the_clinic(api, payload):
    response = api.post("/api/plans/", payload, format="json")

    assert response.status_code == 400
    assert "assessment" in response.data
    assert not TreatmentPlan.objects.exists()


def test_drafting_another_clinics_assessment_is_refused(api, foreign_episode):
    other = foreign_plan(foreign_episode)

    response = api.post("/api/plans/", {"assessment": other.assessment_id}, format="json")

    assert response.status_code == 400
    assert "assessment" in response.data
    assert TreatmentPlan.objects.count() == 1


def test_drafting_an_unfinished_assessment_is_refused(api, episode):
    assessment = AssessmentFactory(episode=episode, complete=False)

    response = api.post("/api/plans/", {"assessment": assessment.pk}, format="json")

    assert response.status_code == 400
    assert "Complete the assessment before drafting a plan." in str(response.data)
    assert not TreatmentPlan.objects.exists()


def test_an_open_emergency_flag_refuses_drafting(api, assessment, episode):
    red_flag(episode, code="cauda_equina", tier="emergency", label="Saddle numbness")

    response = api.post("/api/plans/", {"assessment": assessment.pk}, format="json")

    assert response.status_code == 400
    assert "emergency red flag" in str(response.data)
    assert not TreatmentPlan.objects.exists()


# --- Editing the plan ----------------------------------------------------------------------------------


def test_patching_plan_fields(api, clinician, plan):
    response = api.patch(
        f"/api/plans/{plan.pk}/",
        {
            "visits_per_week": 2,
            "weeks": 8,
            "goals": ["Run 10 km pain-free"],
            "running_advice": ["Easy runs only"],
            "missing_prong_reasons": {"soft_tissue": "Not tolerated"},
            "status": "signed",
        },
        format="json",
    )

    assert response.status_code == 200, response.data
    plan.refresh_from_db()
    assert (plan.visits_per_week, plan.weeks, plan.status) == (2, 8, "draft")
    assert (plan.goals, plan.running_advice) == (["Run 10 km pain-free"], ["Easy runs only"])
    assert plan.missing_prong_reasons == {"soft_tissue": "Not tolerated"}
    assert response.data["visits_per_week"] == 2
    assert AuditEvent.objects.filter(action="plan.updated", object_id=plan.pk, actor=clinician).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("visits_per_week", 0),
        ("visits_per_week", 9),
        ("weeks", 0),
        ("weeks", 60),
        ("visits_per_week", "abc"),
        ("goals", "Run pain-free"),
        ("goals", [{"text": "Run"}]),
        ("running_advice", 5),
        ("missing_prong_reasons", ["Not tolerated"]),
        ("missing_prong_reasons", {"soft_tissue": ["x"]}),
    ],
)
def test_bad_plan_fields_are_a_400_naming_the_field(api, client, clinician, plan, field, value):
    before = _stored(plan)

    response = api.patch(f"/api/plans/{plan.pk}/", {field: value}, format="json")

    assert response.status_code == 400, response.data
    assert field in response.data, response.data
    assert _stored(plan) == before
    client.raise_request_exception = False
    login(client, clinician)
    assert client.get(f"/plans/{plan.pk}/").status_code == 200


# --- Items --------------------------------------------------------------------------------------------


def test_adding_from_the_library(api, clinician, clinic, plan):
    cat_cow = _intervention(clinic, "cat-cow")

    response = api.post(f"/api/plans/{plan.pk}/items/", {"intervention": cat_cow.pk}, format="json")

    assert response.status_code == 201, response.data
    assert (response.data["name"], response.data["because"]) == ("Cat-cow", ["Added by the clinician"])
    assert response.data["dosage"] == cat_cow.dosage_text
    item = item_of(plan, "cat-cow")
    assert [row.actor for row in audit_rows("plan.item_added", item)] == [clinician]


def test_a_soft_excluded_item_needs_an_override_reason(api, clinician, clinic, plan):
    thrust = _intervention(clinic, "lumbopelvic-thrust")

    refused = api.post(f"/api/plans/{plan.pk}/items/", {"intervention": thrust.pk}, format="json")

    assert refused.status_code == 400
    assert "override_reason" in refused.data
    assert "lumbopelvic-thrust" not in item_keys(plan)

    response = api.post(
        f"/api/plans/{plan.pk}/items/",
        {"intervention": thrust.pk, "override_reason": "No leg symptoms today; SLR now negative"},
        format="json",
    )

    assert response.status_code == 201, response.data
    assert response.data["override_contraindication"] == "radicular-thrust-relative"
    assert response.data["override_reason"] == "No leg symptoms today; SLR now negative"
    (row,) = audit_rows("plan.contraindication_overridden", item_of(plan, "lumbopelvic-thrust"))
    assert row.actor == clinician


def test_a_hard_excluded_item_cannot_be_added(api, clinic, episode):
    assessment = AssessmentFactory(episode=episode, exam=NO_NEURAL_TENSION)
    red_flag(episode, code="cancer_history", tier="urgent", label="History of cancer")
    plan = TreatmentPlan.objects.get(
        pk=api.post("/api/plans/", {"assessment": assessment.pk}, format="json").data["id"]
    )
    thrust = _intervention(clinic, "lumbopelvic-thrust")

    response = api.post(
        f"/api/plans/{plan.pk}/items/", {"intervention": thrust.pk, "override_reason": "Insists"}, format="json"
    )

    assert response.status_code == 400
    assert "intervention" in response.data
    assert "cannot be added" in str(response.data["intervention"])
    assert "lumbopelvic-thrust" not in item_keys(plan)


@pytest.mark.parametrize("value", [999999, "abc", None, "foreign"])
def test_adding_an_unknown_intervention_is_a_400(api, other_clinic, plan, value):
    if value == "foreign":
        services.library_seed(clinic=other_clinic)
        value = _intervention(other_clinic, "cat-cow").pk
    before = plan.items.count()

    response = api.post(f"/api/plans/{plan.pk}/items/", {"intervention": value}, format="json")

    assert response.status_code == 400
    assert "intervention" in response.data
    assert plan.items.count() == before


def test_patching_an_items_dosage(api, clinician, plan):
    bridge = item_of(plan, "glute-bridge")

    response = api.patch(f"/api/plan-items/{bridge.pk}/", {"sets": 3, "reps": "12", "name": "Renamed"}, format="json")

    assert response.status_code == 200, response.data
    assert response.data["dosage"] == "3 × 12, 2–3 times a week"
    bridge.refresh_from_db()
    assert (bridge.sets, bridge.reps, bridge.name) == (3, "12", "Glute bridge")
    assert AuditEvent.objects.filter(action="plan.item_changed", object_id=bridge.pk, actor=clinician).exists()


@pytest.mark.parametrize("sets", ["abc", -1, 0, 2.5])
def test_bad_sets_are_a_400_naming_the_field(api, plan, sets):
    api.raise_request_exception = False
    bridge = item_of(plan, "glute-bridge")
    before = _stored(bridge)

    response = api.patch(f"/api/plan-items/{bridge.pk}/", {"sets": sets}, format="json")

    assert response.status_code == 400
    assert "sets" in response.data
    assert _stored(bridge) == before


def test_deleting_an_item(api, clinician, plan):
    clamshell = item_of(plan, "clamshell")

    response = api.delete(f"/api/plan-items/{clamshell.pk}/")

    assert response.status_code == 204
    assert not PlanItem.objects.filter(pk=clamshell.pk).exists()
    assert AuditEvent.objects.filter(action="plan.item_removed", object_id=clamshell.pk, actor=clinician).exists()


# --- Signing and versions --------------------------------------------------------------------------------


def test_signing_and_reading_versions(api, clinician, plan):
    first = api.post(f"/api/plans/{plan.pk}/sign/")
    assert first.status_code == 201, first.data
    assert (first.data["number"], first.data["changes"], first.data["signed_by"]) == (1, [], clinician.pk)

    again = api.post(f"/api/plans/{plan.pk}/sign/")
    assert again.status_code == 400
    assert "Nothing has changed since the last signed version." in str(again.data)

    bridge = item_of(plan, "glute-bridge")
    assert api.patch(f"/api/plan-items/{bridge.pk}/", {"sets": 3}, format="json").status_code == 200
    second = api.post(f"/api/plans/{plan.pk}/sign/")
    assert second.status_code == 201, second.data
    assert second.data["number"] == 2
    assert second.data["changes"] == [
        {
            "kind": "changed",
            "subject": "Glute bridge – dosage",
            "before": "2 × 10–15, 2–3 times a week",
            "after": "3 × 10–15, 2–3 times a week",
        }
    ]

    listed = api.get(f"/api/plans/{plan.pk}/versions/")
    assert listed.status_code == 200
    assert [row["number"] for row in listed.data] == [2, 1]
    assert listed.data[1]["body"] == version(plan, 1).body
    assert len(audit_rows("plan.signed", version(plan, 2))) == 1
    assert AuditEvent.objects.filter(action="plan.versions_viewed", object_id=plan.pk).exists()


def test_signing_with_an_empty_prong_and_no_reason_is_a_400(api, plan):
    for item in plan.items.filter(prong="soft_tissue"):
        assert api.delete(f"/api/plan-items/{item.pk}/").status_code == 204

    response = api.post(f"/api/plans/{plan.pk}/sign/")

    assert response.status_code == 400
    assert "The plan has no Soft-tissue work item." in str(response.data)
    assert not plan.versions.exists()

    assert (
        api.patch(
            f"/api/plans/{plan.pk}/", {"missing_prong_reasons": {"soft_tissue": "Declined"}}, format="json"
        ).status_code
        == 200
    )
    assert api.post(f"/api/plans/{plan.pk}/sign/").status_code == 201


def test_reading_a_plan_is_audited(api, clinician, plan):
    response = api.get(f"/api/plans/{plan.pk}/")

    assert response.status_code == 200
    assert {item["name"] for item in response.data["items"]} == set(plan.items.values_list("name", flat=True))
    (row,) = audit_rows("plan.viewed", plan)
    assert row.actor == clinician


# --- Who may call what -----------------------------------------------------------------------------------


def test_front_desk_is_refused_everywhere(front_desk, clinic, assessment, plan):
    services.plan_sign(actor=plan.created_by, plan=plan)
    api = api_client(front_desk)
    item = item_of(plan, "glute-bridge")
    before_item = _stored(item)
    cat_cow = _intervention(clinic, "cat-cow")

    for method, url, data in (
        ("get", "/api/plans/", None),
        ("get", f"/api/plans/{plan.pk}/", None),
        ("get", f"/api/plans/{plan.pk}/versions/", None),
        ("get", "/api/interventions/", None),
        ("post", "/api/plans/", {"assessment": assessment.pk}),
        ("patch", f"/api/plans/{plan.pk}/", {"visits_per_week": 3}),
        ("post", f"/api/plans/{plan.pk}/items/", {"intervention": cat_cow.pk}),
        ("post", f"/api/plans/{plan.pk}/sign/", {}),
        ("patch", f"/api/plan-items/{item.pk}/", {"sets": 5}),
        ("delete", f"/api/plan-items/{item.pk}/", None),
    ):
        response = getattr(api, method)(url, data, format="json") if data is not None else getattr(api, method)(url)
        assert response.status_code == 403, (method, url, response.status_code)

    assert TreatmentPlan.objects.count() == 1
    assert _stored(item) == before_item
    plan.refresh_from_db()
    assert (plan.visits_per_week, plan.versions.count()) == (1, 1)
    assert not AuditEvent.objects.filter(actor=front_desk, action__startswith="plan.").exists()


def test_another_clinics_plans_and_items_are_404(api, clinic, plan, foreign_episode):
    other = foreign_plan(foreign_episode)
    services.plan_sign(actor=foreign_episode.lead_clinician, plan=other)
    item = other.items.order_by("id").first()
    before_plan, before_item = _stored(other), _stored(item)
    cat_cow = _intervention(clinic, "cat-cow")

    for method, url, data in (
        ("get", f"/api/plans/{other.pk}/", None),
        ("get", f"/api/plans/{other.pk}/versions/", None),
        ("patch", f"/api/plans/{other.pk}/", {"visits_per_week": 3}),
        ("post", f"/api/plans/{other.pk}/items/", {"intervention": cat_cow.pk}),
        ("post", f"/api/plans/{other.pk}/sign/", {}),
        ("patch", f"/api/plan-items/{item.pk}/", {"sets": 5}),
        ("delete", f"/api/plan-items/{item.pk}/", None),
    ):
        response = getattr(api, method)(url, data, format="json") if data is not None else getattr(api, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)

    listed = api.get("/api/plans/")
    assert [row["id"] for row in listed.data["results"]] == [plan.pk]
    assert (_stored(other), _stored(item)) == (before_plan, before_item)
    assert other.versions.count() == 1


def test_the_library_api_serves_clinic_admins_too(clinic_admin, clinic):
    services.library_seed(clinic=clinic)

    response = api_client(clinic_admin).get("/api/interventions/")

    assert response.status_code == 200
    assert response.data["count"] == len(library.INTERVENTIONS)


# --- Visit frequency and duration for whoever schedules ------------------------------------------------


def test_the_front_desk_reads_a_signed_plans_visits_and_nothing_clinical(api, front_desk, episode, plan):
    desk = api_client(front_desk)
    assert desk.get("/api/plan-visits/").data["count"] == 0, "a draft was never given to the patient"
    services.plan_update(actor=plan.created_by, plan=plan, visits_per_week=2, weeks=8)
    services.plan_sign(actor=plan.created_by, plan=plan)
    # An unsigned edit after the signature is not what the patient was given.
    assert api.patch(f"/api/plans/{plan.pk}/", {"weeks": 12}, format="json").status_code == 200

    listed = desk.get("/api/plan-visits/", {"episode": episode.pk})
    read = desk.get(f"/api/plan-visits/{plan.pk}/")

    assert listed.status_code == read.status_code == 200
    assert listed.data["results"] == [read.data]
    assert read.data == {
        "plan": plan.pk,
        "episode": episode.pk,
        "version": 1,
        "visits_per_week": 2,
        "weeks": 8,
        "signed_at": read.data["signed_at"],
    }
    assert read.data["signed_at"] == version(plan, 1).signed_at.isoformat().replace("+00:00", "Z")


def test_the_front_desk_still_cannot_change_a_plans_visits(front_desk, plan):
    response = api_client(front_desk).patch(f"/api/plans/{plan.pk}/", {"visits_per_week": 3}, format="json")

    assert response.status_code == 403
    assert TreatmentPlan.objects.get(pk=plan.pk).visits_per_week == 1


def test_the_clinic_admin_reads_no_plan_visits(clinic_admin, plan):
    services.plan_sign(actor=plan.created_by, plan=plan)
    admin = api_client(clinic_admin)

    assert admin.get("/api/plan-visits/").status_code == 403
    assert admin.get(f"/api/plan-visits/{plan.pk}/").status_code == 403


def test_another_clinics_plan_visits_are_not_found(front_desk, foreign_episode):
    other = foreign_plan(foreign_episode)
    services.plan_sign(actor=foreign_episode.lead_clinician, plan=other)
    desk = api_client(front_desk)

    assert desk.get(f"/api/plan-visits/{other.pk}/").status_code == 404
    assert desk.get("/api/plan-visits/").data["count"] == 0


def test_a_page_of_plans_reads_the_clinic_library_once(api, assessment):
    for _ in range(3):
        PlanFactory(assessment=assessment)
    with CaptureQueriesContext(connection) as context:
        response = api.get("/api/plans/")
    assert response.status_code == 200
    assert len(response.data["results"]) >= 3
    assert sum('FROM "plans_contraindication"' in query["sql"] for query in context.captured_queries) == 1
