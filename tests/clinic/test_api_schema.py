"""The OpenAPI schema (drf-spectacular) and its Swagger UI page: generated from the code with
no warning, covering every route of the API, for signed-in staff only, and served with
nothing loaded from outside the app."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from drf_spectacular.drainage import reset_generator_stats
from drf_spectacular.management.commands.spectacular import SchemaGenerationError

from assessments.forms import AssessmentForm
from clinic.urls import router
from tests.assessments.helpers import login, record

HANDWRITTEN_WRITES = ("create", "update", "partial_update")


@pytest.fixture(autouse=True)
def _fresh_generator_stats():
    # drf-spectacular counts warnings for the whole process: each test starts and ends with none.
    reset_generator_stats()
    yield
    reset_generator_stats()


def _generate(tmp_path, *options: str) -> dict:
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", *options, "--file", str(target))
    return yaml.safe_load(target.read_text())


def test_the_schema_generates_and_validates_with_no_warning(tmp_path):
    schema = _generate(tmp_path, "--validate")

    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Stride API"


def test_an_endpoint_without_a_documented_shape_fails_the_generation(tmp_path):
    with pytest.raises(SchemaGenerationError):
        _generate(tmp_path, "--urlconf", "tests.clinic.undocumented_api_urls")


def _custom_handlers():
    for prefix, viewset, _ in router.registry:
        names = [extra.__name__ for extra in viewset.get_extra_actions()]
        names += [name for name in HANDWRITTEN_WRITES if name in vars(viewset)]
        for name in names:
            yield pytest.param(viewset, name, id=f"{prefix}.{name}")


@pytest.mark.parametrize(("viewset", "name"), list(_custom_handlers()))
def test_custom_actions_and_handwritten_writes_declare_their_shapes(viewset, name):
    """DRF cannot tell what a custom action or a create that validates its own payload takes
    and returns, so each says so with @extend_schema (which marks the handler's ``kwargs``)."""
    assert "schema" in getattr(getattr(viewset, name), "kwargs", {})


def _router_operations() -> dict[str, set[str]]:
    """Every path and method the API router serves, written as OpenAPI writes them."""
    operations: dict[str, set[str]] = {}
    for pattern in router.urls:
        actions = getattr(pattern.callback, "actions", None)
        regex = pattern.pattern.regex
        if not actions or "format" in regex.groupindex:
            continue
        path = "/api/" + re.sub(r"\(\?P<pk>[^)]*\)", "{id}", regex.pattern).strip("^$")
        # DRF answers HEAD wherever it answers GET (adding it to ``actions`` at the first
        # request); OpenAPI documents HEAD with the GET.
        operations.setdefault(path, set()).update(set(actions) - {"head"})
    return operations


def test_the_schema_lists_every_route_of_the_api_and_nothing_else(tmp_path):
    schema = _generate(tmp_path)
    routes = _router_operations()

    assert "/api/patients/search/" in routes
    assert set(schema["paths"]) == set(routes)
    for path, methods in routes.items():
        assert set(schema["paths"][path]) >= methods, path


@pytest.mark.parametrize("role", ["clinician", "front_desk", "clinic_admin"])
def test_signed_in_staff_get_the_schema(client, request, role):
    client.force_login(request.getfixturevalue(role))

    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/episodes/{id}/" in schema["paths"]


def test_the_schema_is_also_served_as_json(client, clinician):
    client.force_login(clinician)

    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    assert json.loads(response.content)["info"]["title"] == "Stride API"


def test_the_schema_answers_a_write_as_the_api_does(clinician):
    # The schema's view is loaded on its first request; a write still reaches DRF's own view,
    # which answers in the API's shape, not Django's HTML page for a failed CSRF check.
    client = Client(enforce_csrf_checks=True)
    client.force_login(clinician)

    response = client.post("/api/schema/?format=json")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert response.json()["detail"].startswith("CSRF Failed")


def test_anonymous_users_are_refused_the_schema(client, db):
    response = client.get("/api/schema/")

    assert response.status_code == 403
    assert b"/api/patients/" not in response.content


def test_anonymous_users_are_sent_to_sign_in_for_the_docs(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/docs/"


def test_the_docs_page_loads_only_the_apps_own_files(client, clinician):
    client.force_login(clinician)

    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert '<a href="/api/schema/">' in page
    assert "http://" not in page
    assert "https://" not in page
    assert '"/api/schema/"' in page
    assert not re.search(r'(?:src|href)="//', page)
    # What the page loads: scripts, the stylesheet and the icon (links to pages are not loaded).
    assets = re.findall(r'<script src="([^"]+)"', page) + re.findall(r'<link[^>]* href="([^"]+)"', page)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert any(asset.endswith("swagger-ui.css") for asset in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content if served.streaming else [served.content])


_JSON_TYPES = {"boolean": bool, "integer": int, "string": str, "number": int | float}


def _conforms(value, schema: dict) -> bool:
    if value is None:
        return schema.get("nullable", False)
    if isinstance(value, bool) != (schema["type"] == "boolean"):
        return False
    return isinstance(value, _JSON_TYPES[schema["type"]]) and value in schema.get("enum", [value])


def test_the_exam_is_documented_as_the_assessment_screen_takes_and_the_api_returns_it(
    tmp_path, client, clinician, episode
):
    schema = _generate(tmp_path)
    operation = schema["paths"]["/api/assessments/{id}/"]
    taken = operation["patch"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    returned = schema["components"]["schemas"]["Assessment"]["properties"]["measurements"]["properties"]
    login(client, clinician)
    assessment = record(client, episode)

    measurements = client.get(f"/api/assessments/{assessment.pk}/").json()["measurements"]

    assert set(taken) == set(AssessmentForm().fields)
    assert {"rom_flexion_left", "fms_deep_squat", "thomas_left_result", "true_left_cm"} <= set(measurements)
    assert "additionalProperties" in schema["components"]["schemas"]["Assessment"]["properties"]["measurements"]
    for name, value in measurements.items():
        if name in returned:
            assert _conforms(value, returned[name]), (name, value, returned[name])
        else:
            # A detail that only some special tests have, listed for the others too.
            assert name.rsplit("_", 1)[-1] in {"structure", "angle", "symptoms", "location"}, name
            assert value in (None, False, ""), (name, value)


def test_the_schema_documents_both_ways_to_authenticate(tmp_path):
    schema = _generate(tmp_path)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiToken"] == {"type": "http", "scheme": "bearer"}
    assert schemes["cookieAuth"]["in"] == "cookie"
    patients = schema["paths"]["/api/patients/"]["get"]["security"]
    assert {"apiToken": []} in patients
    assert {"cookieAuth": []} in patients


def test_a_created_record_links_to_the_calls_that_take_its_id(tmp_path):
    """OpenAPI links (clinic.api_schema.add_links): the id of a new patient, episode, assessment
    or plan goes to the record's own routes, the creates whose body names it and the lists it
    filters; the stateful fuzz in tests/fuzz follows them."""
    paths = _generate(tmp_path, "--validate")["paths"]

    def links(path, method, status):
        return paths[path][method]["responses"][status]["links"]

    patient = links("/api/patients/", "post", "201")
    assert patient["episodes_create"]["requestBody"] == {"patient": "$response.body#/id"}
    assert patient["patients_retrieve"]["parameters"] == {"path.id": "$response.body#/id"}
    assert patient["episodes_list"]["parameters"] == {"query.patient": "$response.body#/id"}
    episode = links("/api/episodes/", "post", "201")
    assert {"assessments_create", "intake_invitations_create", "appointments_create"} <= set(episode)
    assert episode["appointments_create"]["requestBody"] == {
        "episode": "$response.body#/id",
        "clinician": "$response.body#/lead_clinician",
    }
    assert links("/api/episodes/{id}/", "get", "200")["assessments_create"]["requestBody"] == {
        "episode": "$response.body#/id"
    }
    completed = links("/api/assessments/{id}/complete/", "post", "200")
    assert completed["plans_create"]["requestBody"] == {"assessment": "$response.body#/id"}
    assert {"plans_items_create", "plans_sign_create"} <= set(links("/api/plans/", "post", "201"))
