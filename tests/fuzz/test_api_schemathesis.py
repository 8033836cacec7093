"""The API fuzz (tests/fuzz/harness.py) can fail: in each phase, on each of its own checks; it
fuzzes every operation of the schema."""

from __future__ import annotations

import pytest
import schemathesis
from rest_framework.permissions import AllowAny

from clinic.api import PatientViewSet
from clinic.models import Patient
from intake.api import InvitationViewSet
from intake.models import IntakeInvitation
from plans.api import InterventionViewSet
from plans.models import Intervention
from tests.fuzz import harness, report


@pytest.fixture(autouse=True)
def _uncounted(monkeypatch):
    """These runs fail on purpose: what they send stays out of the run's summary."""
    monkeypatch.setattr(report, "COVERAGE", {})


@pytest.fixture
def clinician_run(world, wsgi_app):
    return harness.Run(role="clinician", world=world, app=wsgi_app, rerun="(this test)")


@pytest.mark.parametrize("phase", ["coverage", "fuzzing"])
def test_a_response_the_schema_does_not_document_fails_the_run(clinician_run, phase):
    """With the 400 of patient creation left out of the schema, the schema-violating bodies the
    phase sends get an undocumented status code."""
    document = harness.api_document()
    del document["paths"]["/api/patients/"]["post"]["responses"]["400"]
    operation = clinician_run.schema(document)["/api/patients/"]["POST"]

    getattr(clinician_run, phase)(operation)

    [failure] = clinician_run.failures
    assert failure.startswith(f"[clinician, {phase}] POST /api/patients/")
    assert "Undocumented status code" in failure
    assert "curl -X POST" in failure


def test_the_coverage_phase_reaches_the_body_of_a_write_that_takes_if_match(clinician_run):
    """The generated If-Match (an empty ETag) would answer every case 412 before the body is read:
    with the 400 of a patient's change left out of the schema, the boundary values must still get
    it, as an undocumented status code."""
    document = harness.api_document()
    del document["paths"]["/api/patients/{id}/"]["patch"]["responses"]["400"]
    operation = clinician_run.schema(document)["/api/patients/{id}/"]["PATCH"]

    clinician_run.coverage(operation)

    [failure] = clinician_run.failures
    assert failure.startswith("[clinician, coverage] PATCH /api/patients/{id}/")
    assert "Undocumented status code" in failure


def test_the_stateful_phase_follows_links_and_fails_on_a_created_record_it_cannot_find(clinician_run, monkeypatch):
    """Invitations created during the run are hidden from their own routes: only a scenario that
    takes the id a create returned to the next call (the schema's links) can tell."""
    seeded = max(IntakeInvitation.objects.values_list("pk", flat=True))
    original = InvitationViewSet.get_queryset
    monkeypatch.setattr(InvitationViewSet, "get_queryset", lambda view: original(view).filter(pk__lte=seeded))
    schema = clinician_run.schema().include(path_regex="^/api/intake-invitations/")

    clinician_run.stateful(schema)

    [failure] = clinician_run.failures
    assert failure.startswith("[clinician, stateful]")
    assert "for a resource that was just created" in failure
    assert "POST /api/intake-invitations/" in failure
    assert "The scenario's calls, oldest first:" in failure


def test_another_clinics_data_in_a_response_fails_the_run(clinician_run, monkeypatch):
    monkeypatch.setattr(PatientViewSet, "get_queryset", lambda view: Patient.objects.order_by("-pk"))

    clinician_run.fuzzing(clinician_run.schema()["/api/patients/"]["GET"])

    [failure] = clinician_run.failures
    assert "Another clinic's data in the response" in failure
    assert harness.MARKER in failure


def test_an_operation_that_ignores_its_credentials_fails_the_run(clinician_run, world, monkeypatch):
    monkeypatch.setattr(InterventionViewSet, "permission_classes", [AllowAny])
    monkeypatch.setattr(
        InterventionViewSet, "get_queryset", lambda view: Intervention.objects.filter(clinic=world.clinic)
    )

    clinician_run.fuzzing(clinician_run.schema()["/api/interventions/"]["GET"])

    [failure] = clinician_run.failures
    assert "API accepts requests without authentication" in failure


@pytest.mark.django_db
def test_every_operation_is_fuzzed_by_exactly_one_module():
    schema = schemathesis.openapi.from_dict(harness.api_document())
    every = [result.ok().label for result in schema.get_all_operations()]
    grouped = [operation.label for group in harness.GROUPS for operation in harness.operations_of(schema, group)]

    assert sorted(grouped) == sorted(every)
    assert len(every) >= 60
