"""Schemathesis against the API's own OpenAPI schema, as each staff role, on a seeded clinic.

Every operation in the schema is fuzzed (nothing is listed by hand, so endpoints added later are
covered as soon as the schema shows them) with a bounded number of cases: schema-valid ones on
the clinic's real records and on made-up ids, and schema-violating ones. Each response must not
be a server error, its status code, content type, body and documented headers must match the
schema. The app is called in-process through WSGI, in the test's own transaction.

The number of operations and cases per role is printed at the end of the run and written to
``test-artifacts/schemathesis.txt``.
"""

from __future__ import annotations

import functools
import json
import os
import re

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clinic import api_tokens
from clinic.api_auth import ApiRateThrottle
from clinic.permissions import Role
from intake.models import Intake, IntakeInvitation, IntakeStatus
from plans import services as plan_services
from plans.models import Prong
from tests.assessments.helpers import login, record
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory, UserFactory
from tests.fuzz.report import COVERAGE
from tests.intake.helpers import complete_intake, send_invitation

# Bounded: cases per operation and role. Ten cases for about fifty operations and three roles
# take about 80 s of CPU (measured on the 2-core CI machine); FUZZ_EXAMPLES runs more locally.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

ROLES = {"clinician": Role.CLINICIAN, "front_desk": Role.FRONT_DESK, "clinic_admin": Role.CLINIC_ADMIN}

_RESOURCE = re.compile(r"^/api/([^/]+)/\{id\}/")


def _keep_the_test_connection() -> None:
    """Django closes the database connection when a request starts and ends; in a test that
    would drop the transaction holding the seeded clinic. Django's test client disconnects this
    around each of its requests (and connects it again after them), so it is done before each
    case, after any test-client request of the seeding."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)


@pytest.fixture
def wsgi_app():
    """The real WSGI application, called in-process in the test's transaction."""
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def unthrottled(monkeypatch):
    # Throttling has its own tests; here it would answer 429 before the handlers are reached.
    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", {"api_token": None, "api_session": None})


@functools.cache
def _api_json() -> str:
    # Generating takes seconds; every test of the module reads the same schema.
    return OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)).decode()


def _api_document() -> dict:
    """The schema as /api/schema/?format=json serves it, generated in-process (a fresh copy)."""
    return json.loads(_api_json())


def _seed_clinic(clinic) -> dict[str, list[int]]:
    """A realistic clinic: patients and episodes, a submitted intake and a link still pending,
    a completed assessment with findings, a signed plan and a draft, booked visits. Returns the
    ids per router prefix, for the detail routes."""
    lead = UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
    patients = [PatientFactory(clinic=clinic) for _ in range(3)]
    episodes = [EpisodeFactory(patient=patient, lead_clinician=lead) for patient in patients]
    submitted, pending, treated = episodes

    complete_intake(Client(), send_invitation(submitted, actor=lead))
    send_invitation(pending, actor=lead, channel="sms")
    assessment = record(login(Client(), lead), treated)
    signed = plan_services.plan_draft(actor=lead, assessment=assessment)
    signed = plan_services.plan_update(
        actor=lead, plan=signed, missing_prong_reasons={prong.value: "Not needed yet" for prong in Prong}
    )
    plan_services.plan_sign(actor=lead, plan=signed)
    draft = plan_services.plan_draft(actor=lead, assessment=assessment)
    tomorrow = timezone.now() + timezone.timedelta(days=1)
    appointments = [
        AppointmentFactory(episode=episode, clinician=lead, starts_at=tomorrow + timezone.timedelta(hours=hour))
        for hour, episode in enumerate(episodes)
    ]
    intake = Intake.objects.get(episode=submitted)
    assert intake.status == IntakeStatus.SUBMITTED
    return {
        "patients": [patient.pk for patient in patients],
        "episodes": [episode.pk for episode in episodes],
        "intake-invitations": list(
            IntakeInvitation.objects.filter(intake__episode__in=episodes).values_list("pk", flat=True)
        ),
        "intakes": [intake.pk],
        "assessments": [assessment.pk],
        "findings": list(assessment.findings.values_list("pk", flat=True)),
        "interventions": list(signed.items.values_list("intervention_id", flat=True)),
        "plans": [signed.pk, draft.pk],
        "plan-items": list(draft.items.values_list("pk", flat=True)) + list(signed.items.values_list("pk", flat=True)),
        "appointments": [appointment.pk for appointment in appointments],
    }


def _strategy(operation, known_ids: dict[str, list[int]]):
    """Schema-valid cases on the clinic's records and on any id, and schema-violating cases."""
    choices = [operation.as_strategy(), operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)]
    match = _RESOURCE.match(operation.path + ("" if operation.path.endswith("/") else "/"))
    if match:
        choices += [operation.as_strategy(path_parameters={"id": pk}) for pk in known_ids.get(match.group(1), [])]
    return st.one_of(choices)


def _fuzz(operation, known_ids, *, app, headers: dict, sent: dict[str, int], name: str) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        # No shrinking: the first failing case is reported as found, which keeps the run bounded.
        phases=[Phase.explicit, Phase.generate],
        # Each case is a real request on a real database (too_slow); schemathesis filters
        # generated bodies against the schema (filter_too_much, data_too_large).
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(case=_strategy(operation, known_ids))
    def check(case):
        sent[name] += 1
        _keep_the_test_connection()
        response = case.call(app=app, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()


@pytest.mark.parametrize("role", list(ROLES))
def test_every_operation_answers_as_its_schema_says(role, clinic, wsgi_app, unthrottled):
    known_ids = _seed_clinic(clinic)
    admin = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN])
    member = admin if role == "clinic_admin" else UserFactory(clinic=clinic, roles=[ROLES[role]])
    _, raw = api_tokens.api_token_create(
        actor=admin, owner=member, name="Schemathesis", clinical_scope=role == "clinician"
    )
    auth = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_dict(_api_document())
    sent = COVERAGE.setdefault(role, {})
    failures: list[str] = []

    # A revoke can hit the fuzzing token itself, after which every call is a (documented) 401:
    # revokes go last so they cannot hollow out the rest of the run.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: operation.path.endswith("/revoke/"),
    )
    for operation in operations:
        name = f"{operation.method.upper()} {operation.path}"
        sent[name] = 0
        try:
            _fuzz(operation, known_ids, app=wsgi_app, headers=auth, sent=sent, name=name)
        # Every operation is tried, and every failure reported.
        except (Exception, FailureGroup) as error:
            failures.append(f"{name}\n{error}")

    assert len(sent) >= 40, sent
    assert not failures, "\n\n".join(failures)


def test_a_response_the_schema_does_not_document_fails_the_run(clinician, wsgi_app, unthrottled):
    """The fuzz can fail: with the 400 of patient creation left out of the schema, the
    schema-violating bodies it sends get an undocumented status code."""
    document = _api_document()
    del document["paths"]["/api/patients/"]["post"]["responses"]["400"]
    operation = schemathesis.openapi.from_dict(document)["/api/patients/"]["POST"]
    _, raw = api_tokens.api_token_create(
        actor=UserFactory(clinic=clinician.clinic, roles=[Role.CLINIC_ADMIN]),
        owner=clinician,
        name="Fuzz",
        clinical_scope=True,
    )
    name = "POST /api/patients/"
    sent = {name: 0}

    with pytest.raises(FailureGroup, match="Undocumented status code"):
        _fuzz(operation, {}, app=wsgi_app, headers={"Authorization": f"Bearer {raw}"}, sent=sent, name=name)
    assert sent[name] >= 1
