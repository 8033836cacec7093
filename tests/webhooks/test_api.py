"""/api/webhooks/: clinic admins only; the secret only in the answers of create and
rotate-secret; bad input is a 400 with field messages; the delivery log is read-only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from clinic import api_tokens
from clinic.permissions import Role
from clinic.webhooks import rules, services
from clinic.webhooks.models import WebhookEndpoint
from tests.factories import UserFactory


@pytest.fixture
def api(clinic_admin):
    client = APIClient()
    client.force_authenticate(clinic_admin)
    return client


def test_create_returns_the_secret_once(api, clinic):
    response = api.post(
        "/api/webhooks/",
        {"url": "https://ehr.example.test/hooks", "event_types": ["plan.signed", "handout.ready"]},
        format="json",
    )

    assert response.status_code == 201, response.content
    endpoint = WebhookEndpoint.objects.get(clinic=clinic)
    assert response.json()["secret"] == endpoint.secret
    assert response.json()["secret_hint"] == endpoint.secret_hint
    detail = api.get(f"/api/webhooks/{endpoint.pk}/")
    listed = api.get("/api/webhooks/")
    assert "secret" not in detail.json()
    assert "secret" not in listed.json()["results"][0]
    assert endpoint.secret not in detail.content.decode() + listed.content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://ehr.example.test/hooks", "event_types": ["plan.signed"]}, "url"),
        ({"url": "https://ehr.example.test/hooks", "event_types": []}, "event_types"),
        ({"url": "https://ehr.example.test/hooks", "event_types": ["ping"]}, "event_types"),
        ({"url": "https://ehr.example.test/hooks", "event_types": "plan.signed"}, "event_types"),
        ({"event_types": ["plan.signed"]}, "url"),
    ],
)
def test_bad_input_is_a_400_by_field(api, body, field):
    response = api.post("/api/webhooks/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not WebhookEndpoint.objects.exists()


def test_patch_edits_and_disables_and_enables(api, make_endpoint):
    endpoint = make_endpoint()

    response = api.patch(f"/api/webhooks/{endpoint.pk}/", {"description": "EHR", "active": False}, format="json")

    assert response.status_code == 200
    assert (response.json()["description"], response.json()["active"]) == ("EHR", False)
    assert response.json()["disabled_reason"] == services.DISABLED_BY_ADMIN
    assert api.patch(f"/api/webhooks/{endpoint.pk}/", {"active": True}, format="json").json()["active"] is True


def test_rotate_secret_returns_the_new_one(api, make_endpoint):
    endpoint = make_endpoint()

    response = api.post(f"/api/webhooks/{endpoint.pk}/rotate-secret/")

    endpoint.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["secret"] == endpoint.secret


def test_deliveries_lists_the_log_with_attempts(api, make_endpoint, clinic):
    endpoint = make_endpoint()
    services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"episode": 3, "plan": 4})

    response = api.get(f"/api/webhooks/{endpoint.pk}/deliveries/")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["event_type"], row["status"], row["attempt_log"]) == ("plan.signed", "pending", [])
    assert row["payload"]["data"] == {"episode": 3, "plan": 4}


def test_ping_queues_a_test_event(api, make_endpoint):
    endpoint = make_endpoint()

    response = api.post(f"/api/webhooks/{endpoint.pk}/ping/")

    assert response.status_code == 202
    assert response.json()["event_type"] == "ping"


def test_delete_refuses_an_endpoint_with_a_log(api, make_endpoint, clinic):
    endpoint = make_endpoint()
    services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 4})

    response = api.delete(f"/api/webhooks/{endpoint.pk}/")

    assert response.status_code == 400
    assert "disable the endpoint instead" in response.content.decode()


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.FRONT_DESK])
def test_a_token_of_another_role_is_refused(clinic, clinic_admin, role):
    _, raw = api_tokens.api_token_create(
        actor=clinic_admin, owner=UserFactory(clinic=clinic, roles=[role]), name="Integration"
    )

    response = APIClient().get("/api/webhooks/", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 403


def test_another_clinics_endpoints_are_not_listed_or_found(api, other_clinic):
    theirs, _ = services.endpoint_create(
        actor=UserFactory(clinic=other_clinic, roles=[Role.CLINIC_ADMIN]),
        url="https://other.example.test/hooks",
        event_types=["plan.signed"],
    )

    assert api.get("/api/webhooks/").json()["results"] == []
    assert api.get(f"/api/webhooks/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/webhooks/{theirs.pk}/deliveries/").status_code == 404
