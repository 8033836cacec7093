"""Assessments API: start, PATCH a draft with the form's field names, complete, read back with
measurements and findings; add and dismiss findings. Clinicians of the clinic only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from assessments import services
from assessments.models import Assessment, AssessmentStatus, Finding, FindingOrigin
from clinic.models import AuditEvent
from clinic.permissions import Role
from tests.assessments.helpers import BASELINE_DAY, REASSESSMENT_DAY, exam_data, login, snapshot
from tests.factories import AssessmentFactory, UserFactory


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(clinician):
    return _api(clinician)


def _start(api, episode, kind: str = "initial", day=BASELINE_DAY):
    return api.post("/api/assessments/", {"episode": episode.pk, "kind": kind, "assessed_on": day.isoformat()})


def _started(api, episode, kind: str = "initial", day=BASELINE_DAY) -> Assessment:
    response = _start(api, episode, kind, day)
    assert response.status_code == 201, response.data
    return Assessment.objects.get(pk=response.data["id"])


def _completed(api, episode, **changes) -> Assessment:
    assessment = _started(api, episode)
    assert api.patch(f"/api/assessments/{assessment.pk}/", exam_data(changes), format="json").status_code == 200
    response = api.post(f"/api/assessments/{assessment.pk}/complete/")
    assert response.status_code == 200, response.data
    return assessment


def _finding(assessment, code, side="") -> Finding:
    return Finding.objects.get(assessment=assessment, code=code, side=side)


# --- Start ----------------------------------------------------------------------------------------------


def test_start_creates_a_draft(api, clinician, episode):
    response = _start(api, episode)

    assert response.status_code == 201
    assert response.data["status"] == "draft"
    assert response.data["kind"] == "initial"
    assert response.data["assessed_on"] == BASELINE_DAY.isoformat()
    assert response.data["findings"] == []
    assessment = Assessment.objects.get(pk=response.data["id"])
    assert (assessment.episode, assessment.clinician) == (episode, clinician)


def test_start_second_initial_is_400_on_kind(api, episode):
    _started(api, episode)

    response = _start(api, episode, "initial", REASSESSMENT_DAY)

    assert response.status_code == 400
    assert "already has an initial evaluation" in str(response.data["kind"])
    assert episode.assessments.count() == 1


def test_start_reassessment_before_a_completed_baseline_is_400(api, episode):
    _started(api, episode)

    response = _start(api, episode, "reassessment", REASSESSMENT_DAY)

    assert response.status_code == 400
    assert "Complete the initial evaluation" in str(response.data["kind"])


def test_start_reassessment_after_the_baseline(api, episode):
    _completed(api, episode)

    response = _start(api, episode, "reassessment", REASSESSMENT_DAY)

    assert response.status_code == 201
    assert response.data["kind"] == "reassessment"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "initial"}, "assessed_on"),
        ({"kind": "baseline", "assessed_on": "2024-01-01"}, "kind"),
        ({"kind": "initial", "assessed_on": "2999-01-01"}, "assessed_on"),
    ],
    ids=["no date", "unknown kind", "future date"],
)
def test_start_with_bad_input_is_400_on_the_field(api, episode, payload, field):
    response = api.post("/api/assessments/", {"episode": episode.pk, **payload})

    assert response.status_code == 400
    assert field in response.data
    assert not episode.assessments.exists()


def test_start_on_another_clinics_episode_is_400_like_a_missing_one(api, foreign_episode):
    foreign = _start(api, foreign_episode)
    missing = api.post("/api/assessments/", {"episode": 999999, "kind": "initial", "assessed_on": "2024-01-01"})

    assert foreign.status_code == missing.status_code == 400
    assert foreign.data == missing.data
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("episode_value", ["abc", "1.5", ""], ids=["letters", "decimal", "empty"])
def test_start_with_a_malformed_episode_id_is_400_not_500(api, episode, episode_value):
    api.raise_request_exception = False

    response = api.post("/api/assessments/", {"episode": episode_value, "kind": "initial", "assessed_on": "2024-01-01"})

    assert response.status_code == 400
    assert "episode" in response.data
    assert not Assessment.objects.exists()


# --- PATCH a draft -----------------------------------------------------------------------------------


def test_patch_saves_the_exam_and_returns_the_measurements(api, clinician, episode):
    assessment = _started(api, episode)

    response = api.patch(f"/api/assessments/{assessment.pk}/", exam_data(), format="json")

    assert response.status_code == 200, response.data
    measurements = response.data["measurements"]
    assert measurements["true_right_cm"] == "88.8"
    assert measurements["apparent_right_cm"] == "93.9"
    assert measurements["rom_flexion_left"] == 110
    assert measurements["rom_extension_right"] == -4
    assert measurements["rom_flexion_left_pain"] is True
    assert (measurements["fms_hurdle_step_left"], measurements["fms_hurdle_step_right"]) == (2, 1)
    assert measurements["thomas_left_result"] == "positive"
    assert (
        measurements["thomas_left_iliopsoas"],
        measurements["thomas_left_rectus_femoris"],
        measurements["thomas_left_tfl_itb"],
    ) == (True, False, False)
    assert measurements["slr_right_angle"] == 45
    assert measurements["overstriding"] is True
    assert measurements["knee_valgus"] is False
    assert measurements["cadence"] == 162
    assessment.refresh_from_db()
    assert (assessment.true_left_mm, assessment.true_right_mm) == (900, 888)
    assert assessment.status == AssessmentStatus.DRAFT
    assert AuditEvent.objects.filter(action="assessment.saved", object_id=assessment.pk, actor=clinician).exists()


def test_patch_keeps_fields_not_sent(api, episode):
    assessment = _started(api, episode)
    api.patch(f"/api/assessments/{assessment.pk}/", exam_data(), format="json")
    before = api.get(f"/api/assessments/{assessment.pk}/").data["measurements"]

    response = api.patch(f"/api/assessments/{assessment.pk}/", {"pain_today": 2, "true_right_cm": 89.1}, format="json")

    assert response.status_code == 200, response.data
    after = response.data["measurements"]
    assert after["pain_today"] == 2
    assert after["true_right_cm"] == "89.1"
    assert {name: value for name, value in after.items() if name not in ("pain_today", "true_right_cm")} == {
        name: value for name, value in before.items() if name not in ("pain_today", "true_right_cm")
    }


def test_patch_a_new_draft_with_only_some_fields(api, episode):
    """Fields not sent keep their values, also before the first save (special tests then 'not tested')."""
    assessment = _started(api, episode)

    response = api.patch(f"/api/assessments/{assessment.pk}/", {"pain_today": 4}, format="json")

    assert response.status_code == 200, response.data
    assessment.refresh_from_db()
    assert assessment.pain_today == 4


def test_patch_a_completed_assessment_is_400_and_changes_nothing(api, episode):
    assessment = _completed(api, episode)
    before = snapshot(assessment)

    response = api.patch(f"/api/assessments/{assessment.pk}/", {"pain_today": 1}, format="json")

    assert response.status_code == 400
    assert "reopen it to change it" in str(response.data)
    assert snapshot(assessment) == before


# --- Complete and read back ------------------------------------------------------------------------------


def test_complete_derives_findings_and_returns_them(api, clinician, episode):
    assessment = _started(api, episode)
    api.patch(f"/api/assessments/{assessment.pk}/", exam_data(), format="json")

    response = api.post(f"/api/assessments/{assessment.pk}/complete/")

    assert response.status_code == 200
    assert response.data["status"] == "completed"
    assert response.data["completed_at"]
    findings = {(item["code"], item["side"]): item for item in response.data["findings"]}
    assert {
        ("hip_flexor_tightness", "left"),
        ("neural_tension_positive", "right"),
        ("fms_asymmetry_hurdle_step", ""),
        ("leg_length_discrepancy", "right"),
    } <= set(findings)
    thomas = findings[("hip_flexor_tightness", "left")]
    assert {"source": "Thomas test", "detail": "positive, iliopsoas"} in thomas["evidence"]
    assert thomas["origin"] == "derived"
    assert thomas["dismissed_at"] is None
    assert "structural" in findings[("leg_length_discrepancy", "right")]["label"]
    assert AuditEvent.objects.filter(action="assessment.completed", object_id=assessment.pk, actor=clinician).exists()


def test_thomas_structures_are_taken_and_returned_each_on_its_own(api, episode):
    assessment = _started(api, episode)
    changes = {
        "thomas_left_iliopsoas": True,
        "thomas_left_rectus_femoris": True,
        "thomas_right_result": "positive",
        "thomas_right_rectus_femoris": True,
        "thomas_right_tfl_itb": True,
    }

    response = api.patch(f"/api/assessments/{assessment.pk}/", exam_data(changes), format="json")

    assert response.status_code == 200, response.data
    measurements = response.data["measurements"]
    structures = ("iliopsoas", "rectus_femoris", "tfl_itb")
    assert [measurements[f"thomas_left_{structure}"] for structure in structures] == [True, True, False]
    assert [measurements[f"thomas_right_{structure}"] for structure in structures] == [False, True, True]
    completed = api.post(f"/api/assessments/{assessment.pk}/complete/").data
    thomas_findings = {
        (item["code"], item["side"])
        for item in completed["findings"]
        if any(evidence["source"] == "Thomas test" for evidence in item["evidence"])
    }
    assert thomas_findings == {
        ("hip_flexor_tightness", "left"),
        ("rectus_femoris_tightness", "left"),
        ("rectus_femoris_tightness", "right"),
        ("tfl_itb_tension", "right"),
    }


def test_complete_twice_is_400(api, episode):
    assessment = _completed(api, episode)
    before = snapshot(assessment)

    response = api.post(f"/api/assessments/{assessment.pk}/complete/")

    assert response.status_code == 400
    assert snapshot(assessment) == before


def test_list_and_retrieve_show_measurements_and_findings(api, clinician, episode, foreign_recorded):
    assessment = _completed(api, episode)

    listed = api.get("/api/assessments/", {"episode": episode.pk})
    retrieved = api.get(f"/api/assessments/{assessment.pk}/")

    assert listed.status_code == retrieved.status_code == 200
    assert [item["id"] for item in listed.data["results"]] == [assessment.pk]
    for data in (listed.data["results"][0], retrieved.data):
        assert data["measurements"]["true_right_cm"] == "88.8"
        assert data["measurements"]["fms_deep_squat"] == 2
        assert any(item["code"] == "hip_flexor_tightness" for item in data["findings"])
    on_patient = AuditEvent.objects.filter(patient_id=episode.patient_id, actor=clinician)
    assert on_patient.filter(action="assessment.listed", object_id=episode.patient_id).count() == 1
    assert on_patient.filter(action="assessment.viewed", object_id=assessment.pk).count() == 1
    # Another clinic's assessment is never listed, nor its reading audited for our clinician.
    assert [item["id"] for item in api.get("/api/assessments/").data["results"]] == [assessment.pk]
    assert not AuditEvent.objects.filter(actor=clinician, patient_id=foreign_recorded.episode.patient_id).exists()


# --- Findings --------------------------------------------------------------------------------------------


def test_add_a_finding(api, clinician, episode):
    assessment = _completed(api, episode)

    response = api.post(
        "/api/findings/",
        {"assessment": assessment.pk, "label": "Tender TFL, right", "side": "right", "reason": "Palpation"},
    )

    assert response.status_code == 201, response.data
    assert (response.data["origin"], response.data["side"]) == ("added", "right")
    added = Finding.objects.get(pk=response.data["id"])
    assert (added.origin, added.added_by, added.reason) == (FindingOrigin.ADDED, clinician, "Palpation")
    assert AuditEvent.objects.filter(action="finding.added", object_id=added.pk, actor=clinician).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"label": "Tender TFL", "reason": ""}, "reason"), ({"label": "", "reason": "Palpation"}, "label")],
    ids=["no reason", "no label"],
)
def test_add_a_finding_without_reason_or_label_is_400(api, episode, payload, field):
    assessment = _completed(api, episode)
    count = assessment.findings.count()

    response = api.post("/api/findings/", {"assessment": assessment.pk, **payload})

    assert response.status_code == 400
    assert field in response.data
    assert assessment.findings.count() == count


def test_dismiss_a_finding(api, clinician, episode):
    assessment = _completed(api, episode)
    finding = _finding(assessment, "hip_flexor_tightness", "left")

    response = api.post(f"/api/findings/{finding.pk}/dismiss/", {"reason": "Pelvic tilt not controlled"})

    assert response.status_code == 200
    assert response.data["dismissed_at"]
    assert response.data["dismiss_reason"] == "Pelvic tilt not controlled"
    finding.refresh_from_db()
    assert (finding.is_active, finding.dismissed_by) == (False, clinician)
    assert AuditEvent.objects.filter(action="finding.dismissed", object_id=finding.pk, actor=clinician).exists()


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "   "}], ids=["missing", "empty", "blank"])
def test_dismiss_without_a_reason_is_400(api, episode, payload):
    assessment = _completed(api, episode)
    finding = _finding(assessment, "hip_flexor_tightness", "left")

    response = api.post(f"/api/findings/{finding.pk}/dismiss/", payload)

    assert response.status_code == 400
    assert "reason" in response.data
    finding.refresh_from_db()
    assert finding.is_active


def test_dismissal_survives_reopen_and_complete_through_the_api(api, client, clinician, episode):
    assessment = _completed(api, episode)
    finding = _finding(assessment, "hip_flexor_tightness", "left")
    api.post(f"/api/findings/{finding.pk}/dismiss/", {"reason": "Pelvic tilt not controlled"})
    login(client, clinician).post(f"/assessments/{assessment.pk}/reopen/")

    api.patch(f"/api/assessments/{assessment.pk}/", {"fms_hurdle_step_right": "2"}, format="json")
    response = api.post(f"/api/assessments/{assessment.pk}/complete/")

    assert response.status_code == 200
    findings = {(item["code"], item["side"]): item for item in response.data["findings"]}
    assert findings[("hip_flexor_tightness", "left")]["id"] == finding.pk
    assert findings[("hip_flexor_tightness", "left")]["dismiss_reason"] == "Pelvic tilt not controlled"
    assert ("fms_asymmetry_hurdle_step", "") not in findings


def test_findings_come_in_reading_order_with_their_tier_and_group(api, clinician, episode):
    # Deep squat 0 is pain on the pattern; hurdle step 2/1 scores 1 and is asymmetric.
    assessment = AssessmentFactory(episode=episode, exam={"fms_deep_squat": 0})
    for label in ("Tender TFL", "Overstriding"):
        services.finding_add(actor=clinician, assessment=assessment, label=label, side="", reason="Seen")
    services.finding_dismiss(
        actor=clinician, finding=_finding(assessment, "fms_low_composite"), reason="Explained by the squat pain"
    )

    listed = api.get("/api/findings/", {"assessment": assessment.pk}).data["results"]
    nested = api.get(f"/api/assessments/{assessment.pk}/").data["findings"]

    codes = [item["code"] for item in listed]
    assert [item["id"] for item in nested] == [item["id"] for item in listed]
    hurdle = codes.index("fms_score_one_hurdle_step")
    assert codes[hurdle + 1] == "fms_asymmetry_hurdle_step"
    in_order = [
        "fms_pain_deep_squat",
        "neural_tension_positive",
        "si_joint_pain_pattern",
        "clinician_tender_tfl",
        "hip_flexor_tightness",
        "clinician_overstriding",
        "fms_score_one_hurdle_step",
        "fms_low_composite",
    ]
    assert [code for code in codes if code in in_order] == in_order
    by_code = {item["code"]: item for item in listed}
    assert (by_code["fms_pain_deep_squat"]["tier"], by_code["fms_pain_deep_squat"]["group"]) == (
        "red_flag",
        "fms_deep_squat",
    )
    assert by_code["fms_asymmetry_hurdle_step"]["group"] == by_code["fms_score_one_hurdle_step"]["group"]
    assert (by_code["clinician_tender_tfl"]["tier"], by_code["clinician_tender_tfl"]["group"]) == (
        "condition",
        "clinician_tender_tfl",
    )
    assert by_code["clinician_overstriding"]["tier"] == "impairment"
    # Asked for, another order still applies.
    by_code_order = api.get("/api/findings/", {"assessment": assessment.pk, "ordering": "code"}).data["results"]
    assert [item["code"] for item in by_code_order] == sorted(codes)


# --- Who may use it ------------------------------------------------------------------------------------


@pytest.fixture
def foreign_recorded(foreign_episode):
    """A completed assessment of another clinic, recorded by that clinic's clinician."""
    return AssessmentFactory(episode=foreign_episode)


def _calls(assessment: Assessment) -> list[tuple[str, str, dict]]:
    finding = assessment.findings.order_by("id").first()
    return [
        ("get", "/api/assessments/", {}),
        ("get", f"/api/assessments/{assessment.pk}/", {}),
        ("post", "/api/assessments/", {"episode": assessment.episode_id, "kind": "reassessment"}),
        ("patch", f"/api/assessments/{assessment.pk}/", {"pain_today": 1}),
        ("post", f"/api/assessments/{assessment.pk}/complete/", {}),
        ("get", "/api/findings/", {}),
        ("post", "/api/findings/", {"assessment": assessment.pk, "label": "X", "reason": "Y"}),
        ("post", f"/api/findings/{finding.pk}/dismiss/", {"reason": "Because"}),
    ]


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_non_clinicians_get_403_everywhere(clinician, clinic, episode, role):
    recorded = AssessmentFactory(episode=episode, clinician=clinician, complete=False)
    finding = Finding.objects.create(assessment=recorded, code="overstriding", label="Overstriding")
    before = snapshot(recorded)
    user = UserFactory(clinic=clinic, roles=[role])
    api = _api(user)

    for method, url, data in _calls(recorded):
        response = getattr(api, method)(url, data, format="json")
        assert response.status_code == 403, (method, url)

    assert snapshot(recorded) == before
    assert Finding.objects.get(pk=finding.pk).is_active
    assert not AuditEvent.objects.filter(actor=user).exists()


def test_other_clinics_assessment_is_404(api, clinician, foreign_recorded):
    before = snapshot(foreign_recorded)
    finding = foreign_recorded.findings.order_by("id").first()

    assert api.get(f"/api/assessments/{foreign_recorded.pk}/").status_code == 404
    assert api.patch(f"/api/assessments/{foreign_recorded.pk}/", {"pain_today": 1}, format="json").status_code == 404
    assert api.post(f"/api/assessments/{foreign_recorded.pk}/complete/").status_code == 404
    assert api.post(f"/api/findings/{finding.pk}/dismiss/", {"reason": "Because"}).status_code == 404
    assert api.get(f"/api/findings/{finding.pk}/").status_code == 404
    added = api.post("/api/findings/", {"assessment": foreign_recorded.pk, "label": "X", "reason": "Y"})
    assert added.status_code == 400
    assert "assessment" in added.data

    assert snapshot(foreign_recorded) == before
    assert api.get("/api/findings/").data["results"] == []
    assert not AuditEvent.objects.filter(actor=clinician).exists()


def test_other_clinics_draft_cannot_be_patched_or_completed(api, foreign_episode):
    draft = AssessmentFactory(episode=foreign_episode, complete=False)
    before = snapshot(draft)

    assert api.patch(f"/api/assessments/{draft.pk}/", {"pain_today": 1}, format="json").status_code == 404
    assert api.post(f"/api/assessments/{draft.pk}/complete/").status_code == 404

    assert snapshot(draft) == before
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT
