"""A contraindication override belongs to the signed record: the version keeps what was overridden,
the clinician's reason and who gave it, shows them on its page and exports them in the FHIR
CarePlan; the patient's handout does not show them."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from fhir.resources.R4B import get_fhir_model_class

from clinic.fhir import mapping, selectors
from plans import handouts, library, services
from plans.models import Contraindication, Intervention, PlanItem
from tests.assessments.helpers import login
from tests.factories import PlanFactory
from tests.plans.helpers import foreign_plan, item_of, section, sign, text_of, version

REASON = "Leg symptoms settled; gentle, short holds only"
HAMSTRING_CONTRAINDICATION = library.CONTRAINDICATIONS_BY_KEY["radicular-hamstring-stretch"].reason


@pytest.fixture
def as_clinician(client, clinician):
    return login(client, clinician)


@pytest.fixture
def plan(episode):
    return PlanFactory(assessment__episode=episode)


def _override(client, plan) -> PlanItem:
    """Add the lying hamstring stretch, which the default exam's positive SLR excludes (soft), with a reason."""
    hamstring = Intervention.objects.get(clinic=plan.episode.patient.clinic, key="hamstring-stretch")
    response = client.post(f"/plans/{plan.pk}/items/add/", {"intervention": hamstring.pk, "override_reason": REASON})
    assert response.status_code == 302
    return item_of(plan, "hamstring-stretch")


def _signed(client, plan) -> None:
    assert sign(client, plan).status_code == 302


def test_an_override_records_what_it_overrode_and_who(as_clinician, clinician, plan):
    item = _override(as_clinician, plan)

    assert (item.override_contraindication, item.override_reason) == ("radicular-hamstring-stretch", REASON)
    assert item.override_contraindication_reason == HAMSTRING_CONTRAINDICATION
    assert item.override_by == clinician
    block = as_clinician.get(f"/plans/{plan.pk}/").content.decode()
    assert f"It overrides: {HAMSTRING_CONTRAINDICATION} Overridden by {clinician.full_name}" in text_of(block)


def test_the_signed_version_keeps_the_override_and_its_page_shows_it(as_clinician, clinician, clinic, plan):
    _override(as_clinician, plan)
    _signed(as_clinician, plan)
    # Later edits to the clinic's contraindication do not change what was signed.
    Contraindication.objects.filter(clinic=clinic, key="radicular-hamstring-stretch").update(reason="Rewritten.")

    (signed,) = [item for item in version(plan, 1).body["items"] if item["intervention"] == "hamstring-stretch"]
    assert signed["override_reason"] == REASON
    assert signed["override_contraindication_reason"] == HAMSTRING_CONTRAINDICATION
    assert signed["override_by"] == clinician.full_name

    html = as_clinician.get(f"/plans/{plan.pk}/versions/1/").content.decode()
    shown = text_of(section(html, "overrides-h"))
    assert "Lying hamstring stretch" in shown
    assert HAMSTRING_CONTRAINDICATION in shown
    assert f"Reason: {REASON}" in shown
    assert f"Overridden by {clinician.full_name}" in shown
    assert "Rewritten." not in shown
    # The clinician's view of the handout says the item was kept against a contraindication.
    assert f"not on the handout: kept against a contraindication ({REASON})" in text_of(section(html, "home-h"))


def test_the_patients_handout_does_not_show_the_override(as_clinician, plan):
    _override(as_clinician, plan)
    _signed(as_clinician, plan)

    page = handouts.html(version(plan, 1))

    assert "Lying hamstring stretch" in page, "the stretch is on the home program"
    assert REASON not in page
    assert "contraindication" not in page.lower()


def _care_plan(patient) -> dict:
    resource = mapping.care_plan(selectors.patient_rows(patient).plans[0])
    get_fhir_model_class("CarePlan").model_validate(resource)
    return resource


def test_the_fhir_care_plan_carries_the_signed_override(as_clinician, clinician, plan):
    _override(as_clinician, plan)
    _signed(as_clinician, plan)
    # An unsigned edit afterwards is not what the patient was given.
    PlanItem.objects.filter(plan=plan, intervention__key="hamstring-stretch").update(override_reason="Draft edit")

    (note,) = _care_plan(plan.episode.patient)["note"]

    assert note["authorString"] == clinician.full_name
    assert note["text"] == (
        f"Lying hamstring stretch is kept against a contraindication ({HAMSTRING_CONTRAINDICATION}). Reason: {REASON}"
    )


def test_a_draft_care_plan_carries_the_drafts_override(as_clinician, clinician, plan):
    _override(as_clinician, plan)

    resource = _care_plan(plan.episode.patient)

    assert resource["status"] == "draft"
    assert [(REASON in note["text"], note["authorString"]) for note in resource["note"]] == [
        (True, clinician.full_name)
    ]


def test_a_care_plan_without_overrides_has_no_note(plan):
    assert "note" not in _care_plan(plan.episode.patient)


def test_another_clinics_signed_version_is_not_found(as_clinician, foreign_episode):
    other = foreign_plan(foreign_episode)
    services.plan_sign(actor=other.created_by, plan=other)

    assert as_clinician.get(f"/plans/{other.pk}/versions/1/").status_code == 404
    assert as_clinician.get(f"/plans/{other.pk}/").status_code == 404


def test_the_migration_fills_in_earlier_overrides_from_the_audit_trail(as_clinician, clinician, plan):
    item = _override(as_clinician, plan)
    PlanItem.objects.filter(pk=item.pk).update(override_by=None, override_contraindication_reason="")
    migration = importlib.import_module("plans.migrations.0008_plan_notes_and_overrides")

    migration.fill_overrides(django_apps, None)

    item.refresh_from_db()
    assert (item.override_by, item.override_contraindication_reason) == (clinician, HAMSTRING_CONTRAINDICATION)
