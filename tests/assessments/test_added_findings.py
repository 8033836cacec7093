"""Findings the clinician adds: a condition chosen from the list (a coded finding the plan rules read) or a finding
in the clinician's own words (kept on the record, not read by the rules). The service, the page and the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from assessments import findings, services
from assessments.models import Finding, FindingOrigin
from clinic.models import AuditEvent
from tests.assessments.helpers import login, page_messages
from tests.factories import AssessmentFactory
from tests.plans.helpers import api_client, section, text_of

GT = "gluteal_tendinopathy"
GT_LABEL = "Gluteal tendinopathy / greater trochanteric pain syndrome (GTPS)"


@pytest.fixture
def assessment(episode):
    return AssessmentFactory(episode=episode)


# --- The service ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "label", "side", "code", "stored_label", "read_by_rules"),
    [
        (GT, "", "left", GT, f"{GT_LABEL} – left", True),
        (GT, "", "", GT, GT_LABEL, True),
        (
            "lumbar_radiculopathy",
            "",
            "right",
            "lumbar_radiculopathy",
            "Disc irritation / lumbar radiculopathy (sciatica) – right",
            True,
        ),
        ("", "Tender TFL, right", "right", "clinician_tender_tfl_right", "Tender TFL, right", False),
        ("", "  Gluteal tendinopathy  ", "", "clinician_gluteal_tendinopathy", "Gluteal tendinopathy", False),
    ],
    ids=["condition left", "condition no side", "radiculopathy right", "own words", "own words naming a condition"],
)
def test_finding_add_stores_a_condition_coded_and_own_words_as_free_text(
    clinician, assessment, condition, label, side, code, stored_label, read_by_rules
):
    finding = services.finding_add(
        actor=clinician, assessment=assessment, condition=condition, label=label, side=side, reason="Palpation"
    )

    finding.refresh_from_db()
    assert (finding.code, finding.label, finding.side) == (code, stored_label, side)
    assert (finding.origin, finding.added_by, finding.reason) == (FindingOrigin.ADDED, clinician, "Palpation")
    assert finding.read_by_rules is read_by_rules
    assert AuditEvent.objects.filter(action="finding.added", object_id=finding.pk).exists()


@pytest.mark.parametrize(
    ("condition", "label", "field", "message"),
    [
        ("", "", "label", "Choose a condition from the list or describe the finding in your own words."),
        ("", "   ", "label", "Choose a condition from the list or describe the finding in your own words."),
        (GT, "Tender trochanter", "label", "not both"),
        ("hamstring_strain", "", "condition", "Choose a condition from the list."),
        ("hip_flexor_tightness", "", "condition", "Choose a condition from the list."),
    ],
    ids=["neither", "blank words", "both", "unknown code", "derived code"],
)
def test_finding_add_refuses_neither_both_or_a_code_not_on_the_list(
    clinician, assessment, condition, label, field, message
):
    before = assessment.findings.count()

    with pytest.raises(ValidationError) as refused:
        services.finding_add(actor=clinician, assessment=assessment, condition=condition, label=label, reason="R")

    assert message in " ".join(refused.value.message_dict[field])
    assert assessment.findings.count() == before


@pytest.mark.parametrize(("condition", "label", "field"), [(GT, "", "condition"), ("", "Tender TFL", "label")])
def test_the_same_finding_twice_is_refused_on_its_field(clinician, assessment, condition, label, field):
    services.finding_add(actor=clinician, assessment=assessment, condition=condition, label=label, reason="R")

    with pytest.raises(ValidationError) as refused:
        services.finding_add(actor=clinician, assessment=assessment, condition=condition, label=label, reason="R")

    assert "is already a finding of this assessment" in refused.value.message_dict[field][0]
    # Another side is another finding.
    services.finding_add(
        actor=clinician, assessment=assessment, condition=condition, label=label, side="left", reason="R"
    )


def test_clinician_conditions_are_not_derived_codes():
    assert not set(findings.CLINICIAN_CONDITION_LABELS) & set(findings.FINDING_CODES)
    assert findings.condition_label(GT, "right") == f"{GT_LABEL} – right"


# --- The page ------------------------------------------------------------------------------------------------


def _findings_text(client, assessment) -> str:
    return text_of(section(client.get(f"/assessments/{assessment.pk}/").content.decode(), "findings-h"))


def test_page_adds_a_condition_from_the_list(client, clinician, assessment):
    client = login(client, clinician)

    response = client.post(
        f"/assessments/{assessment.pk}/findings/add/",
        {"condition": GT, "label": "", "side": "left", "reason": "Trochanter tender; pain lying on the left"},
        follow=True,
    )

    assert "Finding added." in page_messages(response.content.decode())
    added = assessment.findings.get(origin=FindingOrigin.ADDED)
    assert (added.code, added.side, added.label) == (GT, "left", f"{GT_LABEL} – left")
    shown = _findings_text(client, assessment)
    assert f"{GT_LABEL} – left (added by Dana Lead)" in shown


def test_page_marks_a_finding_in_own_words_as_not_used_by_the_rules(client, clinician, assessment):
    client = login(client, clinician)

    client.post(
        f"/assessments/{assessment.pk}/findings/add/", {"label": "Tender TFL", "side": "", "reason": "Palpation"}
    )

    assert "Tender TFL (added by Dana Lead; not used by the rules)" in _findings_text(client, assessment)


def test_page_form_offers_the_conditions(client, clinician, assessment):
    html = login(client, clinician).get(f"/assessments/{assessment.pk}/").content.decode()

    for code, label in findings.CLINICIAN_CONDITIONS:
        assert f'<option value="{code}">{label}</option>' in html


def test_page_shows_the_services_refusal(client, clinician, assessment):
    client = login(client, clinician)
    before = assessment.findings.count()

    response = client.post(
        f"/assessments/{assessment.pk}/findings/add/",
        {"condition": GT, "label": "Tender", "side": "", "reason": "Palpation"},
        follow=True,
    )

    assert any("not both" in message for message in page_messages(response.content.decode()))
    assert assessment.findings.count() == before


# --- The API -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "code", "read_by_rules"),
    [
        ({"condition": GT, "side": "right"}, GT, True),
        ({"label": "Tender TFL"}, "clinician_tender_tfl", False),
    ],
    ids=["condition", "own words"],
)
def test_api_adds_a_condition_or_own_words(clinician, assessment, payload, code, read_by_rules):
    response = api_client(clinician).post(
        "/api/findings/", {"assessment": assessment.pk, "reason": "Palpation", **payload}, format="json"
    )

    assert response.status_code == 201, response.data
    assert (response.data["code"], response.data["read_by_rules"]) == (code, read_by_rules)
    assert Finding.objects.get(pk=response.data["id"]).code == code


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"condition": GT, "label": "Tender"}, "label"),
        ({"condition": "not_a_condition"}, "condition"),
        ({"condition": "hip_flexor_tightness"}, "condition"),
        ({}, "label"),
    ],
    ids=["both", "unknown", "derived code", "neither"],
)
def test_api_refuses_bad_additions_with_400(clinician, assessment, payload, field):
    before = assessment.findings.count()

    response = api_client(clinician).post(
        "/api/findings/", {"assessment": assessment.pk, "reason": "Palpation", **payload}, format="json"
    )

    assert response.status_code == 400
    assert field in response.data
    assert assessment.findings.count() == before


def test_api_lists_whether_each_finding_is_read_by_the_rules(clinician, assessment):
    services.finding_add(actor=clinician, assessment=assessment, label="Tender TFL", reason="Palpation")

    response = api_client(clinician).get("/api/findings/", {"assessment": assessment.pk})

    by_origin = {(row["origin"], row["read_by_rules"]) for row in response.data["results"]}
    assert by_origin == {("derived", True), ("added", False)}
