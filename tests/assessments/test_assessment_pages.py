"""The assessment pages as a clinician uses them: start, the one-screen exam, completing with
derived findings, dismissing / restoring / adding findings, reopening; who may do what."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.utils.html import escape

from assessments import services
from assessments.findings import ExamInput
from assessments.models import Assessment, AssessmentKind, AssessmentStatus, Finding, FindingOrigin
from assessments.records import Visit
from clinic.models import AuditEvent
from clinic.permissions import Role
from tests.assessments.helpers import (
    BASELINE_DAY,
    CM_FIELDS,
    EXAM,
    REASSESSMENT_DAY,
    days_ago,
    exam_data,
    login,
    page_messages,
    post_exam,
    record,
    snapshot,
    started,
)
from tests.factories import AssessmentFactory, UserFactory
from tests.html_forms import read_form


@pytest.fixture
def as_clinician(client, clinician):
    return login(client, clinician)


def _findings_section(html: str) -> str:
    match = re.search(r'<section aria-labelledby="findings-h">.*?</section>', html, re.S)
    assert match, "no findings section on the page"
    return match.group(0)


def _finding(assessment: Assessment, code: str, side: str = "") -> Finding:
    return Finding.objects.get(assessment=assessment, code=code, side=side)


# --- Starting ---------------------------------------------------------------------------------------


def test_start_initial_opens_an_empty_draft_screen(as_clinician, clinician, episode):
    assessment = started(as_clinician, episode, "initial", BASELINE_DAY)

    assert (assessment.kind, assessment.status) == (AssessmentKind.INITIAL, AssessmentStatus.DRAFT)
    assert assessment.clinician == clinician
    assert assessment.assessed_on == BASELINE_DAY
    page = as_clinician.get(f"/assessments/{assessment.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Initial evaluation" in html
    assert "(draft)" in html
    assert read_form(html).values["assessed_on"] == BASELINE_DAY.isoformat()
    assert AuditEvent.objects.filter(action="assessment.started", object_id=assessment.pk).exists()


def test_second_initial_evaluation_is_refused_with_a_message(as_clinician, episode):
    started(as_clinician, episode, "initial")

    response = as_clinician.post(
        f"/episodes/{episode.pk}/assessments/new/",
        {"kind": "initial", "assessed_on": REASSESSMENT_DAY.isoformat()},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/episodes/{episode.pk}/"
    assert "This episode already has an initial evaluation; record a re-assessment." in page_messages(
        response.content.decode()
    )
    assert episode.assessments.count() == 1


@pytest.mark.parametrize("initial", ["none", "draft"], ids=["no initial", "initial still a draft"])
def test_reassessment_before_a_completed_baseline_is_refused(as_clinician, episode, initial):
    if initial == "draft":
        AssessmentFactory(episode=episode, complete=False)

    response = as_clinician.post(
        f"/episodes/{episode.pk}/assessments/new/",
        {"kind": "reassessment", "assessed_on": REASSESSMENT_DAY.isoformat()},
        follow=True,
    )

    assert response.status_code == 200
    assert "Complete the initial evaluation before a re-assessment." in page_messages(response.content.decode())
    assert not episode.assessments.filter(kind=AssessmentKind.REASSESSMENT).exists()


def test_reassessment_is_started_once_the_baseline_is_completed(as_clinician, episode):
    AssessmentFactory(episode=episode)

    reassessment = started(as_clinician, episode, "reassessment", REASSESSMENT_DAY)

    assert reassessment.kind == AssessmentKind.REASSESSMENT
    assert reassessment.status == AssessmentStatus.DRAFT


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (days_ago(-3).isoformat(), "The visit date cannot be in the future."),
        ("2025-02-30", "Enter a valid date."),
        ("", "This field is required."),
    ],
    ids=["future", "impossible", "blank"],
)
def test_a_refused_visit_date_is_shown_beside_the_field_with_what_was_typed(as_clinician, episode, typed, message):
    response = as_clinician.post(
        f"/episodes/{episode.pk}/assessments/new/",
        {"kind": "reassessment", "assessed_on": typed},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/episodes/{episode.pk}/#start-assessment"
    html = response.content.decode()
    start_form = re.search(r'<form[^>]*id="start-assessment".*?</form>', html, re.S).group(0)
    assert f'<p class="field-error" id="id_assessed_on_errors">{message}</p>' in start_form
    if typed:
        assert f'value="{typed}"' in start_form
    assert re.search(r'value="reassessment"[^>]*checked', start_form)
    assert not episode.assessments.exists()
    # Shown once: the page read again has the blank form back.
    again = as_clinician.get(f"/episodes/{episode.pk}/").content.decode()
    assert "field-error" not in re.search(r'<form[^>]*id="start-assessment".*?</form>', again, re.S).group(0)


# --- Saving a draft ---------------------------------------------------------------------------------


def test_save_draft_stores_every_value(as_clinician, episode):
    assessment = started(as_clinician, episode)

    response = post_exam(as_clinician, assessment, exam_data(), action="save", follow=True)

    assert response.redirect_chain[-1][0] == f"/assessments/{assessment.pk}/"
    assert "Draft saved." in page_messages(response.content.decode())
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert not assessment.findings.exists()
    # Centimetres with mm precision are stored as whole millimetres.
    assert (assessment.true_left_mm, assessment.true_right_mm) == (900, 888)
    assert (assessment.apparent_left_mm, assessment.apparent_right_mm) == (950, 939)
    assert (assessment.pain_today, assessment.cadence) == (6, 162)
    assert (assessment.overstriding, assessment.hip_drop, assessment.knee_valgus) == (True, True, False)
    assert assessment.form_notes == EXAM["form_notes"]
    flexion = assessment.rom.get(motion="flexion")
    assert (flexion.left, flexion.right, flexion.left_painful, flexion.right_painful) == (110, 118, True, False)
    extension = assessment.rom.get(motion="extension")
    assert (extension.left, extension.right) == (12, -4)
    hurdle = assessment.fms.get(test="hurdle_step")
    assert (hurdle.left, hurdle.right) == (2, 1)
    assert assessment.fms.get(test="deep_squat").left == 2
    thomas = assessment.special_tests.get(test="thomas", side="left")
    assert (thomas.result, thomas.iliopsoas_tight, thomas.rectus_femoris_tight, thomas.tfl_itb_tight) == (
        "positive",
        True,
        False,
        False,
    )
    slr = assessment.special_tests.get(test="slr", side="right")
    assert (slr.result, slr.angle, slr.reproduces_leg_symptoms) == ("positive", 45, True)
    faber = assessment.special_tests.get(test="faber", side="left")
    assert (faber.result, faber.pain_location) == ("positive", "posterior")
    assert assessment.special_tests.get(test="ober", side="right").result == "not_tested"


def test_reloading_a_saved_draft_shows_every_value_entered(as_clinician, episode):
    assessment = started(as_clinician, episode)
    post_exam(as_clinician, assessment, exam_data(), action="save")

    html = as_clinician.get(f"/assessments/{assessment.pk}/").content.decode()

    form = read_form(html)
    shown = form.values
    for name in sorted(form.controls):
        expected = EXAM.get(name, "")
        if name in CM_FIELDS:
            assert Decimal(shown[name]) == Decimal(expected), name
        else:
            assert shown.get(name, "") == expected, name
    assert shown["true_right_cm"] == "88.8"
    # Nothing of the exam went missing from the screen.
    assert set(EXAM) <= form.controls


def test_draft_saved_twice_keeps_the_latest_values_only(as_clinician, episode):
    assessment = started(as_clinician, episode)
    post_exam(as_clinician, assessment, exam_data(), action="save")

    post_exam(
        as_clinician,
        assessment,
        exam_data(
            rom_flexion_left_pain=None, overstriding=None, thomas_left_result="negative", thomas_left_iliopsoas=None
        ),
    )

    assessment.refresh_from_db()
    assert assessment.overstriding is False
    assert assessment.rom.get(motion="flexion").left_painful is False
    assert assessment.rom.count() == 6
    assert assessment.special_tests.get(test="thomas", side="left").result == "negative"
    assert assessment.special_tests.count() == 18


# --- Completing ---------------------------------------------------------------------------------------


def test_complete_derives_the_expected_findings(as_clinician, episode):
    assessment = started(as_clinician, episode)

    response = post_exam(as_clinician, assessment, exam_data(), action="complete", follow=True)

    assert "Assessment completed; findings derived below." in page_messages(response.content.decode())
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    assert assessment.completed_at is not None
    found = {(finding.code, finding.side) for finding in assessment.findings.all()}
    assert {
        ("hip_flexor_tightness", "left"),
        ("neural_tension_positive", "right"),
        ("fms_asymmetry_hurdle_step", ""),
        ("leg_length_discrepancy", "right"),
        ("si_joint_pain_pattern", "left"),
        ("overstriding", ""),
        ("contralateral_hip_drop", ""),
    } <= found
    assert ("neural_tension_positive", "left") not in found  # SLR negative on the left
    assert ("hip_flexor_tightness", "right") not in found  # Thomas negative on the right
    leg = _finding(assessment, "leg_length_discrepancy", "right")
    assert "12 mm, right short, structural" in leg.label
    assert {"source": "True leg length", "detail": "left 900 mm, right 888 mm, difference 12 mm"} in leg.evidence
    assert {"source": "Apparent leg length", "detail": "left 950 mm, right 939 mm, difference 11 mm"} in leg.evidence
    thomas = _finding(assessment, "hip_flexor_tightness", "left")
    assert {"source": "Thomas test", "detail": "positive, iliopsoas"} in thomas.evidence
    assert all(finding.origin == FindingOrigin.DERIVED and finding.is_active for finding in assessment.findings.all())


def test_slr_positive_without_leg_symptoms_gives_no_neural_tension_finding(as_clinician, episode):
    assessment = record(as_clinician, episode, changes={"slr_right_leg_symptoms": None})

    assert not assessment.findings.filter(code="neural_tension_positive").exists()


def test_result_page_lists_each_finding_with_its_evidence(as_clinician, episode):
    assessment = AssessmentFactory(episode=episode)

    html = as_clinician.get(f"/assessments/{assessment.pk}/").content.decode()

    section = _findings_section(html)
    findings = list(assessment.findings.all())
    assert len(findings) >= 7
    for finding in findings:
        assert escape(finding.label) in section
        for item in finding.evidence:
            assert escape(f"{item['source']}: {item['detail']}") in section
    assert "Hip flexor tightness – left" in section
    assert "Thomas test: positive, iliopsoas" in section
    # The completed page shows results, not the exam form.
    assert 'name="complete"' not in html
    assert "Composite: 14" in html


def test_result_page_lists_findings_by_clinical_weight_with_one_tests_facets_together(
    as_clinician, clinician, episode, django_assert_max_num_queries
):
    # Deep squat 0 is pain on the pattern (refer or assess); hurdle step 2/1 scores 1 and is asymmetric.
    assessment = AssessmentFactory(episode=episode, exam={"fms_deep_squat": 0})
    services.finding_add(actor=clinician, assessment=assessment, label="Tender TFL", side="right", reason="Palpated")

    with django_assert_max_num_queries(30):
        html = as_clinician.get(f"/assessments/{assessment.pk}/").content.decode()

    section = unescape(_findings_section(html))
    positions = [
        section.index(text)
        for text in (
            "Red flags – assess or refer before training",
            "Pain on FMS deep squat",
            "Conditions and pain patterns",
            "Positive neural tension test – right",
            "Tender TFL",
            "Impairments",
            "Hip flexor tightness – left",
            "Contralateral hip drop",
            "Screening cues",
            "FMS composite 12",
            "FMS hurdle step scored 1",
            "FMS hurdle step asymmetry",
        )
    ]
    assert positions == sorted(positions)
    hurdle = re.search(r'<div class="finding-group">\s*<h4>FMS hurdle step</h4>.*?</div>', section, re.S)
    assert hurdle, "the hurdle step's facets are not grouped under its name"
    assert "FMS hurdle step scored 1" in hurdle.group(0)
    assert "FMS hurdle step asymmetry" in hurdle.group(0)
    # The running assessment's two faults are grouped too.
    assert "<h4>Running form</h4>" in section


def test_result_page_lists_dismissed_findings_after_the_active_ones(as_clinician, clinician, episode):
    assessment = AssessmentFactory(episode=episode)
    services.finding_dismiss(
        actor=clinician, finding=_finding(assessment, "neural_tension_positive", "right"), reason="Hamstring only"
    )

    section = unescape(_findings_section(as_clinician.get(f"/assessments/{assessment.pk}/").content.decode()))

    dismissed = section.index(">Dismissed</h3>")
    assert section.index("Positive neural tension test – right") > dismissed
    assert section.index("FMS hurdle step asymmetry") < dismissed


# --- Dismissing, restoring, adding ------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_dismiss_needs_a_reason(as_clinician, episode, reason):
    assessment = AssessmentFactory(episode=episode)
    finding = _finding(assessment, "hip_flexor_tightness", "left")

    response = as_clinician.post(f"/findings/{finding.pk}/dismiss/", {"reason": reason}, follow=True)

    assert response.redirect_chain[-1][0] == f"/assessments/{assessment.pk}/"
    assert "Say why the finding is dismissed." in page_messages(response.content.decode())
    finding.refresh_from_db()
    assert finding.is_active
    assert finding.dismiss_reason == ""
    assert not AuditEvent.objects.filter(action="finding.dismissed").exists()


def test_dismiss_with_a_reason_is_shown_and_audited(as_clinician, clinician, episode):
    assessment = AssessmentFactory(episode=episode)
    finding = _finding(assessment, "hip_flexor_tightness", "left")

    response = as_clinician.post(
        f"/findings/{finding.pk}/dismiss/", {"reason": "Pelvic tilt not controlled during the test"}, follow=True
    )

    finding.refresh_from_db()
    assert not finding.is_active
    assert finding.dismissed_by == clinician
    assert finding.dismiss_reason == "Pelvic tilt not controlled during the test"
    html = response.content.decode()
    assert "Finding dismissed; plans will not use it." in page_messages(html)
    assert "Dismissed by Dana Lead" in html
    assert "Pelvic tilt not controlled during the test" in html
    assert f'action="/findings/{finding.pk}/restore/"' in html
    event = AuditEvent.objects.get(action="finding.dismissed")
    assert (event.actor, event.object_id, event.patient_id) == (clinician, finding.pk, episode.patient_id)


def test_restore_makes_a_dismissed_finding_active_again(as_clinician, episode):
    assessment = AssessmentFactory(episode=episode)
    finding = _finding(assessment, "hip_flexor_tightness", "left")
    as_clinician.post(f"/findings/{finding.pk}/dismiss/", {"reason": "Not reproducible"})

    as_clinician.post(f"/findings/{finding.pk}/restore/")

    finding.refresh_from_db()
    assert finding.is_active
    assert (finding.dismissed_by, finding.dismiss_reason) == (None, "")


def test_dismissal_survives_reopen_and_complete_again(as_clinician, episode):
    assessment = AssessmentFactory(episode=episode)
    dismissed = _finding(assessment, "hip_flexor_tightness", "left")
    as_clinician.post(f"/findings/{dismissed.pk}/dismiss/", {"reason": "Pelvic tilt not controlled"})

    reopened = as_clinician.post(f"/assessments/{assessment.pk}/reopen/", follow=True)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.completed_at is None
    assert "Reopened as a draft." in " ".join(page_messages(reopened.content.decode()))
    # The reopened screen shows the stored exam, ready to correct.
    assert read_form(reopened.content.decode()).values["true_right_cm"] == "88.8"

    # Corrected: hurdle step now even, knee valgus seen; the Thomas test is unchanged.
    response = post_exam(
        as_clinician, assessment, exam_data(fms_hurdle_step_right="2", knee_valgus="on"), action="complete"
    )

    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    again = _finding(assessment, "hip_flexor_tightness", "left")
    assert again.pk == dismissed.pk
    assert not again.is_active
    assert again.dismiss_reason == "Pelvic tilt not controlled"
    codes = set(assessment.findings.values_list("code", flat=True))
    assert "fms_asymmetry_hurdle_step" not in codes
    assert "knee_valgus" in codes
    assert _finding(assessment, "neural_tension_positive", "right").is_active


def test_added_finding_needs_a_reason(as_clinician, episode):
    assessment = AssessmentFactory(episode=episode)
    before = assessment.findings.count()

    response = as_clinician.post(
        f"/assessments/{assessment.pk}/findings/add/",
        {"label": "Tender TFL, right", "side": "right", "reason": ""},
        follow=True,
    )

    assert "Give the finding a name and a reason." in page_messages(response.content.decode())
    assert assessment.findings.count() == before
    assert not AuditEvent.objects.filter(action="finding.added").exists()


def test_added_finding_is_stored_shown_audited_and_kept_on_recomplete(as_clinician, clinician, episode):
    assessment = AssessmentFactory(episode=episode)

    response = as_clinician.post(
        f"/assessments/{assessment.pk}/findings/add/",
        {"label": "Tender TFL, right", "side": "right", "reason": "Palpation reproduces lateral hip pain"},
        follow=True,
    )

    added = assessment.findings.get(origin=FindingOrigin.ADDED)
    assert (added.label, added.side, added.added_by) == ("Tender TFL, right", "right", clinician)
    assert added.reason == "Palpation reproduces lateral hip pain"
    html = response.content.decode()
    assert "Finding added." in page_messages(html)
    assert "Tender TFL, right" in _findings_section(html)
    assert "(added by Dana Lead; not used by the rules)" in html
    assert "Clinician: Palpation reproduces lateral hip pain" in html
    event = AuditEvent.objects.get(action="finding.added")
    assert (event.actor, event.object_id) == (clinician, added.pk)

    as_clinician.post(f"/assessments/{assessment.pk}/reopen/")
    post_exam(as_clinician, assessment, exam_data(), action="complete")

    assert Finding.objects.filter(pk=added.pk, origin=FindingOrigin.ADDED).exists()


# --- A completed assessment is locked ------------------------------------------------------------------


@pytest.mark.parametrize("action", ["save", "complete"])
def test_completed_assessment_is_not_changed_by_a_post(as_clinician, episode, action):
    assessment = AssessmentFactory(episode=episode)
    before = snapshot(assessment)

    response = post_exam(as_clinician, assessment, exam_data(pain_today="2", rom_flexion_left="150"), action=action)

    assert response.status_code in (200, 302)
    assert snapshot(assessment) == before


def test_completed_assessment_post_tells_the_clinician_to_reopen(as_clinician, episode):
    assessment = AssessmentFactory(episode=episode)

    response = post_exam(as_clinician, assessment, exam_data(pain_today="2"), action="save", follow=True)

    assert "This assessment is completed; reopen it to change it." in response.content.decode()


def test_services_refuse_to_change_a_completed_assessment(clinician, episode, as_clinician):
    assessment = AssessmentFactory(episode=episode)
    before = snapshot(assessment)

    with pytest.raises(ValidationError, match="reopen it to change it"):
        services.assessment_save(
            actor=clinician,
            assessment=assessment,
            visit=Visit(assessment.assessed_on, assessment.rom_device, assessment.rom_mode, pain_today=1),
            exam=ExamInput(),
        )
    with pytest.raises(ValidationError, match="reopen it to change it"):
        services.assessment_complete(actor=clinician, assessment=assessment)

    assert snapshot(assessment) == before


# --- Who may see what ----------------------------------------------------------------------------------


@pytest.fixture
def recorded(clinician, episode):
    """A completed initial evaluation with derived findings, by our clinic's clinician."""
    return AssessmentFactory(episode=episode, clinician=clinician)


@pytest.fixture
def foreign_recorded(foreign_episode):
    """A completed assessment of another clinic, recorded by that clinic's clinician."""
    return AssessmentFactory(episode=foreign_episode)


def _routes(assessment: Assessment) -> list[tuple[str, str, dict]]:
    finding = assessment.findings.order_by("id").first()
    return [
        ("get", f"/assessments/{assessment.pk}/", {}),
        ("post", f"/assessments/{assessment.pk}/", {**exam_data(pain_today="1"), "save": ""}),
        ("post", f"/assessments/{assessment.pk}/reopen/", {}),
        ("post", f"/assessments/{assessment.pk}/findings/add/", {"label": "X", "reason": "Y"}),
        ("post", f"/findings/{finding.pk}/dismiss/", {"reason": "Because"}),
        ("post", f"/findings/{finding.pk}/restore/", {}),
        ("get", f"/episodes/{assessment.episode_id}/progress/", {}),
        ("post", f"/episodes/{assessment.episode_id}/assessments/new/", {"kind": "reassessment"}),
    ]


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_non_clinicians_get_403_on_every_assessment_page(client, clinic, recorded, role):
    user = UserFactory(clinic=clinic, roles=[role])
    login(client, user)
    before = snapshot(recorded)

    for method, url, data in _routes(recorded):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)

    assert snapshot(recorded) == before
    assert Assessment.objects.count() == 1
    assert not AuditEvent.objects.filter(actor=user, action__startswith="assessment.").exists()


def test_other_clinics_assessment_is_404_for_our_clinician(client, clinician, foreign_recorded):
    login(client, clinician)
    before = snapshot(foreign_recorded)

    for method, url, data in _routes(foreign_recorded):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)

    assert snapshot(foreign_recorded) == before
    assert not AuditEvent.objects.filter(actor=clinician, object_id=foreign_recorded.pk).exists()


def test_front_desk_sees_that_assessments_exist_and_when_without_links(client, clinic, recorded, episode):
    login(client, UserFactory(clinic=clinic, roles=[Role.FRONT_DESK]))

    html = client.get(f"/episodes/{episode.pk}/").content.decode()

    assert "Initial evaluation" in html
    assert BASELINE_DAY.strftime("%Y-%m-%d") in html
    assert f"/assessments/{recorded.pk}/" not in html
    assert "/progress/" not in html
    assert "/assessments/new/" not in html


def test_clinician_gets_a_link_to_the_assessment_on_the_episode_page(client, clinician, recorded, episode):
    login(client, clinician)

    html = client.get(f"/episodes/{episode.pk}/").content.decode()

    assert f'href="/assessments/{recorded.pk}/"' in html
    assert f'action="/episodes/{episode.pk}/assessments/new/"' in html


# --- Audit ------------------------------------------------------------------------------------------------


def test_viewing_saving_completing_dismissing_and_adding_are_audited(as_clinician, clinician, episode):
    assessment = started(as_clinician, episode)
    as_clinician.get(f"/assessments/{assessment.pk}/")  # draft screen
    post_exam(as_clinician, assessment, exam_data(), action="save")
    post_exam(as_clinician, assessment, exam_data(), action="complete")
    as_clinician.get(f"/assessments/{assessment.pk}/")  # result page
    finding = _finding(assessment, "overstriding")
    as_clinician.post(f"/findings/{finding.pk}/dismiss/", {"reason": "Filmed at warm-up pace"})
    as_clinician.post(
        f"/assessments/{assessment.pk}/findings/add/", {"label": "Tender TFL", "side": "", "reason": "Palpation"}
    )
    added = assessment.findings.get(origin=FindingOrigin.ADDED)

    events = AuditEvent.objects.filter(actor=clinician, patient_id=episode.patient_id)
    on_assessment = events.filter(object_type="assessments.assessment", object_id=assessment.pk)
    assert on_assessment.filter(action="assessment.viewed").count() == 2
    assert on_assessment.filter(action="assessment.saved").count() == 2  # the draft, then the completion's save
    assert on_assessment.filter(action="assessment.completed").count() == 1
    assert events.filter(action="finding.dismissed", object_type="assessments.finding", object_id=finding.pk).exists()
    assert events.filter(action="finding.added", object_type="assessments.finding", object_id=added.pk).exists()
    assert all(event.clinic_id == episode.patient.clinic_id for event in events)
