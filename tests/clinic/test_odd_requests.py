"""Odd requests get a clear answer, never a 500: days no calendar can show (year 1, year 9999,
not a date) on the day and week pages and the free-slot API, a body that is not a JSON object or
values of the wrong type on every write of the API (found in the API's own schema, so a new
endpoint is covered), OPTIONS on every record's address, a Host header the site does not serve,
and the JSON shape of a failure under /api/."""

from __future__ import annotations

import datetime
import functools
import json

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from assessments.models import AssessmentKind
from clinic import api_tokens
from clinic.api_auth import ApiRateThrottle
from clinic.permissions import Role
from clinic.webhooks import services as webhook_services
from intake.models import IntakeInvitation
from plans import services as plan_services
from tests.assessments.helpers import BASELINE_DAY
from tests.e2e.preconditions import completed_assessment, submitted_intake
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF_BACKEND = "clinic.backends.StaffBackend"
ODD_DAYS = ["9999-12-31", "0001-01-01", "1899-12-31", "2024-02-30", "yesterday", "2024-1-1", "\x00"]


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk, backend=STAFF_BACKEND)
    return client


# Midday, and a Chicago evening when UTC is already on the next day.
INSTANTS = [
    datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 3, 2, 0, tzinfo=datetime.UTC),
]


@pytest.mark.parametrize("path", ["/schedule/", "/schedule/week/"])
@pytest.mark.parametrize("day", ODD_DAYS)
@pytest.mark.parametrize("now", INSTANTS, ids=["midday", "utc-tomorrow"])
def test_an_odd_day_shows_today_with_a_message(desk, front_desk, path, day, now):
    with time_machine.travel(now, tick=False):
        response = desk.get(path, {"day": day})
    assert response.status_code == 200
    assert "here is today" in response.content.decode().lower()
    today = timezone.localdate(now, front_desk.clinic.zone)
    assert response.context["day"] == today if path == "/schedule/" else today in response.context["days"]


@pytest.mark.parametrize("path", ["/schedule/", "/schedule/week/"])
def test_a_plausible_day_shows_that_day_without_a_message(desk, path):
    response = desk.get(path, {"day": "2030-06-12"})
    assert response.status_code == 200
    assert "here is today" not in response.content.decode().lower()
    shown = response.context["day"] if path == "/schedule/" else response.context["days"][2]
    assert shown == datetime.date(2030, 6, 12)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_the_free_slot_api_refuses_an_implausible_day_with_a_400(desk, clinician, day):
    response = desk.get("/api/appointments/availability/", {"clinician": clinician.pk, "day": day})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "Check the year" in response.json()["day"][0]


def test_a_bad_host_answers_400_not_500(desk):
    for path in ("/", "/patients/", "/api/patients/", "/accounts/login/"):
        assert desk.get(path, HTTP_HOST="evil.example").status_code == 400, path


def test_a_failure_under_the_api_answers_json(clinician, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr("clinic.api.PatientViewSet.list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(clinician, backend=STAFF_BACKEND)
    response = client.get("/api/patients/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong on our side. Please try again later."}


# --- Every write of the API ----------------------------------------------------------------------


@functools.cache
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = _schema()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _writes() -> list[tuple[str, str, list[str]]]:
    """(method, path, the body's property names) of every write that takes a body."""
    found = []
    for path, operations in _schema()["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch"):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            found.append((method, path, sorted(_resolve(body.get("schema", {})).get("properties", {}))))
    return found


@pytest.fixture
def seeded(clinic, clinician, settings, tmp_path, monkeypatch):
    """One record of every kind the API writes to, and a user who holds every role."""
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", {"api_token": None, "api_session": None})
    everyone = UserFactory(clinic=clinic, roles=[Role.CLINICIAN, Role.FRONT_DESK, Role.CLINIC_ADMIN])
    episode = EpisodeFactory(patient=PatientFactory(clinic=clinic), lead_clinician=everyone)
    submitted_intake(episode, actor=everyone)
    assessment = completed_assessment(episode, clinician=everyone, kind=AssessmentKind.INITIAL, on=BASELINE_DAY)
    plan = plan_services.plan_draft(actor=everyone, assessment=assessment)
    starts_at = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=2)
    appointment = AppointmentFactory(episode=episode, clinician=everyone, starts_at=starts_at)
    endpoint, _ = webhook_services.endpoint_create(
        actor=everyone, url="https://hooks.example.com/stride", event_types=["appointment.booked"]
    )
    token, _ = api_tokens.api_token_create(actor=everyone, owner=everyone, name="Export", clinical_scope=True)
    ids = {
        "patients": episode.patient_id,
        "episodes": episode.pk,
        "assessments": assessment.pk,
        "findings": assessment.findings.first().pk,
        "plans": plan.pk,
        "plan-items": plan.items.first().pk,
        "appointments": appointment.pk,
        "webhooks": endpoint.pk,
        "tokens": token.pk,
        "intake-invitations": IntakeInvitation.objects.filter(intake__episode=episode).first().pk,
    }
    client = Client()
    client.force_login(everyone, backend=STAFF_BACKEND)
    return client, ids


def _address(path: str, ids: dict[str, int]) -> str:
    return path.replace("{id}", str(ids.get(path.split("/")[2], 1)))


def _assert_answered(response, label: str) -> None:
    assert response.status_code < 500, label
    assert response["Content-Type"].startswith("application/json"), (label, response.status_code)
    if response.status_code == 400:
        assert isinstance(response.json(), dict), label


def test_the_walk_finds_the_writes():
    writes = {(method, path) for method, path, _ in _writes()}
    assert {("post", "/api/assessments/"), ("patch", "/api/assessments/{id}/"), ("post", "/api/patients/")} <= writes


@pytest.mark.parametrize("body", [[], ["a"], [{"episode": 1}], "text", 3, 2.5, True, None], ids=repr)
def test_every_write_refuses_a_body_that_is_not_an_object(seeded, body):
    client, ids = seeded
    for method, path, _ in _writes():
        response = getattr(client, method)(_address(path, ids), json.dumps(body), content_type="application/json")
        _assert_answered(response, f"{method.upper()} {path} {body!r}")


@pytest.mark.parametrize(
    "value", [20240101, -1, 1.5, True, ["2024-01-01"], {"day": "2024-01-01"}, "9999-12-31T23:59:59-12:00"], ids=repr
)
def test_every_write_refuses_values_of_the_wrong_type(seeded, value):
    client, ids = seeded
    for method, path, properties in _writes():
        body = dict.fromkeys(properties, value)
        response = getattr(client, method)(_address(path, ids), body, content_type="application/json")
        _assert_answered(response, f"{method.upper()} {path} {value!r}")


@pytest.mark.parametrize("value", [20240101, True, ["2024-01-01"], {"day": 1}, None, "0001-01-01", "0138-05-01"])
def test_the_assessment_date_must_be_a_plausible_date_text(seeded, value):
    client, ids = seeded
    response = client.patch(
        f"/api/assessments/{ids['assessments']}/", {"assessed_on": value}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "assessed_on" in response.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_options_on_every_record_answers(seeded):
    """DRF answers OPTIONS by reading the record as a PUT would, outside any transaction: the
    row lock of a write must not be taken then (PostgreSQL refuses one outside a transaction)."""
    client, ids = seeded
    details = [
        path for path, operations in _schema()["paths"].items() if path.endswith("/{id}/") and "get" in operations
    ]
    assert len(details) >= 8
    for path in details:
        response = client.options(_address(path, ids))
        assert response.status_code == 200, (path, response.status_code)
