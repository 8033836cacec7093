"""The generator's notes for the clinician: stored with the draft from the clinic's library, shown on
the draft page, frozen into the signed version, and never on the patient's handout."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from plans import handouts, library, services
from plans.models import PlanRule, PlanVersion
from tests.assessments.helpers import login
from tests.factories import PlanFactory, SignedPlanFactory
from tests.html_forms import form_data
from tests.plans.helpers import api_client, drafted, section, text_of, version

# The default exam (tests.factories.EXAM_VALUES) has overstriding and a structural leg-length discrepancy.
GAIT = library.PLAN_RULES_BY_KEY["running-form"].notes[0]
HEEL_LIFT = library.PLAN_RULES_BY_KEY["structural-leg-length"].notes[0]


@pytest.fixture
def as_clinician(client, clinician):
    return login(client, clinician)


def _notes_shown(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return text_of(section(response.content.decode(), "clinician-notes-h"))


def test_the_draft_stores_the_generators_notes_and_its_page_shows_them(as_clinician, episode):
    plan = PlanFactory(assessment__episode=episode)

    assert GAIT in plan.clinician_notes
    assert HEEL_LIFT in plan.clinician_notes
    shown = _notes_shown(as_clinician, f"/plans/{plan.pk}/")
    assert "Notes for the clinician" in shown
    assert GAIT in shown
    assert HEEL_LIFT in shown


def test_the_api_returns_the_drafts_notes_read_only(clinician, episode):
    api = api_client(clinician)
    plan = PlanFactory(assessment__episode=episode)

    response = api.patch(f"/api/plans/{plan.pk}/", {"clinician_notes": ["Overwritten"]}, format="json")

    assert response.status_code == 200, response.data
    assert GAIT in response.data["clinician_notes"]
    assert "Overwritten" not in response.data["clinician_notes"]


def test_the_notes_come_from_the_clinics_own_library(as_clinician, clinic, episode):
    services.library_seed(clinic=clinic)
    PlanRule.objects.filter(clinic=clinic, key="running-form").update(notes=["Film the patient on the treadmill."])

    plan = PlanFactory(assessment__episode=episode)

    assert "Film the patient on the treadmill." in plan.clinician_notes
    assert GAIT not in plan.clinician_notes


def test_a_clinic_admin_edits_a_rules_notes_on_the_library_page(client, clinic, clinic_admin):
    services.library_seed(clinic=clinic)
    rule = PlanRule.objects.get(clinic=clinic, key="over-pronation")
    login(client, clinic_admin)
    url = f"/library/rules/{rule.pk}/"

    response = client.post(url, form_data(client, url, notes="Check the shoes' wear pattern.\nAsk about orthotics."))

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.notes == ["Check the shoes' wear pattern.", "Ask about orthotics."]


def test_the_signed_version_keeps_the_notes_as_they_were_when_signed(as_clinician, clinic, episode):
    plan = SignedPlanFactory(assessment__episode=episode)
    assert GAIT in version(plan, 1).body["clinician_notes"]

    # The generator's output changes later: the clinic rewrites the note and a new draft carries it.
    PlanRule.objects.filter(clinic=clinic, key="running-form").update(notes=["A rewritten note."])
    later = drafted(as_clinician, plan.assessment)
    assert "A rewritten note." in later.clinician_notes

    shown = _notes_shown(as_clinician, f"/plans/{plan.pk}/versions/1/")
    assert GAIT in shown
    assert HEEL_LIFT in shown
    assert "A rewritten note." not in shown


def test_the_notes_are_not_on_the_patients_handout(episode):
    plan = SignedPlanFactory(assessment__episode=episode)

    page = handouts.html(version(plan, 1))

    assert "consider a gait analysis" not in page
    assert "never on a hunch" not in page


def test_a_version_signed_before_notes_and_override_details_were_kept_still_renders(as_clinician, clinician, episode):
    plan = SignedPlanFactory(assessment__episode=episode)
    body = version(plan, 1).body
    old = {key: value for key, value in body.items() if key != "clinician_notes"}
    old["items"] = [
        {key: value for key, value in item.items() if key not in ("override_contraindication_reason", "override_by")}
        for item in body["items"]
    ]
    old["items"][0] |= {"override_contraindication": "radicular-thrust-relative", "override_reason": "Settled"}
    PlanVersion.objects.create(plan=plan, number=2, body=old, signed_by=clinician, signed_at=plan.created_at)

    response = as_clinician.get(f"/plans/{plan.pk}/versions/2/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-labelledby="clinician-notes-h"' not in html
    overrides = text_of(section(html, "overrides-h"))
    assert "radicular-thrust-relative" in overrides
    assert "Reason: Settled" in overrides
    assert "Overridden by" not in overrides


def test_the_migration_gives_existing_rules_the_shipped_notes_and_keeps_a_clinics_own(clinic):
    services.library_seed(clinic=clinic)
    PlanRule.objects.filter(clinic=clinic).update(notes=[])
    PlanRule.objects.filter(clinic=clinic, key="over-pronation").update(notes=["The clinic's own."])
    migration = importlib.import_module("plans.migrations.0008_plan_notes_and_overrides")

    migration.fill_shipped_notes(django_apps, None)

    notes = dict(PlanRule.objects.filter(clinic=clinic).values_list("key", "notes"))
    assert notes["running-form"] == [GAIT]
    assert notes["structural-leg-length"] == [HEEL_LIFT]
    assert notes["over-pronation"] == ["The clinic's own."]
    assert notes["base-programme"] == []
