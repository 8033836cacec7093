"""Signing a plan: the version is a frozen snapshot, a later change signed makes the next version with
its differences, signing is refused when nothing changed or a prong is empty without a reason."""

from __future__ import annotations

import copy
import io
import re

import pytest
from django.db.models import ProtectedError
from pypdf import PdfReader

from clinic.models import AuditEvent
from plans import handouts
from plans.models import PlanStatus, PlanVersion, TreatmentPlan
from tests.assessments.helpers import login, page_messages
from tests.factories import PlanFactory
from tests.html_forms import form_data
from tests.plans.helpers import (
    audit_rows,
    item_data,
    item_of,
    notice,
    section,
    sign,
    text_of,
    version,
)

BRIDGE_DOSAGE = "2 × 10–15, 2–3 times a week"


@pytest.fixture
def as_clinician(client, clinician):
    return login(client, clinician)


@pytest.fixture
def plan(episode) -> TreatmentPlan:
    return PlanFactory(assessment__episode=episode)


def _signed(client, plan: TreatmentPlan, number: int) -> PlanVersion:
    response = sign(client, plan)
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/versions/{number}/", page_messages(
        client.get(f"/plans/{plan.pk}/").content.decode()
    )
    return version(plan, number)


def _version_page(client, plan: TreatmentPlan, number: int) -> str:
    """The version page's content below the flash messages."""
    response = client.get(f"/plans/{plan.pk}/versions/{number}/")
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<h1>") : html.index("</main>")]


def _edit(client, item, **changes):
    response = client.post(f"/plan-items/{item.pk}/", item_data(item, **changes))
    assert response.status_code == 302
    item.refresh_from_db()


def _body_item(body: dict, key: str) -> dict:
    (item,) = [item for item in body["items"] if item["intervention"] == key]
    return item


# --- Signing ---------------------------------------------------------------------------------------


def test_edit_a_dosage_then_sign(as_clinician, clinician, plan):
    bridge = item_of(plan, "glute-bridge")
    _edit(as_clinician, bridge, sets="3", reps="12", instructions="Lower slowly, over three seconds.")

    response = sign(as_clinician, plan, follow=True)

    assert response.redirect_chain[-1][0] == f"/plans/{plan.pk}/versions/1/"
    assert "Version 1 signed." in page_messages(response.content.decode())
    v1 = version(plan, 1)
    assert (v1.signed_by, v1.changes) == (clinician, [])
    assert v1.body["clinician"] == {"name": "Dana Lead", "credentials": "DC"}
    assert (v1.body["visits_per_week"], v1.body["weeks"]) == (1, 6)
    assert v1.body["goals"] == plan.goals
    frozen = _body_item(v1.body, "glute-bridge")
    assert (frozen["sets"], frozen["reps"], frozen["dosage"]) == (3, "12", "3 × 12, 2–3 times a week")
    assert frozen["instructions"] == "Lower slowly, over three seconds."
    assert frozen["because"] == bridge.because
    assert {item["intervention"] for item in v1.body["items"]} == set(
        plan.items.values_list("intervention__key", flat=True)
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SIGNED
    (row,) = audit_rows("plan.signed", v1)
    assert (row.actor, row.patient_id) == (clinician, plan.episode.patient_id)

    page = text_of(_version_page(as_clinician, plan, 1))
    assert "Treatment plan, version 1" in page
    assert "Signed by Dana Lead, DC" in page
    assert "Glute bridge · 3 × 12, 2–3 times a week" in page
    assert "Changes from version" not in page


def test_the_version_page_shows_the_home_program_with_its_illustrations(as_clinician, plan):
    _signed(as_clinician, plan, 1)

    home = section(_version_page(as_clinician, plan, 1), "home-h")

    images = re.findall(r'<img src="([^"]+)"', home)
    assert any(src.endswith("plans/exercises/hip-flexor-stretch.svg") for src in images), images
    assert any(src.endswith("plans/exercises/glute-bridge.svg") for src in images), images
    text = text_of(home)
    assert "Half-kneeling hip-flexor stretch" in text
    assert item_of(plan, "hip-flexor-stretch").instructions in text
    assert "2–4 holds each side, 20–30 s each, daily" in text
    # Treatments given in the clinic are not on the handout.
    assert "Hip mobilisation" not in text
    assert "Hip-flexor soft-tissue work" not in text


def test_an_unknown_version_number_is_404(as_clinician, plan):
    _signed(as_clinician, plan, 1)

    assert as_clinician.get(f"/plans/{plan.pk}/versions/2/").status_code == 404


# --- Immutability ---------------------------------------------------------------------------------


def test_a_signed_version_cannot_be_saved_again_or_deleted(as_clinician, plan):
    v1 = _signed(as_clinician, plan, 1)
    body = copy.deepcopy(v1.body)

    v1.body = {**body, "visits_per_week": 7}
    with pytest.raises(PermissionError):
        v1.save()
    with pytest.raises(PermissionError):
        v1.save(update_fields=["body"])
    with pytest.raises(PermissionError):
        version(plan, 1).delete()
    with pytest.raises(ProtectedError):
        TreatmentPlan.objects.get(pk=plan.pk).delete()

    assert version(plan, 1).body == body
    assert plan.versions.count() == 1


def test_changing_the_draft_after_signing_leaves_the_version_as_signed(as_clinician, clinic, plan):
    v1 = _signed(as_clinician, plan, 1)
    body = copy.deepcopy(v1.body)
    page = _version_page(as_clinician, plan, 1)

    _edit(as_clinician, item_of(plan, "glute-bridge"), sets="4", instructions="Changed after signing.")
    as_clinician.post(f"/plan-items/{item_of(plan, 'clamshell').pk}/remove/")
    as_clinician.post(
        f"/plans/{plan.pk}/",
        form_data(
            as_clinician,
            f"/plans/{plan.pk}/",
            prefix="plan",
            visits_per_week="3",
            weeks="12",
            goals="A new goal",
            running_advice="",
        ),
    )

    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert (plan.visits_per_week, plan.weeks) == (3, 12)
    assert version(plan, 1).body == body
    assert _version_page(as_clinician, plan, 1) == page
    text = text_of(page)
    assert f"Glute bridge · {BRIDGE_DOSAGE}" in text
    assert "Clamshell" in text
    assert "1 visit a week for 6 weeks" in text


def test_a_later_change_signed_is_version_2_with_the_change_listed(as_clinician, clinician, plan):
    _signed(as_clinician, plan, 1)
    _edit(as_clinician, item_of(plan, "glute-bridge"), sets="3")

    v2 = _signed(as_clinician, plan, 2)

    assert v2.changes == [
        {
            "kind": "changed",
            "subject": "Glute bridge – dosage",
            "before": BRIDGE_DOSAGE,
            "after": "3 × 10–15, 2–3 times a week",
        }
    ]
    assert _body_item(v2.body, "glute-bridge")["dosage"] == "3 × 10–15, 2–3 times a week"
    assert _body_item(version(plan, 1).body, "glute-bridge")["dosage"] == BRIDGE_DOSAGE
    assert len(audit_rows("plan.signed", v2)) == 1

    page = _version_page(as_clinician, plan, 2)
    changes = text_of(section(page, "changes-h"))
    assert "Changes from version 1" in changes
    assert f"Changed Glute bridge – dosage: {BRIDGE_DOSAGE} → 3 × 10–15, 2–3 times a week" in changes
    assert "<del>" in page
    assert "<ins>" in page
    assert "Changes from version" not in _version_page(as_clinician, plan, 1)

    versions = text_of(section(as_clinician.get(f"/plans/{plan.pk}/").content.decode(), "versions-h"))
    assert "Version 2, signed by Dana Lead" in versions
    assert "1 change" in versions
    assert "Version 1, signed by Dana Lead" in versions


def test_removing_and_adding_items_and_new_visits_are_listed_as_changes(as_clinician, clinic, plan):
    _signed(as_clinician, plan, 1)
    as_clinician.post(f"/plan-items/{item_of(plan, 'clamshell').pk}/remove/")
    cat_cow = plan.episode.patient.clinic.interventions.get(key="cat-cow")
    as_clinician.post(f"/plans/{plan.pk}/items/add/", {"intervention": cat_cow.pk})
    as_clinician.post(
        f"/plans/{plan.pk}/", form_data(as_clinician, f"/plans/{plan.pk}/", prefix="plan", visits_per_week="2")
    )

    v2 = _signed(as_clinician, plan, 2)

    assert {(change["kind"], change["subject"]) for change in v2.changes} == {
        ("removed", "Clamshell"),
        ("added", "Cat-cow"),
        ("changed", "Visits per week"),
    }
    text = text_of(section(_version_page(as_clinician, plan, 2), "changes-h"))
    assert "Removed Clamshell" in text
    assert "Added Cat-cow" in text
    assert "Changed Visits per week: 1 → 2" in text


# --- Refusals ---------------------------------------------------------------------------------------


def test_signing_again_with_nothing_changed_is_refused(as_clinician, plan):
    _signed(as_clinician, plan, 1)

    response = sign(as_clinician, plan, follow=True)

    assert response.redirect_chain[-1][0] == f"/plans/{plan.pk}/"
    assert "Nothing has changed since the last signed version." in page_messages(response.content.decode())
    assert plan.versions.count() == 1
    assert AuditEvent.objects.filter(action="plan.signed").count() == 1


def test_saving_the_forms_unchanged_is_not_a_change_to_sign(as_clinician, plan):
    _signed(as_clinician, plan, 1)
    bridge = item_of(plan, "glute-bridge")

    assert (
        as_clinician.post(
            f"/plans/{plan.pk}/", form_data(as_clinician, f"/plans/{plan.pk}/", prefix="plan")
        ).status_code
        == 302
    )
    assert as_clinician.post(f"/plan-items/{bridge.pk}/", item_data(bridge)).status_code == 302
    response = sign(as_clinician, plan, follow=True)

    assert "Nothing has changed since the last signed version." in page_messages(response.content.decode())
    assert plan.versions.count() == 1


def test_a_change_undone_before_signing_is_not_a_change_to_sign(as_clinician, plan):
    _signed(as_clinician, plan, 1)
    bridge = item_of(plan, "glute-bridge")
    _edit(as_clinician, bridge, sets="3")
    _edit(as_clinician, bridge, sets="2")

    response = sign(as_clinician, plan, follow=True)

    assert "Nothing has changed since the last signed version." in page_messages(response.content.decode())
    assert plan.versions.count() == 1


def test_an_empty_prong_needs_a_reason_before_signing(as_clinician, plan):
    assert notice(as_clinician.get(f"/plans/{plan.pk}/").content.decode()) == ""
    (soft_tissue,) = plan.items.filter(prong="soft_tissue")
    as_clinician.post(f"/plan-items/{soft_tissue.pk}/remove/")

    response = sign(as_clinician, plan, follow=True)

    assert response.redirect_chain[-1][0] == f"/plans/{plan.pk}/"
    assert (
        "The plan has no Soft-tissue work item. Add one, or say why it is left out, before signing."
        in page_messages(response.content.decode())
    )
    assert not plan.versions.exists()

    reason = "Patient prefers no hands-on soft-tissue work"
    as_clinician.post(
        f"/plans/{plan.pk}/", form_data(as_clinician, f"/plans/{plan.pk}/", prefix="plan", missing_soft_tissue=reason)
    )
    plan.refresh_from_db()
    assert plan.missing_prong_reasons == {"soft_tissue": reason}

    v1 = _signed(as_clinician, plan, 1)

    assert v1.body["missing_prong_reasons"] == {"soft_tissue": reason}
    assert not [item for item in v1.body["items"] if item["prong"] == "soft_tissue"]
    assert f"None. Reason: {reason}" in text_of(_version_page(as_clinician, plan, 1))


def test_the_missing_prong_warning_names_the_prong_in_words(as_clinician, plan):
    (soft_tissue,) = plan.items.filter(prong="soft_tissue")
    as_clinician.post(f"/plan-items/{soft_tissue.pk}/remove/")

    warning = notice(as_clinician.get(f"/plans/{plan.pk}/").content.decode())

    assert warning.startswith("No item in:")
    assert "give a reason below before signing" in warning
    assert "soft-tissue" in warning.lower()
    assert "soft_tissue" not in warning


def test_a_blank_reason_does_not_explain_an_empty_prong(as_clinician, plan):
    for item in plan.items.filter(prong="manipulation"):
        as_clinician.post(f"/plan-items/{item.pk}/remove/")
    as_clinician.post(
        f"/plans/{plan.pk}/", form_data(as_clinician, f"/plans/{plan.pk}/", prefix="plan", missing_manipulation="   ")
    )

    response = sign(as_clinician, plan, follow=True)

    assert any(
        message.startswith("The plan has no Joint manipulation / mobilisation item")
        for message in page_messages(response.content.decode())
    )
    assert not plan.versions.exists()


def test_the_version_freezes_the_patient_wording_of_progression_and_cautions(as_clinician, plan, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    bridge = item_of(plan, "glute-bridge").intervention
    assert bridge.patient_progression
    assert bridge.patient_cautions
    signed = _signed(as_clinician, plan, 1)
    frozen = next(item for item in signed.body["items"] if item["intervention"] == "glute-bridge")
    assert (frozen["progression"], frozen["cautions"]) == (bridge.patient_progression, bridge.patient_cautions)
    # A later edit of the library leaves the signed wording as it was.
    bridge.patient_cautions = "Changed later."
    bridge.save()
    assert version(plan, 1).body["items"] == signed.body["items"]
    handouts.render(handout_id=signed.handout.pk)
    signed.handout.refresh_from_db()
    with signed.handout.file.open("rb") as pdf:
        text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages).split())
    assert f"When it gets easy: {frozen['progression']}" in text
    assert f"Take care: {frozen['cautions']}" in text
