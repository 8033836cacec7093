"""What a plan is drafted from and what its draft shows: clinician conditions added from the list drive the generator
as derived findings do, findings in the clinician's own words are shown as not used by the rules; referrals and
contraindications follow the episode's red flags and clearances as they stand now, while signed versions keep those
of their signature; and an assessment with nothing recorded and no condition added cannot be drafted from."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from assessments import services as assessment_services
from assessments.findings import CLINICIAN_CONDITIONS, ExamInput
from assessments.models import Finding
from assessments.records import Visit
from assessments.scoring import RomReading
from assessments.sections import SECTIONS
from intake import services as intake_services
from plans import rules, selectors, services
from plans.models import Intervention, PlanVersion, TreatmentPlan
from tests.assessments.helpers import BASELINE_DAY, login, page_messages
from tests.factories import AssessmentFactory, PlanFactory
from tests.plans.helpers import (
    NO_NEURAL_TENSION,
    add_form_errors,
    api_client,
    draft,
    drafted,
    item_keys,
    item_of,
    red_flag,
    section,
    sign,
    text_of,
)

GT = "gluteal_tendinopathy"
GT_LABEL = "Gluteal tendinopathy / greater trochanteric pain syndrome (GTPS) – left"
URGENT_REFERRAL = "Urgent medical review: record medical clearance before any spinal manipulation."
NOTHING = "Nothing recorded to draft from: record at least one exam section or add a finding."
CLEARED = "Oncologist: in remission, no spinal lesion on recent imaging; cleared for manual therapy."


@pytest.fixture
def as_clinician(client, clinician):
    return login(client, clinician)


def _add(clinician, assessment, *, condition="", label="", side="", reason="Palpation"):
    return assessment_services.finding_add(
        actor=clinician, assessment=assessment, condition=condition, label=label, side=side, reason=reason
    )


def _intervention(clinic, key: str) -> Intervention:
    return Intervention.objects.get(clinic=clinic, key=key)


def _page(client, plan: TreatmentPlan) -> str:
    response = client.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _excluded_text(html: str) -> str:
    return text_of(section(html, "excluded-h")) if 'aria-labelledby="excluded-h"' in html else ""


# --- Clinician-added findings feed the generator -------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "read"),
    [("condition", True), ("condition dismissed", False), ("own words", False), ("own words naming it", False)],
)
def test_the_generator_reads_added_conditions_not_dismissed_and_never_own_words(clinician, episode, how, read):
    assessment = AssessmentFactory(episode=episode)
    if how.startswith("condition"):
        finding = _add(clinician, assessment, condition=GT, side="left")
    else:
        finding = _add(clinician, assessment, label="Gluteal tendinopathy" if "naming" in how else "Tender TFL")
    if how.endswith("dismissed"):
        assessment_services.finding_dismiss(actor=clinician, finding=finding, reason="Hip OA on imaging")

    facts = selectors.facts_for(assessment)["findings"]

    derived = set(assessment.findings.filter(origin="derived").values_list("code", flat=True))
    assert derived <= {fact.code for fact in facts}
    assert (rules.FindingFact(GT, "left", GT_LABEL) in facts) is read
    assert not [fact for fact in facts if fact.code.startswith("clinician_")]


@pytest.mark.parametrize(("code", "label"), CLINICIAN_CONDITIONS)
def test_an_added_condition_drafts_as_the_same_finding_derived_would(clinician, clinic, episode, code, label):
    assessment = AssessmentFactory(episode=episode)
    _add(clinician, assessment, condition=code, side="right")

    plan = services.plan_draft(actor=clinician, assessment=assessment)

    # The generator on the derived findings with the condition as one more of them.
    facts = selectors.facts_for(assessment)
    others = [fact for fact in facts["findings"] if fact.code != code]
    expected = rules.generate(
        library=selectors.library_for(clinic),
        mcid=selectors.thresholds_for_goals(clinic),
        **{**facts, "findings": [*others, rules.FindingFact(code, "right", f"{label} – right")]},
    )
    stored = list(plan.items.select_related("intervention"))
    assert {item.intervention.key: item.because for item in stored} == {
        item.intervention: list(item.because) for item in expected.items
    }
    assert (plan.weeks, plan.running_advice, plan.clinician_notes) == (
        expected.weeks,
        list(expected.running_advice),
        list(expected.notes),
    )
    assert plan.excluded == selectors.excluded_rows(expected, selectors.library_for(clinic))
    assert any(f"{label} – right" in item.because for item in stored), "the condition chose an item"


def test_gluteal_tendinopathy_drafts_its_programme_and_keeps_adducted_stretches_out(
    as_clinician, clinician, clinic, episode
):
    assessment = AssessmentFactory(episode=episode)
    _add(clinician, assessment, condition=GT, side="left", reason="Trochanter tender; pain lying on the left")
    # Conditions whose rules choose a piriformis stretch and soft-tissue work over the trochanter.
    _add(clinician, assessment, condition="piriformis_syndrome", side="left")
    _add(clinician, assessment, condition="itb_tfl_pain", side="left")

    plan = drafted(as_clinician, assessment)

    assert GT_LABEL in item_of(plan, "side-lying-hip-abduction").because
    assert GT_LABEL in item_of(plan, "glute-bridge").because
    assert plan.weeks == 8
    kept_out = {"piriformis-stretch", "tfl-itb-soft-tissue"}
    assert not item_keys(plan) & kept_out
    entries = [entry for entry in plan.excluded if entry["contraindication"] == "gluteal-tendinopathy-compression"]
    assert {entry["intervention"] for entry in entries} == kept_out
    assert all(entry["because"] == [GT_LABEL] and not entry["hard"] for entry in entries)
    shown = _excluded_text(_page(as_clinician, plan))
    for key in kept_out:
        assert f"{_intervention(clinic, key).name}: Gluteal tendinopathy" in shown


@pytest.mark.parametrize("key", ["itb-stretch", "piriformis-stretch"])
@pytest.mark.parametrize("via", ["page", "api"])
def test_gluteal_tendinopathy_added_from_the_list_makes_adducted_stretches_need_a_reason(
    client, clinician, clinic, episode, key, via
):
    assessment = AssessmentFactory(episode=episode)
    _add(clinician, assessment, condition=GT, side="left")
    plan = PlanFactory(assessment=assessment)
    plan.items.filter(intervention__key=key).delete()
    stretch = _intervention(clinic, key)

    if via == "page":
        client = login(client, clinician)
        response = client.post(f"/plans/{plan.pk}/items/add/", {"intervention": stretch.pk})
        shown = add_form_errors(response.content.decode())["override_reason"]
        assert shown.startswith(f"{stretch.name} is contraindicated. ")
        assert "Gluteal tendinopathy: hip adduction compresses the gluteal tendons" in shown
    else:
        response = api_client(clinician).post(
            f"/api/plans/{plan.pk}/items/", {"intervention": stretch.pk}, format="json"
        )
        assert response.status_code == 400
        assert "Gluteal tendinopathy: hip adduction" in response.data["override_reason"][0]
    assert not plan.items.filter(intervention=stretch).exists()

    item = services.item_add(
        actor=clinician, plan=plan, intervention=stretch, override_reason="Gentle range only; tendon settled"
    )
    assert "gluteal-tendinopathy-compression" in item.override_contraindication.split(",")


def test_an_own_words_finding_leaves_adducted_stretches_free_to_add(clinician, clinic, episode):
    assessment = AssessmentFactory(episode=episode)
    _add(clinician, assessment, label="Gluteal tendinopathy, left")
    plan = PlanFactory(assessment=assessment)
    plan.items.filter(intervention__key="itb-stretch").delete()

    item = services.item_add(actor=clinician, plan=plan, intervention=_intervention(clinic, "itb-stretch"))

    assert item.override_contraindication == ""


def test_plan_page_lists_own_words_findings_as_not_used_by_the_rules(as_clinician, clinician, episode):
    assessment = AssessmentFactory(episode=episode)
    _add(clinician, assessment, label="Tender TFL, right", reason="Palpation reproduces lateral hip pain")
    _add(clinician, assessment, condition=GT, side="left")
    dismissed = _add(clinician, assessment, label="Old finding")
    assessment_services.finding_dismiss(actor=clinician, finding=dismissed, reason="Not seen today")
    plan = PlanFactory(assessment=assessment)

    shown = text_of(section(_page(as_clinician, plan), "own-words-h"))

    assert "Findings not used by the rules" in shown
    assert (
        "Tender TFL, right (not used by the rules; added by Dana Lead: Palpation reproduces lateral hip pain)" in shown
    )
    assert "Gluteal tendinopathy" not in shown
    assert "Old finding" not in shown


def test_plan_page_has_no_such_list_without_own_words_findings(as_clinician, episode):
    html = _page(as_clinician, PlanFactory(assessment=AssessmentFactory(episode=episode)))

    assert 'aria-labelledby="own-words-h"' not in html


# --- Red flags and clearance: the draft now, signed versions as signed ----------------------------------------


@pytest.mark.parametrize(
    ("tier", "cleared", "blocked", "referrals"),
    [
        (None, False, False, ()),
        ("urgent", False, False, (URGENT_REFERRAL,)),
        ("urgent", True, False, ()),
        ("emergency", False, True, ("Emergency care now",)),
        ("emergency", True, False, ()),
    ],
    ids=["no flag", "urgent open", "urgent cleared", "emergency open", "emergency cleared"],
)
def test_screen_follows_the_flags_raised_and_cleared_after_drafting(
    clinician, episode, tier, cleared, blocked, referrals
):
    plan = PlanFactory(assessment=AssessmentFactory(episode=episode, exam=NO_NEURAL_TENSION))
    if tier:
        flag = red_flag(episode, code="cancer_history" if tier == "urgent" else "cauda_equina", tier=tier, label="Flag")
        if cleared:
            intake_services.red_flag_clear(actor=clinician, red_flag=flag, note=CLEARED)

    screen = selectors.screen(plan)

    assert screen.blocked is blocked
    assert len(screen.referrals) == len(referrals)
    assert all(referral.startswith(start) for referral, start in zip(screen.referrals, referrals, strict=True))
    flagged = {entry["contraindication"] for entry in screen.excluded} & {
        "urgent-red-flag",
        "manipulation-absolute-red-flag",
        "emergency-red-flag",
    }
    assert bool(flagged) is (bool(tier) and not cleared)


def _urgent_plan(client, episode):
    assessment = AssessmentFactory(episode=episode, exam=NO_NEURAL_TENSION)
    flag = red_flag(episode, code="cancer_history", tier="urgent", label="History of cancer")
    return drafted(client, assessment), flag


def test_draft_page_drops_the_referral_and_hard_exclusions_once_clearance_is_recorded(as_clinician, clinician, episode):
    plan, flag = _urgent_plan(as_clinician, episode)
    html = _page(as_clinician, plan)
    assert URGENT_REFERRAL in text_of(html)
    assert "An urgent red flag is open" in _excluded_text(html)
    assert "cannot be overridden" in _excluded_text(html)

    intake_services.red_flag_clear(actor=clinician, red_flag=flag, note=CLEARED)

    html = _page(as_clinician, plan)
    assert "Referral:" not in text_of(html)
    assert URGENT_REFERRAL not in text_of(html)
    assert "cannot be overridden" not in _excluded_text(html)
    assert "History of cancer" not in _excluded_text(html)
    assert "as they stand now" in text_of(html)
    # And the thrust the flag kept out may now be added with no reason.
    thrust = _intervention(plan.episode.patient.clinic, "lumbopelvic-thrust")
    assert services.item_add(actor=clinician, plan=plan, intervention=thrust).override_contraindication == ""


def test_api_shows_the_draft_as_the_flags_stand_now(as_clinician, clinician, episode):
    plan, flag = _urgent_plan(as_clinician, episode)
    api = api_client(clinician)
    before = api.get(f"/api/plans/{plan.pk}/").data
    assert before["referrals"] == [URGENT_REFERRAL]
    assert "urgent-red-flag" in {entry["contraindication"] for entry in before["excluded"]}

    intake_services.red_flag_clear(actor=clinician, red_flag=flag, note=CLEARED)

    after = api.get(f"/api/plans/{plan.pk}/").data
    assert after["referrals"] == []
    assert not {entry["contraindication"] for entry in after["excluded"]} & {
        "urgent-red-flag",
        "manipulation-absolute-red-flag",
    }
    listed = api.get("/api/plans/", {"episode": episode.pk}).data["results"]
    assert [row["referrals"] for row in listed] == [[]]


def test_redrafting_after_clearance_brings_back_the_thrust_with_no_referral(as_clinician, clinician, episode):
    plan, flag = _urgent_plan(as_clinician, episode)
    assert "lumbopelvic-thrust" not in item_keys(plan)

    intake_services.red_flag_clear(actor=clinician, red_flag=flag, note=CLEARED)
    again = drafted(as_clinician, plan.assessment)

    assert "lumbopelvic-thrust" in item_keys(again)
    assert again.referrals == []
    assert "Referral:" not in text_of(_page(as_clinician, again))


def test_a_version_signed_before_clearance_keeps_its_referral_and_says_so(as_clinician, clinician, clinic, episode):
    plan, flag = _urgent_plan(as_clinician, episode)
    sign(as_clinician, plan)
    first = PlanVersion.objects.get(plan=plan, number=1)

    intake_services.red_flag_clear(actor=clinician, red_flag=flag, note=CLEARED)

    html = as_clinician.get(f"/plans/{plan.pk}/versions/1/").content.decode()
    shown = text_of(section(html, "flags-h"))
    day = first.signed_at.astimezone(clinic.zone)
    assert f"As signed on {day.day} {day:%b %Y}: reflects the red flags and clearance at that time." in shown
    assert URGENT_REFERRAL in shown
    assert "Side-lying lumbopelvic (SI) thrust: An urgent red flag is open" in shown
    assert "cannot be overridden; because History of cancer" in shown
    assert first.body["referrals"] == [URGENT_REFERRAL]
    # The draft, meanwhile, shows the flags as they are now.
    assert URGENT_REFERRAL not in text_of(_page(as_clinician, plan))

    # Signed after the clearance, the next version records none.
    thrust = _intervention(clinic, "lumbopelvic-thrust")
    services.item_add(actor=clinician, plan=plan, intervention=thrust)
    sign(as_clinician, plan)
    second = PlanVersion.objects.get(plan=plan, number=2)
    assert second.body["referrals"] == []
    assert not [entry for entry in second.body["excluded"] if entry["contraindication"] == "urgent-red-flag"]
    shown = text_of(section(as_clinician.get(f"/plans/{plan.pk}/versions/2/").content.decode(), "flags-h"))
    assert "No referral, and no item left out by a contraindication." in shown


@pytest.mark.parametrize("via", ["page", "api"])
def test_an_emergency_flag_raised_after_drafting_blocks_signing(client, clinician, episode, via):
    plan = PlanFactory(assessment=AssessmentFactory(episode=episode))
    red_flag(episode, code="cauda_equina", tier="emergency", label="Saddle numbness")

    if via == "page":
        client = login(client, clinician)
        assert "An emergency red flag is open." in text_of(_page(client, plan))
        response = sign(client, plan, follow=True)
        shown = " ".join(page_messages(response.content.decode()))
        assert "A plan cannot be signed while an emergency red flag is open." in shown
        assert "Emergency care now" in shown
    else:
        response = api_client(clinician).post(f"/api/plans/{plan.pk}/sign/")
        assert response.status_code == 400
        assert "emergency red flag" in str(response.data)
    assert not plan.versions.exists()


# --- Nothing recorded to draft from -------------------------------------------------------------------------


def _assessment(clinician, episode, *, recorded: str = "", added: str = ""):
    """A completed assessment with every exam section marked not tested except ``recorded``, and ``added`` one
    finding of the clinician's: "condition", "dismissed condition" or "own words"."""
    assessment = assessment_services.assessment_start(
        actor=clinician, episode=episode, kind="initial", assessed_on=BASELINE_DAY
    )
    marks = {code: "Acute pain" for code, _ in SECTIONS if code != recorded}
    rom = (RomReading("flexion", 118, 119),) if recorded == "rom" else ()
    assessment_services.assessment_save(
        actor=clinician,
        assessment=assessment,
        visit=Visit(assessed_on=BASELINE_DAY, rom_device="goniometer", rom_mode="passive"),
        exam=ExamInput(rom=rom, not_tested=marks),
    )
    assessment_services.assessment_complete(actor=clinician, assessment=assessment)
    if added == "own words":
        _add(clinician, assessment, label="Tender trochanter")
    elif added:
        finding = _add(clinician, assessment, condition=GT, side="left")
        if added == "dismissed condition":
            assessment_services.finding_dismiss(actor=clinician, finding=finding, reason="Hip OA on imaging")
    assessment.refresh_from_db()
    return assessment


@pytest.mark.parametrize(
    ("recorded", "added", "allowed"),
    [
        ("", "", False),
        ("", "own words", False),
        ("", "dismissed condition", False),
        ("", "condition", True),
        ("rom", "", True),
        ("rom", "own words", True),
    ],
    ids=["nothing", "own words only", "dismissed condition", "condition", "one section", "one section and own words"],
)
def test_plan_draft_needs_a_recorded_section_or_a_condition(clinician, episode, recorded, added, allowed):
    assessment = _assessment(clinician, episode, recorded=recorded, added=added)

    if allowed:
        plan = services.plan_draft(actor=clinician, assessment=assessment)
        assert plan.items.exists()
        if added == "condition":
            assert GT_LABEL in item_of(plan, "side-lying-hip-abduction").because
    else:
        with pytest.raises(ValidationError) as refused:
            services.plan_draft(actor=clinician, assessment=assessment)
        assert refused.value.messages == [NOTHING]
        assert not TreatmentPlan.objects.exists()


def test_page_refuses_to_draft_from_nothing_with_the_reason(as_clinician, clinician, episode):
    assessment = _assessment(clinician, episode)

    response = draft(as_clinician, assessment, follow=True)

    assert response.redirect_chain[-1][0] == f"/assessments/{assessment.pk}/"
    assert NOTHING in page_messages(response.content.decode())
    assert not TreatmentPlan.objects.exists()

    _add(clinician, assessment, condition=GT, side="left")
    assert drafted(as_clinician, assessment).items.exists()


def test_api_refuses_to_draft_from_nothing_with_400(clinician, episode):
    assessment = _assessment(clinician, episode, added="own words")
    api = api_client(clinician)

    response = api.post("/api/plans/", {"assessment": assessment.pk}, format="json")

    assert response.status_code == 400
    assert NOTHING in str(response.data)
    assert not TreatmentPlan.objects.exists()
    assert Finding.objects.filter(assessment=assessment).count() == 1
