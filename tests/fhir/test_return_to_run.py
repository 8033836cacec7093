"""The walk-run program of a signed plan in the FHIR export: a fourth activity of the CarePlan,
phase by phase with the program's rules, valid FHIR R4B."""

from __future__ import annotations

from fhir.resources.R4B import get_fhir_model_class

from clinic.fhir import mapping
from tests.running.phases_fixtures import draft, program, sign_with_program  # noqa: F401 - the draft fixture


def _valid(resource: dict) -> dict:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def test_a_signed_walk_run_program_is_an_activity_of_the_care_plan(draft, clinician):  # noqa: F811 - the imported fixture
    sign_with_program(clinician, draft, program())
    resource = _valid(mapping.care_plan(draft))
    (activity,) = [
        a for a in resource["activity"] if a["detail"]["code"]["coding"][0]["system"].endswith("return-to-run")
    ]
    detail = activity["detail"]
    assert detail["code"]["coding"][0]["code"] == "standard-walk-run"
    assert detail["status"] == "in-progress"
    description = detail["description"]
    assert description.startswith("Phase 1: walk 2 min, run 3 min, 1.0 miles")
    assert "Phase 6:" in description
    assert "Phase 7:" not in description


def test_a_plan_without_a_program_has_only_its_three_prongs(draft, clinician):  # noqa: F811 - the imported fixture
    sign_with_program(clinician, draft, None)
    resource = _valid(mapping.care_plan(draft))
    assert len(resource["activity"]) == 3
