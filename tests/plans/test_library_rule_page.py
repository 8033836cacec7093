"""A plan rule's page in the clinic's library: conditions ticked from the findings list, the interventions it adds
chosen from the clinic's library (with dosage overrides and order), and a preview of the sample cases it fires
on. A rule made here drafts plans like a seeded one."""

from __future__ import annotations

from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import selectors as assessment_selectors
from clinic.models import AuditEvent
from plans import library_words, rule_preview, services
from plans.models import Intervention, PlanRule, RuleItem
from tests.assessments.helpers import error_summary, login
from tests.factories import AssessmentFactory
from tests.html_forms import form_data, read_form
from tests.plans.helpers import section, text_of

ADD = "/library/rules/new/"


@pytest.fixture
def seeded(clinic):
    services.library_seed(clinic=clinic)
    return clinic


@pytest.fixture
def as_admin(client, seeded, clinic_admin):
    return login(client, clinic_admin)


def _pk(clinic, key: str) -> int:
    return Intervention.objects.get(clinic=clinic, key=key).pk


def _rows(*items: tuple[int | str, ...]) -> dict[str, str]:
    """Formset rows: (intervention pk, order[, sets]) each."""
    data = {}
    for index, (pk, order, *sets) in enumerate(items):
        data[f"items-{index}-intervention"] = str(pk)
        data[f"items-{index}-order"] = str(order)
        data[f"items-{index}-sets"] = str(sets[0]) if sets else ""
    return data


def _post(client, url: str, **changes):
    return client.post(url, form_data(client, url, **changes))


def _errors(response) -> str:
    return unescape(" ".join(" ".join(texts) for texts in error_summary(response.content.decode()).values()))


def _page_text(response) -> str:
    return unescape(response.content.decode())


# --- Adding and editing ----------------------------------------------------------------------------


def test_clinic_admin_adds_a_rule_with_conditions_and_interventions(as_admin, seeded, clinic_admin):
    response = _post(
        as_admin,
        ADD,
        name="Stiff hip rotation",
        when_findings=["reduced_hip_internal_rotation", "fai_suspected"],
        when_intake=["hip_pain"],
        visits_per_week="2",
        weeks="8",
        **_rows((_pk(seeded, "clamshell"), 2, 3), (_pk(seeded, "hip-mobilisation"), 1)),
    )

    assert response.status_code == 302, _errors(response)
    rule = PlanRule.objects.get(clinic=seeded, key="stiff-hip-rotation")
    assert (rule.when_findings, rule.when_load_facts, rule.when_intake) == (
        ["reduced_hip_internal_rotation", "fai_suspected"],
        [],
        ["hip_pain"],
    )
    assert (rule.visits_per_week, rule.weeks, rule.always) == (2, 8, False)
    assert [(item.intervention.key, item.order, item.sets) for item in rule.items.all()] == [
        ("hip-mobilisation", 1, None),
        ("clamshell", 2, 3),
    ]
    (event,) = AuditEvent.objects.filter(action="library.planrule_added")
    assert (event.actor, event.object_id) == (clinic_admin, rule.pk)
    assert "items" in event.changed_fields
    rules = text_of(section(as_admin.get("/library/").content.decode(), "rules-h"))
    assert "Stiff hip rotation" in rules
    assert "Suspected FAI / labral pathology" in rules


def test_the_rule_page_offers_conditions_in_words_grouped_and_the_clinics_interventions(as_admin, seeded, other_clinic):
    services.library_seed(clinic=other_clinic)
    Intervention.objects.filter(clinic=other_clinic, key="clamshell").update(name="Across-town clamshell")
    rule = PlanRule.objects.get(clinic=seeded, key="gluteal-tendinopathy")

    response = as_admin.get(f"/library/rules/{rule.pk}/")

    html = _page_text(response)
    shown = read_form(response.content.decode())
    assert shown.lists["when_findings"] == ["gluteal_tendinopathy"]
    assert set(shown.options["when_findings"]) == set(library_words.FINDING_LABELS)
    assert "<legend>Conditions and pain patterns</legend>" in html
    assert "Gluteal tendinopathy / greater trochanteric pain syndrome (GTPS)" in html
    assert "Weekly running distance rose quickly over two weeks" in html
    offered = set(shown.options["items-0-intervention"]) - {""}
    assert offered == {str(pk) for pk in Intervention.objects.filter(clinic=seeded).values_list("pk", flat=True)}
    assert "Across-town clamshell" not in html
    assert shown.lists["items-0-intervention"] == [str(_pk(seeded, "side-lying-hip-abduction"))]
    assert "Clamshell (corrective exercise)" in html


def _stored_rule(rule: PlanRule) -> tuple:
    # The order of a rule's codes means nothing (any one selects the rule): compared as sets.
    row = PlanRule.objects.filter(pk=rule.pk).values().get()
    return {name: set(value) if isinstance(value, list) else value for name, value in row.items()}, list(
        rule.items.values()
    )


def test_every_seeded_rule_saves_unchanged(as_admin, seeded):
    for rule in PlanRule.objects.filter(clinic=seeded):
        url = f"/library/rules/{rule.pk}/"
        before = _stored_rule(rule)
        response = as_admin.post(url, form_data(as_admin, url))
        assert response.status_code == 302, (rule.key, _errors(response))
        assert _stored_rule(rule) == before, rule.key


def test_an_item_is_removed_and_another_added(as_admin, seeded):
    rule = PlanRule.objects.get(clinic=seeded, key="gluteal-tendinopathy")
    url = f"/library/rules/{rule.pk}/"
    shown = read_form(as_admin.get(url).content.decode())
    assert shown.values["items-TOTAL_FORMS"] == "4"

    response = _post(
        as_admin,
        url,
        **{"items-0-DELETE": "on", "items-2-intervention": str(_pk(seeded, "clamshell")), "items-2-order": "5"},
    )

    assert response.status_code == 302, _errors(response)
    assert [item.intervention.key for item in rule.items.all()] == ["glute-bridge", "clamshell"]
    (event,) = AuditEvent.objects.filter(action="library.planrule_updated", object_id=rule.pk)
    assert event.changed_fields == ["items"]


def test_a_rule_with_no_condition_is_refused_unless_it_applies_to_every_plan(as_admin, seeded):
    before = PlanRule.objects.filter(clinic=seeded).count()

    refused = _post(as_admin, ADD, name="Nothing")
    assert refused.status_code == 200
    assert "a rule with no condition never applies" in _errors(refused) or "never applies" in _page_text(refused)
    assert PlanRule.objects.filter(clinic=seeded).count() == before

    accepted = _post(as_admin, ADD, name="Everyone", always="on", **_rows((_pk(seeded, "cat-cow"), 0)))
    assert accepted.status_code == 302
    assert PlanRule.objects.get(clinic=seeded, key="everyone").always


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"when_findings": ["made_up_finding"]}, "when_findings", "Not a known finding: \u201cmade_up_finding\u201d"),
        ({"when_load_facts": ["marathon"]}, "when_load_facts", "Not a known running-load fact"),
        ({"when_intake": ["knee_pain"]}, "when_intake", "Not a known intake fact"),
        (
            {"when_findings": ["overpronation"], "when_detail": "structural"},
            "when_detail",
            "leg-length reading applies only",
        ),
        ({"when_detail": "crooked"}, "when_detail", "Select a valid choice"),
        ({"name": ""}, "name", "This field is required"),
        ({"name": "Rule\x00"}, "name", "control character"),
        ({"running_advice": "Run\x00 less"}, "running_advice", "control character"),
        ({"weeks": "53"}, "weeks", "less than or equal to 52"),
    ],
)
def test_a_bad_rule_is_refused_beside_its_field_and_the_input_kept(as_admin, seeded, changes, field, message):
    before = PlanRule.objects.filter(clinic=seeded).count()
    fields = {"name": "Odd rule", "when_findings": ["overpronation"], **_rows((_pk(seeded, "clamshell"), 1, 2))}

    response = _post(as_admin, ADD, **{**fields, **changes})

    assert response.status_code == 200
    errors = error_summary(response.content.decode())
    assert message in unescape(" ".join(errors[f"id_{field}"]))
    shown = read_form(response.content.decode())
    assert shown.values["items-0-sets"] == "2"
    assert shown.lists["items-0-intervention"] == [str(_pk(seeded, "clamshell"))]
    assert PlanRule.objects.filter(clinic=seeded).count() == before
    assert not AuditEvent.objects.filter(action__startswith="library.").exists()


def test_the_same_intervention_twice_is_a_message_beside_the_row(as_admin, seeded):
    rule = PlanRule.objects.get(clinic=seeded, key="gluteal-tendinopathy")
    url = f"/library/rules/{rule.pk}/"
    before = list(rule.items.values_list("intervention_id", flat=True))

    response = _post(as_admin, url, **{"items-2-intervention": str(_pk(seeded, "glute-bridge"))})

    assert response.status_code == 200
    assert "This intervention is already in the rule: list it once." in _page_text(response)
    assert list(rule.items.values_list("intervention_id", flat=True)) == before


@pytest.mark.parametrize("foreign", ["other clinic", "abc", "999999999", "1\x00"])
def test_an_intervention_not_of_this_clinic_is_refused_not_a_server_error(as_admin, seeded, other_clinic, foreign):
    services.library_seed(clinic=other_clinic)
    value = str(_pk(other_clinic, "clamshell")) if foreign == "other clinic" else foreign

    response = _post(as_admin, ADD, name="Borrowed", when_findings=["overpronation"], **{"items-0-intervention": value})

    assert response.status_code == 200
    text = _page_text(response)
    assert "Choose an intervention from your clinic's library." in text or "Null characters are not allowed." in text
    assert '<a href="#rule-items">' in response.content.decode()
    assert not PlanRule.objects.filter(name="Borrowed").exists()


@pytest.mark.parametrize(
    "management",
    [{"items-TOTAL_FORMS": "abc"}, {"items-TOTAL_FORMS": "100000"}, {"items-TOTAL_FORMS": None}],
)
def test_a_tampered_list_of_rows_is_refused_not_a_server_error(as_admin, seeded, management):
    response = _post(as_admin, ADD, name="Tampered", when_findings=["overpronation"], **management)

    assert response.status_code == 200
    assert not PlanRule.objects.filter(name="Tampered").exists()


def test_another_clinics_item_row_cannot_be_edited_through_this_rule(as_admin, seeded, other_clinic):
    services.library_seed(clinic=other_clinic)
    rule = PlanRule.objects.get(clinic=seeded, key="gluteal-tendinopathy")
    theirs = RuleItem.objects.filter(rule__clinic=other_clinic).first()
    url = f"/library/rules/{rule.pk}/"

    before = (theirs.rule_id, theirs.intervention_id, theirs.sets)

    response = _post(as_admin, url, **{"items-0-id": str(theirs.pk), "items-0-sets": "9"})

    # The row is not this rule's: the form ignores it.
    assert response.status_code in {200, 302}
    theirs.refresh_from_db()
    assert (theirs.rule_id, theirs.intervention_id, theirs.sets) == before


@pytest.mark.parametrize("role", ["clinician", "front_desk"])
def test_only_the_clinic_admin_edits_a_rules_items(client, seeded, request, role):
    rule = PlanRule.objects.get(clinic=seeded, key="gluteal-tendinopathy")
    login(client, request.getfixturevalue(role))

    response = client.post(
        f"/library/rules/{rule.pk}/", {"name": "X", "always": "on", **_rows((_pk(seeded, "cat-cow"), 0))}
    )

    assert response.status_code == 403
    assert rule.items.count() == 2


def test_another_clinics_rule_is_404(as_admin, seeded, other_clinic):
    services.library_seed(clinic=other_clinic)
    theirs = PlanRule.objects.get(clinic=other_clinic, key="gluteal-tendinopathy")

    assert as_admin.get(f"/library/rules/{theirs.pk}/").status_code == 404
    assert as_admin.post(f"/library/rules/{theirs.pk}/", {"name": "X", "always": "on"}).status_code == 404


# --- Preview ----------------------------------------------------------------------------------------


def test_preview_shows_the_cases_the_rule_as_typed_fires_on_without_saving(as_admin, seeded):
    before = PlanRule.objects.filter(clinic=seeded).count()

    response = _post(
        as_admin,
        ADD,
        preview="1",
        name="Radicular core",
        when_findings=["neural_tension_positive"],
        when_load_facts=["single_run_spike"],
        **_rows((_pk(seeded, "bird-dog"), 1), (_pk(seeded, "hamstring-stretch"), 2)),
    )

    assert response.status_code == 200
    preview = text_of(section(response.content.decode(), "preview-h"))
    assert f"Fires on 2 of {len(rule_preview.SAMPLE_CASES)} sample cases." in preview
    assert (
        "Positive neural tension test The draft gets: Bird dog Kept out by a contraindication: Lying hamstring stretch"
        in preview
    )
    assert (
        "A recent run was much longer than the longest run of the previous 30 days The draft gets: Bird dog; Lying "
        "hamstring stretch Kept out by a contraindication: none" in preview
    )
    assert "not saved yet" in preview
    assert "Does not fire on" in preview
    assert "Over-pronation" in preview
    # The form keeps what was typed.
    shown = read_form(response.content.decode())
    assert shown.lists["when_findings"] == ["neural_tension_positive"]
    assert PlanRule.objects.filter(clinic=seeded).count() == before
    assert not AuditEvent.objects.filter(action__startswith="library.").exists()


def test_a_saved_rules_page_previews_it(as_admin, seeded):
    rule = PlanRule.objects.get(clinic=seeded, key="structural-leg-length")

    html = as_admin.get(f"/library/rules/{rule.pk}/").content.decode()

    preview = text_of(section(html, "preview-h"))
    assert "The rule as saved." in preview
    assert f"Fires on 1 of {len(rule_preview.SAMPLE_CASES)} sample cases." in preview
    assert "Leg-length discrepancy, structural" in preview


def test_an_inactive_rule_is_previewed_too(as_admin, seeded):
    rule = PlanRule.objects.get(clinic=seeded, key="over-pronation")
    rule.active = False
    rule.save()

    preview = text_of(section(as_admin.get(f"/library/rules/{rule.pk}/").content.decode(), "preview-h"))

    assert f"Fires on 1 of {len(rule_preview.SAMPLE_CASES)} sample cases." in preview


def test_preview_of_a_rule_with_errors_shows_the_errors_not_a_preview(as_admin, seeded):
    response = _post(as_admin, ADD, preview="1", name="")

    assert response.status_code == 200
    assert 'id="preview-h"' not in response.content.decode()
    assert error_summary(response.content.decode())


# --- End to end -------------------------------------------------------------------------------------


def test_a_rule_added_in_the_app_drafts_its_intervention_into_a_plan(client, seeded, clinic_admin, episode):
    assessment = AssessmentFactory(episode=episode)
    finding = assessment_selectors.rule_findings(assessment)[0]
    login(client, clinic_admin)
    assert _post(client, "/library/interventions/new/", name="Cupping", prong="soft_tissue").status_code == 302
    cupping = Intervention.objects.get(clinic=seeded, key="cupping")
    response = _post(client, ADD, name="Cupping for it", when_findings=[finding.code], **_rows((cupping.pk, 0, 4)))
    assert response.status_code == 302, _errors(response)

    plan = services.plan_draft(actor=episode.lead_clinician, assessment=assessment)

    item = plan.items.get(intervention=cupping)
    assert item.sets == 4
    assert finding.label in item.because


# --- Queries ----------------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_library_page_queries_do_not_grow_with_added_rows(as_admin, seeded, django_assert_max_num_queries):
    _queries(as_admin, "/library/")  # warm-up
    few = _queries(as_admin, "/library/")
    for number in range(4):
        _post(as_admin, "/library/interventions/new/", name=f"Drill {number}", prong="exercise", tags=["strength"])
        _post(
            as_admin,
            ADD,
            name=f"Rule {number}",
            when_findings=["overpronation"],
            **_rows((_pk(seeded, f"drill-{number}"), 0), (_pk(seeded, "clamshell"), 1)),
        )
    assert PlanRule.objects.filter(clinic=seeded, name__startswith="Rule ").count() == 4

    with django_assert_max_num_queries(few):
        assert as_admin.get("/library/").status_code == 200


def test_the_rule_page_queries_do_not_grow_with_its_items(as_admin, seeded, django_assert_max_num_queries):
    rule = PlanRule.objects.get(clinic=seeded, key="over-pronation")
    url = f"/library/rules/{rule.pk}/"
    interventions = list(Intervention.objects.filter(clinic=seeded)[:12])
    RuleItem.objects.create(rule=rule, intervention=interventions[0])
    _queries(as_admin, url)  # warm-up
    few = _queries(as_admin, url)
    for order, intervention in enumerate(interventions[1:], start=1):
        RuleItem.objects.create(rule=rule, intervention=intervention, order=order)

    with django_assert_max_num_queries(few):
        assert as_admin.get(url).status_code == 200
