"""The plan pages as a clinician uses them: drafting from a completed assessment, red flags and
contraindications, editing items and plan details, adding from the library with or without an
override; who may see what; bad input; audit rows; query counts."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.models import AuditEvent
from plans import library, services
from plans.models import Contraindication, Intervention, PlanItem, PlanRule, RuleItem, TreatmentPlan
from tests.assessments.helpers import error_summary, login, page_messages
from tests.factories import AssessmentFactory, EpisodeFactory, PatientFactory, PlanFactory, SignedPlanFactory
from tests.html_forms import form_data
from tests.plans.helpers import (
    NO_NEURAL_TENSION,
    add_form_errors,
    article,
    audit_rows,
    draft,
    drafted,
    episode_plan_panel,
    foreign_plan,
    item_data,
    item_keys,
    item_of,
    plan_keys_by_prong,
    red_flag,
    section,
    sign,
    text_of,
)

THRUSTS = {"lumbar-hvla-thrust", "lumbopelvic-thrust"}
# A valid settings form post (used where the answer must be 403 / 404 whatever is sent).
SETTINGS_POST = {"plan-visits_per_week": "3", "plan-weeks": "4", "plan-goals": "", "plan-running_advice": ""}


@pytest.fixture
def as_clinician(client, clinician):
    return login(client, clinician)


@pytest.fixture
def assessment(episode):
    return AssessmentFactory(episode=episode)


@pytest.fixture
def plan(assessment):
    return PlanFactory(assessment=assessment)


def _add(client, plan, intervention, reason: str = "", **extra):
    return client.post(
        f"/plans/{plan.pk}/items/add/", {"intervention": intervention.pk, "override_reason": reason}, **extra
    )


def _intervention(clinic, key: str) -> Intervention:
    return Intervention.objects.get(clinic=clinic, key=key)


def _html(client, plan) -> str:
    response = client.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _prong_section(html: str, prong: str) -> str:
    return section(html, f"prong-{prong}")


# --- Drafting -----------------------------------------------------------------------------------------


def test_drafting_seeds_the_library_and_lists_each_item_with_its_reasons(as_clinician, clinician, clinic, assessment):
    assert not Intervention.objects.filter(clinic=clinic).exists()

    plan = drafted(as_clinician, assessment)

    # The clinic's library is seeded on first use.
    assert Intervention.objects.filter(clinic=clinic).count() == len(library.INTERVENTIONS)
    assert plan.status == "draft"
    assert (plan.episode, plan.assessment, plan.created_by) == (assessment.episode, assessment, clinician)
    stretch = item_of(plan, "hip-flexor-stretch")
    assert stretch.prong == "exercise"
    assert "Hip flexor tightness – left" in stretch.because
    assert stretch.dosage_text == "2–4 holds each side, 20–30 s each, daily"
    assert stretch.instructions == _intervention(clinic, "hip-flexor-stretch").instructions
    assert stretch.home_program is True
    assert item_of(plan, "lumbar-mobilisation").because == ["Positive neural tension test – right"]
    assert set(plan_keys_by_prong(plan)) == {"manipulation", "soft_tissue", "exercise"}
    assert plan.goals, "goals are written from the baseline"

    html = _html(as_clinician, plan)
    block = text_of(article(html, stretch))
    assert "Half-kneeling hip-flexor stretch" in block
    assert "Because: Hip flexor tightness – left;" in block
    assert "2–4 holds each side, 20–30 s each, daily" in block
    assert "Hip flexor tightness – left" not in text_of(article(html, item_of(plan, "clamshell")))
    for prong, label in library.PRONG_LABELS.items():
        assert label in _prong_section(html, prong)
    assert stretch.name in _prong_section(html, "exercise")
    assert "Hip mobilisation" in _prong_section(html, "manipulation")
    assert "Hip-flexor soft-tissue work" in _prong_section(html, "soft_tissue")

    (row,) = audit_rows("plan.drafted", plan)
    assert row.actor == clinician
    assert row.patient_id == assessment.episode.patient_id


def test_drafting_ignores_dismissed_findings(as_clinician, assessment):
    finding = assessment.findings.get(code="neural_tension_positive", side="right")
    response = as_clinician.post(f"/findings/{finding.pk}/dismiss/", {"reason": "Hamstring tightness, not neural"})
    assert response.status_code == 302

    plan = drafted(as_clinician, assessment)

    # Without the neural tension finding its rule and its contraindication no longer apply.
    assert "lumbar-mobilisation" not in item_keys(plan)
    assert "lumbopelvic-thrust" in item_keys(plan)
    assert plan.excluded == []
    assert not any("Positive neural tension test" in label for item in plan.items.all() for label in item.because)


def test_a_draft_assessment_cannot_be_drafted_into_a_plan(as_clinician, episode):
    assessment = AssessmentFactory(episode=episode, complete=False)

    response = draft(as_clinician, assessment, follow=True)

    assert response.redirect_chain[-1][0] == f"/assessments/{assessment.pk}/"
    assert "Complete the assessment before drafting a plan." in page_messages(response.content.decode())
    assert not TreatmentPlan.objects.exists()


def test_urgent_red_flag_keeps_thrust_out_and_shows_the_referral(as_clinician, clinic, episode):
    assessment = AssessmentFactory(episode=episode, exam=NO_NEURAL_TENSION)
    # Without the flag the SI pattern brings the lumbopelvic thrust.
    assert "lumbopelvic-thrust" in item_keys(drafted(as_clinician, assessment))

    red_flag(episode, code="cancer_history", tier="urgent", label="History of cancer")
    plan = drafted(as_clinician, assessment)

    assert not item_keys(plan) & THRUSTS
    assert not [item for item in plan.items.select_related("intervention") if "thrust" in item.intervention.tags]
    by_prong = plan_keys_by_prong(plan)
    assert by_prong["soft_tissue"]
    assert by_prong["exercise"]
    assert "hip-mobilisation" in by_prong["manipulation"]  # mobilisation is not thrust
    assert plan.referrals == ["Urgent medical review: record medical clearance before any spinal manipulation."]
    entries = [entry for entry in plan.excluded if entry["intervention"] == "lumbopelvic-thrust"]
    assert {entry["contraindication"] for entry in entries} == {"urgent-red-flag", "manipulation-absolute-red-flag"}
    assert all(entry["hard"] and entry["because"] == ["History of cancer"] for entry in entries)

    html = _html(as_clinician, plan)
    referral = text_of(html[html.index('<div class="flag-box" role="alert">') :].split("</div>")[0])
    assert "Referral:" in referral
    assert "Urgent medical review: record medical clearance before any spinal manipulation." in referral
    excluded = text_of(section(html, "excluded-h"))
    assert "Side-lying lumbopelvic (SI) thrust: An urgent red flag is open" in excluded
    assert "cannot be overridden" in excluded
    assert "History of cancer" in excluded


def test_open_emergency_flag_refuses_drafting_with_the_referral(as_clinician, episode):
    assessment = AssessmentFactory(episode=episode)
    red_flag(episode, code="cauda_equina", tier="emergency", label="Saddle numbness and new bladder retention")

    response = draft(as_clinician, assessment, follow=True)

    assert response.redirect_chain[-1][0] == f"/assessments/{assessment.pk}/"
    shown = " ".join(page_messages(response.content.decode()))
    assert "Plan generation is blocked while an emergency red flag is open." in shown
    assert "Emergency care now" in shown
    assert not TreatmentPlan.objects.exists()
    assert not AuditEvent.objects.filter(action="plan.drafted").exists()


def test_a_cleared_emergency_flag_no_longer_blocks(as_clinician, clinician, episode):
    assessment = AssessmentFactory(episode=episode)
    flag = red_flag(episode, code="cauda_equina", tier="emergency", label="Saddle numbness")
    flag.cleared_at = timezone.now()
    flag.cleared_by = clinician
    flag.clearance_note = "Seen in the emergency department; cauda equina excluded on MRI."
    flag.save()

    plan = drafted(as_clinician, assessment)

    assert plan.referrals == []
    assert plan.items.exists()


# --- Contraindications when adding from the library ---------------------------------------------------


def test_neural_tension_hamstring_stretch_needs_a_reason_to_be_added(as_clinician, clinician, clinic, plan):
    """The seeded library: a positive SLR with leg symptoms makes the hamstring stretch a soft exclusion,
    whether or not a rule picked it for this plan."""
    hamstring = _intervention(clinic, "hamstring-stretch")

    response = _add(as_clinician, plan, hamstring)

    assert response.status_code == 400
    assert "hamstring-stretch" not in item_keys(plan)
    error = add_form_errors(response.content.decode())["override_reason"]
    assert error.startswith("Lying hamstring stretch is contraindicated")
    assert "reason" in error.lower()

    _add(as_clinician, plan, hamstring, "Symptoms centralised; gentle stretch only")

    item = item_of(plan, "hamstring-stretch")
    assert item.override_contraindication == "radicular-hamstring-stretch"
    assert item.override_reason == "Symptoms centralised; gentle stretch only"
    assert [row.actor for row in audit_rows("plan.contraindication_overridden", item)] == [clinician]


def test_excluded_stretch_is_listed_and_kept_only_with_a_written_reason(as_clinician, clinician, clinic, assessment):
    # The clinic's library has the neural-tension rule pick the hamstring stretch (as a clinic admin may
    # set up in the Django admin): the contraindication leaves it out of the draft.
    services.library_seed(clinic=clinic)
    RuleItem.objects.create(
        rule=PlanRule.objects.get(clinic=clinic, key="neural-tension-radicular"),
        intervention=_intervention(clinic, "hamstring-stretch"),
        order=9,
    )
    plan = drafted(as_clinician, assessment)
    hamstring = _intervention(clinic, "hamstring-stretch")

    assert "hamstring-stretch" not in item_keys(plan)
    (entry,) = [entry for entry in plan.excluded if entry["intervention"] == "hamstring-stretch"]
    assert (entry["contraindication"], entry["hard"]) == ("radicular-hamstring-stretch", False)
    assert entry["because"] == ["Positive neural tension test – right"]
    excluded = text_of(section(_html(as_clinician, plan), "excluded-h"))
    assert "Lying hamstring stretch: Positive SLR / slump or radicular leg pain" in excluded
    assert "may be overridden with a reason" in excluded

    for reason in ("", "   "):
        response = _add(as_clinician, plan, hamstring, reason)
        assert "hamstring-stretch" not in item_keys(plan)
        error = add_form_errors(response.content.decode())["override_reason"]
        assert error.startswith("Lying hamstring stretch is contraindicated")
        assert error.endswith("Give a reason.")
    assert not AuditEvent.objects.filter(action="plan.contraindication_overridden").exists()

    response = _add(as_clinician, plan, hamstring, "  Leg symptoms settled; gentle, short holds only  ", follow=True)

    assert "Lying hamstring stretch added." in page_messages(response.content.decode())
    item = item_of(plan, "hamstring-stretch")
    assert (item.prong, item.because) == ("exercise", ["Added by the clinician"])
    assert item.override_contraindication == "radicular-hamstring-stretch"
    assert item.override_reason == "Leg symptoms settled; gentle, short holds only"
    (row,) = audit_rows("plan.contraindication_overridden", item)
    assert (row.actor, row.changed_fields) == (clinician, ["override_reason"])
    block = text_of(article(response.content.decode(), item))
    assert "Contraindication overridden: Leg symptoms settled; gentle, short holds only" in block


def test_a_refused_add_keeps_the_choice_and_shows_the_error_beside_the_reason(as_clinician, clinic, plan):
    """Refused for want of a reason, the form comes back with the item still chosen, the error beside the
    reason field and the other forms on the page still posting to their own addresses."""
    hamstring = _intervention(clinic, "hamstring-stretch")
    before = sorted(plan.items.values_list("id", flat=True))

    response = _add(as_clinician, plan, hamstring, "   ")

    assert response.status_code == 400
    html = response.content.decode()
    add = section(html, "add-h")
    assert re.search(rf'<option value="{hamstring.pk}" selected>', add), "the chosen item is not kept"
    assert "contraindicated, needs a written reason" in text_of(add)
    assert add_form_errors(html) == {
        "override_reason": (
            "Lying hamstring stretch is contraindicated. Positive SLR / slump or radicular leg pain: tensioning an "
            "irritated nerve can increase radiating symptoms; use gentle nerve glides instead (weak evidence; the "
            "clinic's method: stretching the hamstring aggravates sciatica). Give a reason."
        )
    }
    assert 'href="#id_override_reason"' in html
    assert f'<form method="post" action="/plans/{plan.pk}/" novalidate>' in section(html, "settings-h")
    assert sorted(plan.items.values_list("id", flat=True)) == before


def test_a_refused_add_keeps_the_typed_reason(as_clinician, clinic, assessment):
    """A hard exclusion refuses the item whatever the reason: the reason typed stays in the form."""
    red_flag(assessment.episode, code="cancer_history", tier="urgent", label="History of cancer")
    plan = PlanFactory(assessment=assessment)
    thrust = _intervention(clinic, "lumbar-hvla-thrust")

    response = _add(as_clinician, plan, thrust, "Patient asks & it helped before")

    add = section(response.content.decode(), "add-h")
    assert re.search(rf'<option value="{thrust.pk}" selected>', add)
    assert re.search(r">\s*Patient asks &amp; it helped before</textarea>", add)
    assert add_form_errors(response.content.decode())["intervention"].startswith(f"{thrust.name} cannot be added")


def test_the_reason_field_says_it_is_for_any_contraindicated_item(as_clinician, plan):
    add = text_of(section(_html(as_clinician, plan), "add-h"))

    assert "Reason for adding a contraindicated item (needed only for items marked contraindicated)" in add
    assert "excluded" not in add


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (["Ends with a bracket (weak)."], "Cat-cow is contraindicated. Ends with a bracket (weak). Give a reason."),
        (["No full stop"], "Cat-cow is contraindicated. No full stop. Give a reason."),
        (["Asks? ", "Asks? "], "Cat-cow is contraindicated. Asks? Give a reason."),
        (["One.", "Two (S1)"], "Cat-cow is contraindicated. One. Two (S1). Give a reason."),
    ],
)
def test_the_missing_reason_message_has_no_doubled_punctuation(clinician, clinic, plan, reasons, expected):
    for number, reason in enumerate(reasons):
        Contraindication.objects.create(
            clinic=clinic,
            key=f"test-{number}",
            name=f"Test {number}",
            when_findings=["neural_tension_positive"],
            excludes_tags=["flexion"],
            hard=False,
            reason=reason,
        )
    with pytest.raises(ValidationError) as refused:
        services.item_add(actor=clinician, plan=plan, intervention=_intervention(clinic, "cat-cow"))

    assert refused.value.message_dict == {"override_reason": [expected]}


@pytest.mark.parametrize("key", sorted(THRUSTS))
def test_hard_excluded_thrust_cannot_be_added_even_with_a_reason(as_clinician, clinic, episode, key):
    assessment = AssessmentFactory(episode=episode, exam=NO_NEURAL_TENSION)
    red_flag(episode, code="cancer_history", tier="urgent", label="History of cancer")
    plan = drafted(as_clinician, assessment)
    thrust = _intervention(clinic, key)

    for reason in ("", "The patient asks for it"):
        response = _add(as_clinician, plan, thrust, reason)
        errors = add_form_errors(response.content.decode())
        assert errors["intervention"].startswith(f"{thrust.name} cannot be added"), errors

    assert not item_keys(plan) & THRUSTS
    assert not AuditEvent.objects.filter(action__in=["plan.item_added", "plan.contraindication_overridden"]).exists()


def test_one_hard_exclusion_blocks_an_item_a_soft_one_also_excludes(as_clinician, clinic, assessment):
    # A clinic-added hard contraindication, after the seeded soft "relative contraindication to thrust".
    services.library_seed(clinic=clinic)
    Contraindication.objects.create(
        clinic=clinic,
        key="no-si-thrust",
        name="Clinic policy: no SI thrust",
        when_findings=["si_joint_pain_pattern"],
        excludes_tags=["thrust"],
        hard=True,
        reason="Clinic policy: no SI thrust.",
    )
    plan = drafted(as_clinician, assessment)
    assert [
        (entry["contraindication"], entry["hard"])
        for entry in plan.excluded
        if entry["intervention"] == "lumbopelvic-thrust"
    ] == [("radicular-thrust-relative", False), ("no-si-thrust", True)]

    response = _add(as_clinician, plan, _intervention(clinic, "lumbopelvic-thrust"), "Reasoned override")

    assert "lumbopelvic-thrust" not in item_keys(plan)
    assert "cannot be added" in add_form_errors(response.content.decode())["intervention"]


def test_adding_an_item_that_nothing_excludes(as_clinician, clinician, clinic, plan):
    cat_cow = _intervention(clinic, "cat-cow")

    response = _add(as_clinician, plan, cat_cow, follow=True)

    assert "Cat-cow added." in page_messages(response.content.decode())
    item = item_of(plan, "cat-cow")
    assert (item.prong, item.override_contraindication, item.override_reason) == ("exercise", "", "")
    assert item.order == max(plan.items.filter(prong="exercise").values_list("order", flat=True))
    assert item.dosage_text == cat_cow.dosage_text
    assert [row.actor for row in audit_rows("plan.item_added", item)] == [clinician]

    again = _add(as_clinician, plan, cat_cow)
    assert add_form_errors(again.content.decode()) == {"intervention": "Cat-cow is already in the plan."}
    assert plan.items.filter(intervention=cat_cow).count() == 1


@pytest.mark.parametrize("value", ["999999", "abc", "", "foreign", "inactive"])
def test_adding_an_unknown_intervention_is_refused(as_clinician, clinic, other_clinic, plan, value):
    if value == "foreign":
        services.library_seed(clinic=other_clinic)
        value = str(_intervention(other_clinic, "cat-cow").pk)
    elif value == "inactive":
        Intervention.objects.filter(clinic=clinic, key="cat-cow").update(active=False)
        value = str(_intervention(clinic, "cat-cow").pk)
    before = sorted(plan.items.values_list("id", flat=True))

    response = as_clinician.post(f"/plans/{plan.pk}/items/add/", {"intervention": value})

    assert response.status_code == 400
    (error,) = add_form_errors(response.content.decode()).values()
    assert error in {"Choose an item from the library.", "Choose an item from your clinic's library."}
    assert sorted(plan.items.values_list("id", flat=True)) == before


# --- Editing the draft -------------------------------------------------------------------------------


def test_editing_an_items_dosage_and_instructions(as_clinician, clinician, plan):
    bridge = item_of(plan, "glute-bridge")

    response = as_clinician.post(
        f"/plan-items/{bridge.pk}/",
        item_data(bridge, sets="3", reps="12", frequency="every other day", instructions="Slow on the way down."),
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/plans/{plan.pk}/"
    assert "Glute bridge updated." in page_messages(response.content.decode())
    bridge.refresh_from_db()
    assert (bridge.sets, bridge.reps, bridge.frequency) == (3, "12", "every other day")
    assert bridge.instructions == "Slow on the way down."
    assert "Dosage: 3 × 12, every other day" in text_of(article(response.content.decode(), bridge))
    (row,) = audit_rows("plan.item_changed", bridge)
    assert row.actor == clinician
    assert row.changed_fields == ["frequency", "instructions", "reps", "sets"]


@pytest.mark.parametrize("sets", ["abc", "-1", "0", "2.5"])
def test_a_bad_number_of_sets_is_refused_and_nothing_is_saved(as_clinician, plan, sets):
    as_clinician.raise_request_exception = False
    bridge = item_of(plan, "glute-bridge")
    before = model_to_dict(PlanItem.objects.get(pk=bridge.pk))

    response = as_clinician.post(f"/plan-items/{bridge.pk}/", item_data(bridge, sets=sets, reps="12"), follow=True)

    assert response.status_code == 200
    assert any(message.startswith("Glute bridge: sets:") for message in page_messages(response.content.decode()))
    assert model_to_dict(PlanItem.objects.get(pk=bridge.pk)) == before
    assert not audit_rows("plan.item_changed", bridge)


def test_removing_an_item(as_clinician, clinician, plan):
    clamshell = item_of(plan, "clamshell")

    response = as_clinician.post(f"/plan-items/{clamshell.pk}/remove/", follow=True)

    assert "Clamshell removed." in page_messages(response.content.decode())
    assert "clamshell" not in item_keys(plan)
    assert "Clamshell" not in _prong_section(response.content.decode(), "exercise")
    assert AuditEvent.objects.filter(action="plan.item_removed", object_id=clamshell.pk, actor=clinician).exists()


def test_moving_items_within_their_prong(as_clinician, plan):
    exercises = plan_keys_by_prong(plan)["exercise"]
    first, second = exercises[0], exercises[1]

    as_clinician.post(f"/plan-items/{item_of(plan, second).pk}/move/up/")

    assert plan_keys_by_prong(plan)["exercise"][:2] == [second, first]
    html = _prong_section(_html(as_clinician, plan), "exercise")
    assert html.index(item_of(plan, second).name) < html.index(item_of(plan, first).name)

    as_clinician.post(f"/plan-items/{item_of(plan, second).pk}/move/down/")
    assert plan_keys_by_prong(plan)["exercise"] == exercises

    # The first cannot move further up; the last cannot move further down.
    as_clinician.post(f"/plan-items/{item_of(plan, first).pk}/move/up/")
    as_clinician.post(f"/plan-items/{item_of(plan, exercises[-1]).pk}/move/down/")
    assert plan_keys_by_prong(plan)["exercise"] == exercises


def test_saving_visits_goals_advice_and_reasons(as_clinician, clinician, plan):
    data = form_data(
        as_clinician,
        f"/plans/{plan.pk}/",
        prefix="plan",
        visits_per_week="2",
        weeks="8",
        goals="Run 10 km without pain\n\n  Return to parkrun  \n",
        running_advice="Easy runs only for two weeks",
        missing_soft_tissue="  Not needed  ",
    )

    response = as_clinician.post(f"/plans/{plan.pk}/", data, follow=True)

    assert "Plan details saved." in page_messages(response.content.decode())
    plan.refresh_from_db()
    assert (plan.visits_per_week, plan.weeks) == (2, 8)
    assert plan.goals == ["Run 10 km without pain", "Return to parkrun"]
    assert plan.running_advice == ["Easy runs only for two weeks"]
    assert plan.missing_prong_reasons == {"soft_tissue": "Not needed"}
    assert AuditEvent.objects.filter(action="plan.updated", object_id=plan.pk, actor=clinician).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("visits_per_week", "0"),
        ("visits_per_week", "9"),
        ("weeks", "0"),
        ("weeks", "60"),
        ("visits_per_week", "abc"),
        ("weeks", ""),
    ],
)
def test_out_of_range_visits_or_weeks_are_refused_on_the_field(as_clinician, plan, field, value):
    before = model_to_dict(TreatmentPlan.objects.get(pk=plan.pk))
    data = form_data(
        as_clinician, f"/plans/{plan.pk}/", prefix="plan", goals="A goal that must not be saved", **{field: value}
    )

    response = as_clinician.post(f"/plans/{plan.pk}/", data)

    assert response.status_code == 200
    errors = error_summary(response.content.decode())
    assert f"id_plan-{field}" in errors, errors
    assert model_to_dict(TreatmentPlan.objects.get(pk=plan.pk)) == before
    assert not AuditEvent.objects.filter(action="plan.updated").exists()


# --- Who may see what --------------------------------------------------------------------------------


def test_front_desk_gets_403_on_every_plan_page(client, front_desk, episode):
    plan = SignedPlanFactory(assessment__episode=episode)
    assessment = plan.assessment
    item = item_of(plan, "glute-bridge")
    before = model_to_dict(PlanItem.objects.get(pk=item.pk))

    login(client, front_desk)
    for url in (f"/plans/{plan.pk}/", f"/plans/{plan.pk}/versions/1/"):
        assert client.get(url).status_code == 403, url
    for url, data in (
        (f"/assessments/{assessment.pk}/plan/", {}),
        (f"/plans/{plan.pk}/", SETTINGS_POST),
        (f"/plans/{plan.pk}/items/add/", {"intervention": item.intervention_id}),
        (f"/plans/{plan.pk}/sign/", {}),
        (f"/plan-items/{item.pk}/", item_data(item, sets="5")),
        (f"/plan-items/{item.pk}/remove/", {}),
        (f"/plan-items/{item.pk}/move/down/", {}),
    ):
        assert client.post(url, data).status_code == 403, url

    assert TreatmentPlan.objects.count() == 1
    assert model_to_dict(PlanItem.objects.get(pk=item.pk)) == before
    assert plan.versions.count() == 1
    assert not AuditEvent.objects.filter(actor=front_desk, action__startswith="plan.").exists()


def test_clinic_admin_cannot_open_a_plan(client, clinic_admin, episode):
    plan = PlanFactory(assessment__episode=episode)

    login(client, clinic_admin)

    assert client.get(f"/plans/{plan.pk}/").status_code == 403


def test_front_desk_sees_only_the_visit_schedule_on_the_episode_page(client, clinician, front_desk, episode):
    plan = PlanFactory(assessment__episode=episode)
    login(client, front_desk)
    assert "No signed plan yet." in episode_plan_panel(client, episode)

    login(client, clinician)
    client.post(
        f"/plans/{plan.pk}/", form_data(client, f"/plans/{plan.pk}/", prefix="plan", visits_per_week="2", weeks="8")
    )
    assert sign(client, plan).status_code == 302
    clinician_panel = episode_plan_panel(client, episode)
    assert f'href="/plans/{plan.pk}/"' in clinician_panel
    assert f'href="/plans/{plan.pk}/versions/1/"' in clinician_panel

    login(client, front_desk)
    panel = episode_plan_panel(client, episode)

    assert "2 visits a week for 8 weeks" in text_of(panel)
    assert "/plans/" not in panel
    # The only link is the front desk's own: booking the plan's visits.
    assert panel.count("href") == 1
    assert f'href="/schedule/episodes/{episode.pk}/plan/"' in panel
    assert "Glute bridge" not in panel


def test_another_clinics_plan_and_items_are_404(as_clinician, clinic, foreign_episode):
    plan = foreign_plan(foreign_episode)
    services.plan_sign(actor=foreign_episode.lead_clinician, plan=plan)
    item = plan.items.order_by("id").first()
    services.library_seed(clinic=clinic)
    ours = _intervention(clinic, "cat-cow")
    before = model_to_dict(PlanItem.objects.get(pk=item.pk))

    for url in (f"/plans/{plan.pk}/", f"/plans/{plan.pk}/versions/1/"):
        assert as_clinician.get(url).status_code == 404, url
    for url, data in (
        (f"/assessments/{plan.assessment_id}/plan/", {}),
        (f"/plans/{plan.pk}/", SETTINGS_POST),
        (f"/plans/{plan.pk}/items/add/", {"intervention": ours.pk}),
        (f"/plans/{plan.pk}/sign/", {}),
        (f"/plan-items/{item.pk}/", item_data(item, sets="5")),
        (f"/plan-items/{item.pk}/remove/", {}),
        (f"/plan-items/{item.pk}/move/up/", {}),
    ):
        assert as_clinician.post(url, data).status_code == 404, url

    assert model_to_dict(PlanItem.objects.get(pk=item.pk)) == before
    assert TreatmentPlan.objects.count() == 1
    plan.refresh_from_db()
    assert (plan.visits_per_week, plan.weeks, plan.status) == (1, 6, "signed")


# --- Audit and queries --------------------------------------------------------------------------------


def test_opening_the_plan_page_is_audited(as_clinician, clinician, plan):
    assert not audit_rows("plan.viewed", plan)

    _html(as_clinician, plan)

    (row,) = audit_rows("plan.viewed", plan)
    assert (row.actor, row.patient_id) == (clinician, plan.episode.patient_id)


def _queries_of_page(client, plan) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return len(context.captured_queries)


def test_plan_page_queries_do_not_grow_with_the_number_of_items(
    as_clinician, clinician, clinic, assessment, plan, django_assert_max_num_queries
):
    # Few: one item per prong.
    for keys in plan_keys_by_prong(plan).values():
        for key in keys[1:]:
            services.item_remove(actor=clinician, item=item_of(plan, key))
    assert plan.items.count() == 3
    # Many: a second draft with every intervention of the library that nothing excludes.
    many = PlanFactory(assessment=assessment)
    for intervention in Intervention.objects.filter(clinic=clinic).exclude(key__in=item_keys(many)):
        services.item_add(actor=clinician, plan=many, intervention=intervention, override_reason="Clinician judgement")
    assert many.items.count() == Intervention.objects.filter(clinic=clinic).count()

    _queries_of_page(as_clinician, plan)  # warm-up (session, permission caches)
    few_queries = _queries_of_page(as_clinician, plan)

    with django_assert_max_num_queries(few_queries):
        response = as_clinician.get(f"/plans/{many.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count('class="plan-item"') == many.items.count()


def test_other_patients_plans_do_not_leak_into_the_page(as_clinician, clinic, clinician, plan):
    other_episode = EpisodeFactory(patient=PatientFactory(clinic=clinic), lead_clinician=clinician)
    other_plan = PlanFactory(assessment__episode=other_episode)

    html = _html(as_clinician, plan)

    for item in other_plan.items.all():
        assert f'id="item-{item.pk}"' not in html
    assert html.count('class="plan-item"') == plan.items.count()


def _reads_of(table: str, queries) -> int:
    return sum(1 for query in queries if f'FROM "{table}"' in query["sql"])


def test_plan_page_reads_the_library_and_the_intake_once(as_clinician, plan):
    # The page's screening (referrals, exclusions) and its list of contraindicated items come from one
    # reading of the facts and of the clinic's library, not one each.
    with CaptureQueriesContext(connection) as context:
        response = as_clinician.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    assert _reads_of("plans_contraindication", context.captured_queries) == 1
    assert _reads_of("intake_intake", context.captured_queries) == 1
