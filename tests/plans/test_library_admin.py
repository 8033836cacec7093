"""The clinic's treatment library: clinic admins edit it at /library/, clinicians read it, the front
desk does not see it. An edit shapes plans drafted from then on and never a signed version."""

from __future__ import annotations

import copy
import re

import pytest
from django.forms.models import model_to_dict

from clinic.models import AuditEvent
from plans import library, services
from plans.models import Contraindication, Intervention, PlanRule
from tests.assessments.helpers import error_summary, login, page_messages
from tests.factories import SignedPlanFactory
from tests.html_forms import form_data
from tests.plans.helpers import (
    drafted,
    item_of,
    section,
    sign,
    text_of,
    version,
)


@pytest.fixture
def seeded(clinic):
    services.library_seed(clinic=clinic)
    return clinic


def _rows(clinic) -> dict[str, object]:
    """One row of each kind."""
    return {
        "interventions": Intervention.objects.get(clinic=clinic, key="hip-flexor-stretch"),
        "rules": PlanRule.objects.get(clinic=clinic, key="base-programme"),
        "contraindications": Contraindication.objects.get(clinic=clinic, key="radicular-hamstring-stretch"),
    }


def _stored(row) -> dict:
    return model_to_dict(type(row).objects.get(pk=row.pk))


# --- Reading ----------------------------------------------------------------------------------------


def test_clinic_admin_sees_the_library_with_edit_links(client, clinic, clinic_admin):
    login(client, clinic_admin)

    response = client.get("/library/")

    assert response.status_code == 200
    # Seeded on first use.
    assert Intervention.objects.filter(clinic=clinic).count() == len(library.INTERVENTIONS)
    html = response.content.decode()
    for kind, row in _rows(clinic).items():
        assert f'href="/library/{kind}/{row.pk}/"' in html
    assert "Half-kneeling hip-flexor stretch" in text_of(section(html, "int-h"))


def test_library_page_shows_words_not_codes(client, seeded, clinician):
    login(client, clinician)

    html = client.get("/library/").content.decode()

    text = text_of(html[html.index("<h1>") :])
    assert not re.findall(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b", text)
    contraindications = text_of(section(html, "contra-h"))
    assert "Positive neural tension test" in contraindications
    assert "Disc irritation / lumbar radiculopathy (sciatica)" in contraindications
    assert "Any emergency red flag" in contraindications
    assert "Hamstring stretch" in contraindications
    assert "Spinal thrust manipulation" in contraindications
    rules = text_of(section(html, "rules-h"))
    assert "Weekly running distance rose quickly over two weeks" in rules
    assert "Suspected FAI / labral pathology" in contraindications


def test_library_page_words_an_unknown_code_typed_in_the_admin(client, seeded, clinician):
    row = Contraindication.objects.get(clinic=seeded, key="radicular-hamstring-stretch")
    row.when_findings = [*row.when_findings, "tender_adductor_origin"]
    row.save()
    login(client, clinician)

    text = text_of(section(client.get("/library/").content.decode(), "contra-h"))

    assert "tender adductor origin" in text
    assert "tender_adductor_origin" not in text


def test_clinician_reads_the_library_but_cannot_edit_it(client, seeded, clinician):
    login(client, clinician)

    response = client.get("/library/")

    assert response.status_code == 200
    assert "Half-kneeling hip-flexor stretch" in response.content.decode()
    assert not re.search(r'href="/library/(?:interventions|rules|contraindications)/', response.content.decode())
    for kind, row in _rows(seeded).items():
        before = _stored(row)
        assert client.get(f"/library/{kind}/{row.pk}/").status_code == 403
        assert client.post(f"/library/{kind}/{row.pk}/", {"name": "Renamed by a clinician"}).status_code == 403
        assert _stored(row) == before
    assert not AuditEvent.objects.filter(action__startswith="library.").exists()


def test_front_desk_cannot_see_the_library(client, seeded, front_desk):
    login(client, front_desk)

    assert client.get("/library/").status_code == 403
    for kind, row in _rows(seeded).items():
        before = _stored(row)
        assert client.get(f"/library/{kind}/{row.pk}/").status_code == 403
        assert client.post(f"/library/{kind}/{row.pk}/", {"name": "Renamed"}).status_code == 403
        assert _stored(row) == before


def test_another_clinics_library_rows_are_404(client, seeded, other_clinic, clinic_admin):
    services.library_seed(clinic=other_clinic)
    login(client, clinic_admin)

    for kind, row in _rows(other_clinic).items():
        before = _stored(row)
        assert client.get(f"/library/{kind}/{row.pk}/").status_code == 404
        assert client.post(f"/library/{kind}/{row.pk}/", {"name": "Renamed"}).status_code == 404
        assert _stored(row) == before


# --- Editing ----------------------------------------------------------------------------------------


def test_clinic_admin_edits_an_intervention(client, seeded, clinic_admin):
    login(client, clinic_admin)
    stretch = _rows(seeded)["interventions"]

    response = client.post(
        f"/library/interventions/{stretch.pk}/",
        form_data(
            client,
            f"/library/interventions/{stretch.pk}/",
            sets="3",
            reps="5 holds each side",
            tags=["stretch"],
            new_tags="hip",
        ),
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/library/"
    assert "Intervention saved. Signed plans are not affected." in page_messages(response.content.decode())
    stretch.refresh_from_db()
    assert (stretch.sets, stretch.reps, stretch.tags) == (3, "5 holds each side", ["stretch", "hip"])
    (row,) = AuditEvent.objects.filter(action="library.intervention_updated", object_id=stretch.pk)
    assert row.actor == clinic_admin
    assert {"sets", "reps", "tags"} <= set(row.changed_fields)


def test_a_contraindication_with_an_unknown_prong_is_refused(client, seeded, clinic_admin):
    login(client, clinic_admin)
    contraindication = _rows(seeded)["contraindications"]
    before = _stored(contraindication)

    response = client.post(
        f"/library/contraindications/{contraindication.pk}/",
        form_data(
            client, f"/library/contraindications/{contraindication.pk}/", excludes_prongs=["exercise", "massage"]
        ),
    )

    assert response.status_code == 200
    errors = error_summary(response.content.decode())
    assert "id_excludes_prongs" in errors
    assert "Not a known prong: “massage”" in " ".join(errors["id_excludes_prongs"])
    assert _stored(contraindication) == before
    assert not AuditEvent.objects.filter(action__startswith="library.").exists()


def test_a_contraindication_with_known_prongs_is_saved(client, seeded, clinic_admin):
    login(client, clinic_admin)
    contraindication = _rows(seeded)["contraindications"]

    response = client.post(
        f"/library/contraindications/{contraindication.pk}/",
        form_data(
            client,
            f"/library/contraindications/{contraindication.pk}/",
            excludes_prongs=["manipulation", "soft_tissue"],
        ),
    )

    assert response.status_code == 302
    contraindication.refresh_from_db()
    assert contraindication.excludes_prongs == ["manipulation", "soft_tissue"]


@pytest.mark.parametrize(("field", "value"), [("visits_per_week", "0"), ("visits_per_week", "8"), ("weeks", "60")])
def test_a_rule_with_an_impossible_schedule_is_refused(client, seeded, clinic_admin, field, value):
    login(client, clinic_admin)
    rule = _rows(seeded)["rules"]
    before = _stored(rule)

    response = client.post(
        f"/library/rules/{rule.pk}/", form_data(client, f"/library/rules/{rule.pk}/", **{field: value})
    )

    assert response.status_code == 200
    assert '<div class="error-summary"' in response.content.decode()
    assert _stored(rule) == before


@pytest.mark.parametrize("sets", ["abc", "-1", "0"])
def test_an_intervention_with_a_bad_number_of_sets_is_refused(client, seeded, clinic_admin, clinician, sets):
    client.raise_request_exception = False
    login(client, clinic_admin)
    stretch = _rows(seeded)["interventions"]
    before = _stored(stretch)

    response = client.post(
        f"/library/interventions/{stretch.pk}/", form_data(client, f"/library/interventions/{stretch.pk}/", sets=sets)
    )

    assert response.status_code == 200
    assert "id_sets" in error_summary(response.content.decode())
    assert _stored(stretch) == before
    assert client.get("/library/").status_code == 200


def test_unknown_library_kind_is_not_served(client, seeded, clinic_admin):
    login(client, clinic_admin)
    row = _rows(seeded)["interventions"]

    assert client.get(f"/library/patients/{row.pk}/").status_code in {403, 404}


# --- Edits never reach a signed plan ------------------------------------------------------------------


def test_library_edits_leave_signed_versions_alone_but_shape_new_drafts(
    client, clinic, clinician, clinic_admin, episode
):
    plan = SignedPlanFactory(assessment__episode=episode)
    assessment = plan.assessment
    login(client, clinician)
    v1 = version(plan, 1)
    body = copy.deepcopy(v1.body)
    page = client.get(f"/plans/{plan.pk}/versions/1/").content.decode()
    page = page[page.index("<h1>") : page.index("</main>")]
    old_stretch = item_of(plan, "hip-flexor-stretch")
    old_instructions = old_stretch.instructions

    login(client, clinic_admin)
    stretch = Intervention.objects.get(clinic=clinic, key="hip-flexor-stretch")
    new_instructions = "Kneel tall and tuck the pelvis under; hold without bouncing."
    response = client.post(
        f"/library/interventions/{stretch.pk}/",
        form_data(
            client,
            f"/library/interventions/{stretch.pk}/",
            instructions=new_instructions,
            sets="3",
            reps="5 holds each side",
            hold_seconds="45",
            frequency="twice daily",
        ),
    )
    assert response.status_code == 302
    rule = PlanRule.objects.get(clinic=clinic, key="base-programme")
    response = client.post(
        f"/library/rules/{rule.pk}/",
        form_data(
            client, f"/library/rules/{rule.pk}/", visits_per_week="3", weeks="10", running_advice="Run on soft trails."
        ),
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="library.intervention_updated", object_id=stretch.pk).exists()
    assert AuditEvent.objects.filter(action="library.planrule_updated", object_id=rule.pk).exists()

    login(client, clinician)
    # The signed version, its page and the existing draft's copy are unchanged.
    assert version(plan, 1).body == body
    shown = client.get(f"/plans/{plan.pk}/versions/1/").content.decode()
    assert shown[shown.index("<h1>") : shown.index("</main>")] == page
    assert new_instructions not in shown
    assert "1 visit a week for 6 weeks" in text_of(shown)
    old_stretch.refresh_from_db()
    assert old_stretch.instructions == old_instructions
    assert old_stretch.dosage_text == "2–4 holds each side, 20–30 s each, daily"

    # A new draft reads the edited library.
    new = drafted(client, assessment)
    new_stretch = item_of(new, "hip-flexor-stretch")
    assert new_stretch.instructions == new_instructions
    assert new_stretch.dosage_text == "3 × 5 holds each side, 45 s each, twice daily"
    assert (new.visits_per_week, new.weeks) == (3, 10)
    assert "Run on soft trails." in new.running_advice
    assert sign(client, new).status_code == 302
    new_version = version(new, 1)
    assert new_version.body["visits_per_week"] == 3
    assert new_instructions in client.get(f"/plans/{new.pk}/versions/1/").content.decode()
