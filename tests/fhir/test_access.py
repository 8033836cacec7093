"""Who may read the FHIR export: clinicians of the patient's clinic, by session or by an API
token with the clinical scope (which only its owner gives), never more than the token's owner may
see; every read audited."""

from __future__ import annotations

import re

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from clinic import api_tokens
from clinic.models import AuditEvent
from clinic.permissions import Role
from intake.models import RedFlag
from plans.models import Handout
from tests.factories import EpisodeFactory, UserFactory
from tests.fhir.helpers import full_episode, submitted_intake


def _bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def record(patient, clinician):
    return full_episode(patient, clinician)


@pytest.fixture
def foreign_record(foreign_patient, other_clinic):
    clinician = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    episode = EpisodeFactory(patient=foreign_patient, lead_clinician=clinician)
    submitted_intake(episode)
    return episode


def _paths(patient, episode) -> list[str]:
    score = episode.intake.scores.first()
    handouts = Handout.objects.filter(version__plan__episode=episode).values_list("pk", flat=True)
    return [
        f"/fhir/Patient/{patient.pk}/$everything",
        f"/fhir/Patient/{patient.pk}",
        f"/fhir/EpisodeOfCare/{episode.pk}",
        f"/fhir/QuestionnaireResponse/{score.pk}",
        f"/fhir/Observation/score-{score.pk}",
        *(f"/fhir/Binary/{pk}" for pk in handouts),
        *(f"/fhir/Flag/{pk}" for pk in RedFlag.objects.filter(episode=episode).values_list("pk", flat=True)),
    ]


@pytest.mark.parametrize(("role", "expected"), [("clinician", 200), ("front_desk", 403), ("clinic_admin", 403)])
def test_only_clinicians_read_by_session(client, request, patient, record, role, expected):
    client.force_login(request.getfixturevalue(role))

    for path in _paths(patient, record):
        response = client.get(path)
        assert response.status_code == expected, path
        if expected == 403:
            assert response.json()["resourceType"] == "OperationOutcome"
            assert response.json()["issue"][0]["code"] == "forbidden"


@pytest.mark.parametrize(("role", "expected"), [("clinician", 404), ("front_desk", 403), ("clinic_admin", 403)])
def test_another_clinics_record_is_not_found(client, request, foreign_patient, foreign_record, role, expected):
    """As in the API: a role that may read gets 404, one that may not gets the same 403 as at home."""
    client.force_login(request.getfixturevalue(role))

    for path in _paths(foreign_patient, foreign_record):
        assert client.get(path).status_code == expected, path


def test_anonymous_callers_are_asked_to_authenticate(client, patient, record):
    for path in _paths(patient, record):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert response.json()["issue"][0]["code"] == "login"


def test_a_token_with_the_clinical_scope_of_a_clinician_reads_a_bundle_that_validates(
    client, clinician, patient, record
):
    _, raw = api_tokens.api_token_create(actor=clinician, owner=clinician, name="EHR", clinical_scope=True)

    response = client.get(f"/fhir/Patient/{patient.pk}/$everything", headers=_bearer(raw))

    assert response.status_code == 200
    Bundle.model_validate(response.json())
    for entry in response.json()["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])


def test_a_token_without_the_clinical_scope_is_refused(client, clinic_admin, clinician, patient, record):
    _, raw = api_tokens.api_token_create(actor=clinic_admin, owner=clinician, name="Billing")

    for path in _paths(patient, record):
        response = client.get(path, headers=_bearer(raw))
        assert response.status_code == 403, path
    # The same scope guards the clinical records of the rest of the API.
    assert client.get("/api/assessments/", headers=_bearer(raw)).status_code == 403
    assert client.get("/api/patients/", headers=_bearer(raw)).status_code == 200


def test_a_clinical_token_never_exceeds_its_owners_roles(client, clinic, clinic_admin, patient, record):
    """A clinician's clinical-scope token whose owner later moves to the front desk reads nothing
    clinical: the roles are checked on every request."""
    owner = UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
    _, raw = api_tokens.api_token_create(actor=owner, owner=owner, name="EHR", clinical_scope=True)
    owner.groups.set([owner.groups.model.objects.get(name=Role.FRONT_DESK.value)])

    for path in _paths(patient, record):
        assert client.get(path, headers=_bearer(raw)).status_code == 403, path


def test_a_revoked_token_gets_401(client, clinic_admin, clinician, patient, record):
    token, raw = api_tokens.api_token_create(actor=clinician, owner=clinician, name="EHR", clinical_scope=True)
    api_tokens.api_token_revoke(actor=clinic_admin, token=token)

    response = client.get(f"/fhir/Patient/{patient.pk}/$everything", headers=_bearer(raw))

    assert response.status_code == 401
    assert "revoked" in response.json()["issue"][0]["diagnostics"]


def test_every_read_is_audited_against_the_patient(client, clinician, patient, record):
    client.force_login(clinician)
    score = record.intake.scores.first()

    client.get(f"/fhir/Patient/{patient.pk}/$everything")
    client.get(f"/fhir/Observation/score-{score.pk}")
    client.get(f"/fhir/Patient/{patient.pk}")

    rows = list(AuditEvent.objects.filter(action__startswith="fhir.").order_by("id"))
    assert [(row.action, row.object_type, row.object_id) for row in rows] == [
        ("fhir.everything_read", "clinic.patient", patient.pk),
        ("fhir.resource_read", "intake.questionnairescore", score.pk),
        ("fhir.resource_read", "clinic.patient", patient.pk),
    ]
    assert {(row.patient_id, row.actor_id, row.clinic_id) for row in rows} == {
        (patient.pk, clinician.pk, patient.clinic_id)
    }


def test_refused_reads_are_not_audited_as_reads(client, front_desk, patient, record):
    client.force_login(front_desk)

    client.get(f"/fhir/Patient/{patient.pk}/$everything")

    assert not AuditEvent.objects.filter(action__startswith="fhir.").exists()


def test_an_admin_cannot_make_a_clinicians_token_read_the_export(client, clinic_admin, clinician, patient, record):
    """Not through the API, nor on the staff page (which offers no such tick): whoever makes a
    token holds it, so a clinic admin would read the export as the clinician."""
    client.force_login(clinic_admin)
    refused = client.post(
        "/api/tokens/",
        {"owner": clinician.pk, "name": "Hospital EHR", "clinical_scope": True},
        content_type="application/json",
    )
    page = client.post(
        "/staff/api-tokens/new/", {"owner": clinician.pk, "name": "Hospital EHR", "clinical_scope": "on"}
    )
    raw = re.search(r'value="(stride_[^"]+)"', page.content.decode()).group(1)
    client.logout()

    assert refused.status_code == 400
    assert "Only Dana Lead can give their own token access" in refused.json()["clinical_scope"][0]
    assert client.get(f"/fhir/Patient/{patient.pk}/$everything", headers=_bearer(raw)).status_code == 403


def test_the_done_when_flow_the_clinician_makes_their_token_on_their_own_page(client, clinician, patient, record):
    client.force_login(clinician)
    page = client.post("/accounts/api-tokens/new/", {"name": "Hospital EHR", "clinical_scope": "on"})
    raw = re.search(r'value="(stride_[^"]+)"', page.content.decode()).group(1)
    client.logout()

    response = client.get(f"/fhir/Patient/{patient.pk}/$everything", headers=_bearer(raw))

    assert response.status_code == 200
    Bundle.model_validate(response.json())


def test_the_handout_pdf_of_another_clinic_is_not_found(client, clinician, foreign_patient, other_clinic):
    theirs = full_episode(foreign_patient, UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN]))
    handout = Handout.objects.get(version__plan__episode=theirs)
    client.force_login(clinician)

    response = client.get(f"/fhir/Binary/{handout.pk}")

    assert response.status_code == 404
    assert b"%PDF" not in response.content


def test_a_clinical_token_downloads_the_handout_pdf_and_the_download_is_audited(client, clinician, patient, record):
    _, raw = api_tokens.api_token_create(actor=clinician, owner=clinician, name="EHR", clinical_scope=True)
    handout = Handout.objects.get(version__plan__episode=record)

    response = client.get(f"/fhir/Binary/{handout.pk}", headers=_bearer(raw))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    row = AuditEvent.objects.get(action="handout.downloaded")
    assert (row.object_id, row.patient_id, row.actor_id) == (handout.pk, patient.pk, clinician.pk)
