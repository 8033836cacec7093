"""The $everything bundle and per-resource reads: every resource validates against the FHIR R4B
models, every reference resolves inside the bundle, and the codes are those of DOMAIN.md §9."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from assessments.scoring import FMS_TESTS, MOTIONS
from clinic.fhir import mapping
from intake.models import RedFlag, RedFlagTier
from plans.models import Handout, HandoutStatus, Prong
from tests.fhir.helpers import full_episode

FHIR_JSON = "application/fhir+json"


@pytest.fixture
def record(patient, clinician):
    return full_episode(patient, clinician)


def everything(client, patient) -> dict:
    response = client.get(f"/fhir/Patient/{patient.pk}/$everything")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith(FHIR_JSON)
    return response.json()


def resources(bundle: dict, resource_type: str | None = None) -> list[dict]:
    found = [entry["resource"] for entry in bundle["entry"]]
    return [resource for resource in found if resource_type in (None, resource["resourceType"])]


def references(value) -> list[str]:
    """Every ``reference`` anywhere inside a resource."""
    if isinstance(value, dict):
        own = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return own + [ref for child in value.values() for ref in references(child)]
    if isinstance(value, list):
        return [ref for child in value for ref in references(child)]
    return []


def coded(concept: dict, system: str) -> set[str]:
    return {coding["code"] for coding in concept.get("coding", []) if coding["system"] == system}


def component_codes(observation: dict) -> set[str]:
    return {
        code
        for component in observation.get("component", [])
        for code in coded(component["code"], mapping.CS_OBSERVATION)
    }


@pytest.fixture
def bundle(client, clinician, patient, record):
    client.force_login(clinician)
    return everything(client, patient)


def test_the_bundle_and_every_resource_validate_against_r4b(bundle):
    Bundle.model_validate(bundle)
    assert bundle["type"] == "searchset"
    for resource in resources(bundle):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    assert {resource["resourceType"] for resource in resources(bundle)} == {
        "Patient",
        "EpisodeOfCare",
        "QuestionnaireResponse",
        "Observation",
        "Condition",
        "CarePlan",
        "Appointment",
        "DocumentReference",
        "Flag",
    }


def test_every_reference_resolves_inside_the_bundle_and_full_urls_name_the_resource(bundle, settings):
    present = {f"{resource['resourceType']}/{resource['id']}" for resource in resources(bundle)}
    found = [ref for resource in resources(bundle) for ref in references(resource)]

    assert found
    assert sorted(set(found) - present) == []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{settings.SITE_URL}/fhir/{resource['resourceType']}/{resource['id']}"
    assert len(present) == len(bundle["entry"]) == bundle["total"]


def test_questionnaire_scores_carry_loinc_for_nprs_and_odi_and_derive_from_the_answers(bundle):
    responses = {
        resource["questionnaire"].rsplit("/", 1)[-1]: resource
        for resource in resources(bundle, "QuestionnaireResponse")
    }
    scores = [obs for obs in resources(bundle, "Observation") if obs["id"].startswith("score-")]
    by_code = {coding["code"]: obs for obs in scores for coding in obs["code"]["coding"]}

    assert set(responses) == {"nprs", "odi", "lefs"}
    assert by_code["72514-3"]["code"]["coding"][0]["system"] == mapping.LOINC
    assert by_code["97908-8"]["valueQuantity"]["code"] == "%"
    assert by_code["lefs"]["code"]["coding"][0]["system"] == mapping.CS_OBSERVATION
    assert by_code["lefs"]["valueQuantity"]["code"] == "{score}"
    for code, instrument in (("72514-3", "nprs"), ("97908-8", "odi"), ("lefs", "lefs")):
        assert by_code[code]["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{responses[instrument]['id']}"}]
    nprs_now = next(item for item in responses["nprs"]["item"] if item["linkId"] == "now")
    assert by_code["72514-3"]["valueQuantity"]["value"] == nprs_now["answer"][0]["valueInteger"]


def test_hip_rom_has_one_observation_per_motion_with_left_and_right_in_degrees(bundle):
    rom = [obs for obs in resources(bundle, "Observation") if obs["id"].startswith("rom-")]
    motions = {code for obs in rom for code in coded(obs["code"], mapping.CS_OBSERVATION)}

    assert motions == {f"hip-{motion.replace('_', '-')}" for motion in MOTIONS}
    flexion = next(obs for obs in rom if "hip-flexion" in coded(obs["code"], mapping.CS_OBSERVATION))
    # The exam helper: flexion 110 left (painful), 118 right; passive, goniometer.
    values = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in flexion["component"]}
    assert values["hip-flexion-left"] == {"value": 110, "unit": "deg", "system": mapping.UCUM, "code": "deg"}
    assert values["hip-flexion-right"]["value"] == 118
    assert "299238003" in coded(flexion["code"], mapping.SNOMED)
    # Mode, device and the position the reading was taken in.
    assert flexion["method"]["coding"][0]["code"] == "passive-goniometer-supine"
    assert flexion["method"]["coding"][0]["display"] == "Passive, goniometer, supine"
    assert flexion["note"] == [{"text": "Painful on the left side"}]
    assert {obs["category"][0]["coding"][0]["code"] for obs in rom} == {"exam"}


def test_fms_has_each_test_and_the_composite_whose_members_are_the_tests(bundle):
    fms = {
        code: obs
        for obs in resources(bundle, "Observation")
        if obs["id"].startswith("fms")
        for code in coded(obs["code"], mapping.CS_OBSERVATION)
    }

    assert set(fms) == {f"fms-{test.code.replace('_', '-')}" for test in FMS_TESTS} | {"fms-composite"}
    # Hurdle step 2 left / 1 right: the lower side counts. Composite 14 (tests/assessments/helpers.py).
    hurdle = fms["fms-hurdle-step"]
    assert hurdle["valueQuantity"]["value"] == 1
    assert component_codes(hurdle) == {"fms-hurdle-step-left", "fms-hurdle-step-right"}
    assert fms["fms-composite"]["valueQuantity"]["value"] == 14
    members = {ref["reference"] for ref in fms["fms-composite"]["hasMember"]}
    assert members == {f"Observation/{obs['id']}" for code, obs in fms.items() if code != "fms-composite"}


def test_leg_length_is_one_observation_with_true_and_apparent_lengths_in_mm(bundle):
    (leg,) = [obs for obs in resources(bundle, "Observation") if obs["id"].startswith("leg-length-")]
    values = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in leg["component"]}

    assert values == {
        "leg-length-true-left": 900,
        "leg-length-true-right": 888,
        "leg-length-true-difference": 12,
        "leg-length-apparent-left": 950,
        "leg-length-apparent-right": 939,
        "leg-length-apparent-difference": 11,
    }
    assert {c["valueQuantity"]["code"] for c in leg["component"]} == {"mm"}


def test_findings_are_conditions_with_the_clinics_codes_and_laterality(bundle, record):
    conditions = resources(bundle, "Condition")
    findings = {(f.code, f.side) for a in record.assessments.all() for f in a.findings.all()}

    exported = set()
    for resource in conditions:
        sides = [coding["code"] for site in resource.get("bodySite", []) for coding in site["coding"]]
        exported.add((resource["code"]["coding"][0]["code"], sides[0].removeprefix("side-") if sides else ""))
    assert exported == findings
    tight = next(c for c in conditions if coded(c["code"], mapping.CS_FINDING) == {"hip_flexor_tightness"})
    assert tight["bodySite"][0]["coding"][0]["code"] == "side-left"
    assert tight["clinicalStatus"]["coding"][0]["code"] == "active"


def test_the_care_plan_has_the_three_prongs_each_with_its_signed_items(bundle, record):
    (care_plan,) = resources(bundle, "CarePlan")
    plan = record.plans.get()
    body = plan.versions.get().body

    assert care_plan["status"] == "active"
    assert care_plan["description"] == "1 visit a week for 6 weeks"
    assert [coded(activity["detail"]["code"], mapping.CS_PRONG) for activity in care_plan["activity"]] == [
        {"manipulation"},
        {"soft_tissue"},
        {"exercise"},
    ]
    assert [activity["detail"]["code"]["text"] for activity in care_plan["activity"]] == [
        "Joint manipulation / mobilisation",
        "Soft-tissue release",
        "Corrective exercise",
    ]
    for activity, prong in zip(care_plan["activity"], Prong, strict=True):
        names = [item["name"] for item in body["items"] if item["prong"] == prong.value]
        assert names, prong
        for name in names:
            assert name in activity["detail"]["description"]
    assert care_plan["addresses"]
    assert care_plan["supportingInfo"] == [{"reference": f"EpisodeOfCare/{record.pk}"}]


def test_appointments_and_the_handout_document(bundle, record, settings):
    appointments = resources(bundle, "Appointment")
    (document,) = resources(bundle, "DocumentReference")
    plan = record.plans.get()

    assert sorted(a["id"] for a in appointments) == sorted(
        str(pk) for pk in record.appointments.values_list("pk", flat=True)
    )
    assert {a["status"] for a in appointments} == {"booked"}
    attachment = document["content"][0]["attachment"]
    assert attachment["contentType"] == "application/pdf"
    # The FHIR Binary, read with the export's own credentials, never a patient or public link.
    handout = plan.versions.get().handout
    assert attachment["url"] == f"{settings.SITE_URL}/fhir/Binary/{handout.pk}"
    assert document["context"]["related"] == [{"reference": f"CarePlan/{plan.pk}"}]


def test_the_handout_url_is_refused_without_credentials(client, bundle):
    (document,) = resources(bundle, "DocumentReference")
    client.logout()
    path = document["content"][0]["attachment"]["url"].split("8000", 1)[-1]

    response = client.get(path)

    assert response.status_code == 401
    assert response.json()["resourceType"] == "OperationOutcome"
    assert b"%PDF" not in response.content


def test_the_handout_url_gives_the_pdf_or_a_binary_resource(client, bundle):
    (document,) = resources(bundle, "DocumentReference")
    path = document["content"][0]["attachment"]["url"].split("8000", 1)[-1]

    raw = client.get(path)
    asked_for_pdf = client.get(path, HTTP_ACCEPT="application/pdf")
    as_fhir = client.get(path, HTTP_ACCEPT="application/fhir+json")

    assert raw.status_code == asked_for_pdf.status_code == as_fhir.status_code == 200
    assert raw["Content-Type"] == asked_for_pdf["Content-Type"] == "application/pdf"
    assert raw.content == asked_for_pdf.content == b"%PDF-1.7 home program"
    assert raw["Content-Disposition"] == 'attachment; filename="home-program-v1.pdf"'
    binary = as_fhir.json()
    get_fhir_model_class("Binary").model_validate(binary)
    assert binary["contentType"] == "application/pdf"
    assert base64.b64decode(binary["data"]) == b"%PDF-1.7 home program"
    assert binary["securityContext"] == {"reference": f"DocumentReference/{document['id']}"}


def test_a_handout_still_being_made_is_not_found(client, bundle, record):
    (document,) = resources(bundle, "DocumentReference")
    Handout.objects.filter(pk=document["id"]).update(status=HandoutStatus.QUEUED, delivery="waiting")

    response = client.get(f"/fhir/Binary/{document['id']}")

    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"


def test_the_bundle_links_to_itself_at_the_site_url(bundle, patient, settings):
    assert bundle["link"] == [{"relation": "self", "url": f"{settings.SITE_URL}/fhir/Patient/{patient.pk}/$everything"}]


@pytest.mark.parametrize(("accept", "content_type"), [(FHIR_JSON, FHIR_JSON), ("application/json", "application/json")])
def test_clients_asking_for_plain_json_get_it(client, clinician, patient, record, accept, content_type):
    client.force_login(clinician)

    response = client.get(f"/fhir/Patient/{patient.pk}", headers={"Accept": accept})

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == content_type
    assert response.json()["resourceType"] == "Patient"


def test_writes_are_refused_as_operation_outcomes(client, clinician, patient):
    client.force_login(clinician)

    response = client.post(f"/fhir/Patient/{patient.pk}", {}, content_type="application/fhir+json")

    assert response.status_code == 405
    assert response.json()["resourceType"] == "OperationOutcome"


def test_each_resource_reads_alone_exactly_as_in_the_bundle(client, bundle):
    for resource in resources(bundle):
        response = client.get(f"/fhir/{resource['resourceType']}/{resource['id']}")
        assert response.status_code == 200, (resource["resourceType"], resource["id"])
        assert response["Content-Type"].startswith(FHIR_JSON)
        assert response.json() == resource


@pytest.mark.parametrize(
    "path",
    [
        "/fhir/Observation/rom-999999",
        "/fhir/Observation/unknown-1",
        "/fhir/Observation/rom",
        "/fhir/Condition/abc",
        "/fhir/Patient/999999/$everything",
        "/fhir/Patient/99999999999999999999999/$everything",
        "/fhir/Patient/99999999999999999999999",
        "/fhir/Observation/rom-99999999999999999999999",
        "/fhir/Medication/1",
        "/fhir/Patient/1/extra",
    ],
)
def test_unknown_ids_and_types_are_not_found_as_operation_outcomes(client, clinician, path):
    client.force_login(clinician)

    response = client.get(path)

    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["code"] == "not-found"


def test_a_draft_assessment_is_not_exported(client, clinician, patient, record):
    from tests.assessments.helpers import login
    from tests.assessments.helpers import record as record_exam

    draft = record_exam(login(client, clinician), record, kind="reassessment", complete=False)
    rom_id = draft.rom.first().pk

    assert client.get(f"/fhir/Observation/rom-{rom_id}").status_code == 404
    assert f"rom-{rom_id}" not in {resource["id"] for resource in resources(everything(client, patient))}


def test_the_number_of_queries_does_not_grow_with_the_record(client, clinician, patient, record):
    client.force_login(clinician)
    everything(client, patient)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one_episode:
        first = everything(client, patient)
    full_episode(patient, clinician, seed=21)
    with CaptureQueriesContext(connection) as two_episodes:
        second = everything(client, patient)

    assert len(second["entry"]) > len(first["entry"])
    assert len(two_episodes) == len(one_episode)
    # Session, user, permissions, the patient, one query per kind of row, the audit row.
    assert len(one_episode) <= 25


def test_metadata_is_a_public_capability_statement(client, db):
    response = client.get("/fhir/metadata")

    assert response.status_code == 200
    statement = response.json()
    get_fhir_model_class("CapabilityStatement").model_validate(statement)
    types = {resource["type"] for resource in statement["rest"][0]["resource"]}
    assert types == {
        "Patient",
        "EpisodeOfCare",
        "QuestionnaireResponse",
        "Observation",
        "Condition",
        "CarePlan",
        "Appointment",
        "DocumentReference",
        "Flag",
        "Encounter",
        "Procedure",
        "Binary",
    }


def test_red_flags_are_flags_active_until_cleared(client, clinician, record, patient):
    client.force_login(clinician)
    RedFlag.objects.filter(episode=record).exclude(code="night_pain").delete()  # the age caution, if any
    open_flag = RedFlag.objects.create(
        episode=record, intake=record.intake, code="weight_loss", tier=RedFlagTier.URGENT, label="Weight loss"
    )

    bundle = everything(client, patient)

    flags = {flag["code"]["coding"][0]["code"]: flag for flag in resources(bundle, "Flag")}
    assert set(flags) == {"night_pain", "weight_loss"}
    cleared, active = flags["night_pain"], flags["weight_loss"]
    for flag in (cleared, active):
        get_fhir_model_class("Flag").model_validate(flag)
        assert flag["subject"] == {"reference": f"Patient/{patient.pk}"}
        assert flag["category"][0]["coding"][0]["code"] == "clinical"
        assert flag["category"][1]["coding"][0] == {
            "system": mapping.CS_RED_FLAG_TIER,
            "code": "urgent",
            "display": "Urgent",
        }
    assert active["status"] == "active"
    assert "end" not in active["period"]
    assert active["id"] == str(open_flag.pk)
    assert cleared["status"] == "inactive"
    assert cleared["period"]["end"] >= cleared["period"]["start"]
    assert client.get(f"/fhir/Flag/{open_flag.pk}").json() == active
