"""The API's errors have one shape each, documented once in the schema: every 400 is field ->
list of messages (``FieldErrors``), with messages of no single field under ``detail``; refusals
are ``{"detail": "..."}``; an /api/ address that names no route answers that JSON 404 too."""

from __future__ import annotations

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import ErrorDetail

from clinic.drf import field_messages
from tests.assessments.helpers import login as html_login
from tests.assessments.helpers import started
from tests.factories import AssessmentFactory
from tests.plans.helpers import api_client


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ({"episode": ["No such episode."]}, {"episode": ["No such episode."]}),
        ({"episode": "No such episode."}, {"episode": ["No such episode."]}),
        ({"detail": "JSON parse error"}, {"detail": ["JSON parse error"]}),
        ({NON_FIELD_ERRORS: ["Both sides are needed."]}, {"detail": ["Both sides are needed."]}),
        ({"goals": {0: ["Too long."]}}, {"goals": {"0": ["Too long."]}}),
        ({"items": [{}, {"sets": ["Too few."]}]}, {"items": {"1": {"sets": ["Too few."]}}}),
        (["Nothing has changed."], ["Nothing has changed."]),
        ({"status": [ErrorDetail("Not allowed.", code="invalid")]}, {"status": ["Not allowed."]}),
    ],
    ids=["list", "string", "not-json", "django-non-field", "list-field", "nested-many", "bare-list", "error-detail"],
)
def test_field_messages_puts_every_400_in_one_shape(errors, expected):
    assert field_messages(errors) == expected


def _is_field_errors(body) -> bool:
    """FieldErrors: an object of lists of strings, or of objects of the same kind."""
    if not isinstance(body, dict) or not body:
        return False
    return all(
        (isinstance(value, list) and all(isinstance(item, str) for item in value)) or _is_field_errors(value)
        for value in body.values()
    )


@pytest.fixture
def clinician_api(clinician):
    return api_client(clinician)


def test_the_assessment_api_answers_a_bad_exam_like_the_rest_of_the_api(client, clinician, clinician_api, episode):
    draft = started(html_login(client, clinician), episode)

    assessment = clinician_api.patch(f"/api/assessments/{draft.pk}/", {"rom_flexion_left": 170}, format="json")
    patient = clinician_api.post("/api/patients/", {"first_name": ""}, format="json")

    assert assessment.status_code == patient.status_code == 400
    assert _is_field_errors(assessment.json()), assessment.json()
    assert _is_field_errors(patient.json()), patient.json()
    (message,) = assessment.json()["rom_flexion_left"]
    assert isinstance(message, str)


def test_an_assessment_error_of_no_single_field_is_under_detail(clinician_api, episode):
    completed = AssessmentFactory(episode=episode)

    response = clinician_api.patch(f"/api/assessments/{completed.pk}/", {"pain_today": 2}, format="json")

    assert response.status_code == 400
    assert _is_field_errors(response.json())
    assert "reopen it to change it" in " ".join(response.json()["detail"])


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        # These views raised a plain string for the field, which DRF sends as a string.
        ("/api/intake-invitations/", {"episode": 999999}, "episode"),
        ("/api/episodes/", {"status": "closed"}, "status"),
        ("/api/plans/", {"assessment": 999999}, "assessment"),
        ("/api/appointments/", {"episode": 999999, "clinician": 1, "starts_at": "2026-12-01T09:00:00Z"}, "episode"),
    ],
)
def test_a_refused_field_is_always_a_list_of_messages(clinician_api, patient, clinician, path, body, field):
    if path == "/api/episodes/":
        body = {**body, "patient": patient.pk, "lead_clinician": clinician.pk, "presenting_complaint": "Hip pain"}

    response = clinician_api.post(path, body, format="json")

    assert response.status_code == 400
    assert _is_field_errors(response.json()), response.json()
    assert field in response.json()


def test_a_body_that_is_not_json_is_a_400_of_the_same_shape(clinician_api):
    response = clinician_api.generic("POST", "/api/patients/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert _is_field_errors(response.json()), response.json()
    assert "JSON parse error" in response.json()["detail"][0]


@pytest.mark.parametrize("content_type", ["text/plain", ""])
def test_a_body_in_a_media_type_the_api_does_not_read_is_a_documented_415(clinician_api, schema, content_type):
    response = clinician_api.generic("POST", "/api/patients/search/", "q=Robin", content_type=content_type)

    assert response.status_code == 415
    assert set(response.json()) == {"detail"}
    assert "415" in schema["paths"]["/api/patients/search/"]["post"]["responses"]


@pytest.mark.parametrize("path", ["/api/episodes/1.5/", "/api/episodes/1/nothing/", "/api/no-such-thing/"])
def test_an_api_address_of_no_route_is_a_json_404(clinician_api, path):
    response = clinician_api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_other_addresses_keep_the_sites_404_page(client, clinician):
    html_login(client, clinician)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_its_refusals(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code in ("401", "403", "429"):
                assert code in responses, (method, path, code)
            if method in {"post", "put", "patch"}:
                assert responses["400"] == {"$ref": "#/components/responses/BadRequest"}, (method, path)
            if "{id}" in path:
                assert "404" in responses, (method, path)
            takes_if_match = any(parameter["name"] == "If-Match" for parameter in operation.get("parameters", []))
            assert ("412" in responses) == takes_if_match, (method, path)
            assert ("415" in responses) == ("requestBody" in operation), (method, path)


def test_pages_are_documented_as_numbered_from_1(schema, clinician_api):
    """Page 0 is "no such page": a client (or the fuzz) that takes the schema's word for a valid
    page must not be sent there."""
    pages = [
        parameter["schema"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if (parameter["in"], parameter["name"]) == ("query", "page")
    ]

    assert len(pages) >= 10
    assert all(page == {"type": "integer", "minimum": 1} for page in pages), pages
    assert clinician_api.get("/api/patients/?page=0").status_code == 404
    assert clinician_api.get("/api/patients/?page=1").status_code == 200


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/plan-items/{id}/", "patch"),
        ("/api/plan-items/{id}/", "delete"),
        ("/api/appointments/{id}/reschedule/", "post"),
        ("/api/appointments/{id}/cancel/", "post"),
        ("/api/appointments/{id}/status/", "post"),
        ("/api/patients/{id}/", "put"),
    ],
)
def test_the_writes_that_take_if_match_document_412(schema, path, method):
    assert "412" in schema["paths"][path][method]["responses"]


def test_the_error_bodies_are_components(schema):
    components = schema["components"]
    assert components["responses"]["BadRequest"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FieldErrors"
    }
    assert components["responses"]["TooManyRequests"]["headers"]["Retry-After"]["required"] is True
    assert components["responses"]["Unauthorized"]["headers"]["WWW-Authenticate"]["required"] is True
    assert components["schemas"]["Error"]["required"] == ["detail"]
    assert "additionalProperties" in components["schemas"]["FieldErrors"]
