# ruff: noqa: F811  (the fixtures are imported from phases_fixtures, then named as arguments)
"""Walk-run programs: shipped by the migration, edited by a clinic admin as a new version (never changing one a
plan was signed with), chosen on the draft plan, printed on the handout and the portal."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from plans import handouts, selectors
from plans import services as plan_services
from plans.models import RunProgramTemplate
from tests.assessments.helpers import login
from tests.running.phases_fixtures import draft, program, rtr  # noqa: F401

pytestmark = pytest.mark.django_db


def _form(base: RunProgramTemplate, **changes) -> dict:
    data = {
        "program-name": base.name,
        "phases-TOTAL_FORMS": str(len(base.phases) + 1),
        "phases-INITIAL_FORMS": str(len(base.phases)),
        "phases-MIN_NUM_FORMS": "1",
        "phases-MAX_NUM_FORMS": "20",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "20",
        "rules-0-text": "Rest a day between runs.",
    }
    for index, phase in enumerate(base.phases):
        for key, value in phase.items():
            data[f"phases-{index}-{key}"] = "" if value is None else str(value)
    return data | changes


def test_the_migration_ships_both_programs():
    shipped = {p.key: p for p in RunProgramTemplate.objects.filter(clinic=None)}
    assert set(shipped) == {"standard-walk-run", "time-based-30-min"}
    assert len(shipped["standard-walk-run"].phases) == 6
    assert shipped["time-based-30-min"].low_quality


def test_a_version_in_use_is_never_changed():
    shipped = program()
    shipped.name = "Changed"
    with pytest.raises(PermissionError):
        shipped.save()


def test_the_clinic_admin_saves_a_new_version(client, clinic_admin, clinic):
    base = program()
    login(client, clinic_admin)
    assert client.get("/return-to-run-programs/").status_code == 200
    assert client.get(f"/return-to-run-programs/{base.pk}/").status_code == 200
    response = client.post(
        f"/return-to-run-programs/{base.pk}/", _form(base, **{"program-name": "Our walk-run", "phases-0-rpe": "2"})
    )
    assert response.status_code == 302
    saved = RunProgramTemplate.objects.get(clinic=clinic, key=base.key)
    assert (saved.version, saved.name, saved.phases[0]["rpe"], saved.rules) == (
        2,
        "Our walk-run",
        2,
        ["Rest a day between runs."],
    )
    base.refresh_from_db()
    assert base.phases[0]["rpe"] == 3
    assert [p.pk for p in selectors.run_programs_for(clinic.pk) if p.key == base.key] == [saved.pk]


def test_a_refused_edit_keeps_what_was_typed(client, clinic_admin):
    base = program()
    login(client, clinic_admin)
    response = client.post(
        f"/return-to-run-programs/{base.pk}/",
        _form(base, **{"program-name": "Typed name", "phases-0-rpe": "12", "phases-1-distance_m": "abc"}),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Typed name"' in html
    assert 'value="12"' in html
    assert "field-error" in html
    bad = client.post(f"/return-to-run-programs/{base.pk}/", _form(base, **{"program-name": "a\x00b"}))
    assert bad.status_code == 400
    assert not RunProgramTemplate.objects.exclude(clinic=None).exists()


@pytest.mark.parametrize("role", ["clinician", "front_desk"])
def test_only_a_clinic_admin_edits_programs(client, role, request):
    login(client, request.getfixturevalue(role))
    assert client.get("/return-to-run-programs/").status_code == 403
    assert client.post(f"/return-to-run-programs/{program().pk}/", _form(program())).status_code == 403
    with pytest.raises(PermissionDenied):
        plan_services.run_program_save(
            actor=request.getfixturevalue(role), base=program(), name="x", phases=program().phases, rule_texts=[]
        )


def test_the_service_refuses_a_bad_table(clinic_admin):
    with pytest.raises(ValidationError):
        plan_services.run_program_save(actor=clinic_admin, base=program(), name="x", phases=[{}], rule_texts=[])


def test_another_clinics_program_is_not_offered(clinic_admin, other_clinic):
    from clinic.permissions import Role
    from tests.factories import UserFactory

    other_admin = UserFactory(clinic=other_clinic, roles=[Role.CLINIC_ADMIN])
    theirs = plan_services.run_program_save(
        actor=other_admin, base=program(), name="Theirs", phases=program().phases, rule_texts=[]
    )
    assert theirs not in selectors.run_programs_for(clinic_admin.clinic_id)


def test_choosing_a_program_on_the_draft(client, clinician, draft):
    login(client, clinician)
    page = client.get(f"/plans/{draft.pk}/").content.decode()
    assert "Add a return-to-run plan" in page
    assert "Time-based walk-run program, 30 minutes (version 1) – low-quality source" in page
    response = client.post(f"/plans/{draft.pk}/return-to-run/", {"program": program().pk})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.run_program == program()
    refused = client.post(f"/plans/{draft.pk}/return-to-run/", {"program": "999999"}, follow=True)
    assert "Select a valid choice" in refused.content.decode()
    client.post(f"/plans/{draft.pk}/return-to-run/", {"program": ""})
    draft.refresh_from_db()
    assert draft.run_program is None


def test_the_handout_and_the_version_page_show_the_table_and_rules(client, clinician, rtr, draft):
    version = draft.versions.get()
    html = handouts.html(version)
    assert "Your return-to-run plan: Standard return-to-run program" in html
    assert "1.0 miles (≈ 1.61 km)" in html
    assert "Leave at least one rest day between runs." in html
    page = login(client, clinician).get(f"/plans/{draft.pk}/versions/1/").content.decode()
    assert "Walk 2 min, run 3 min" in page
