"""What the clinician sees before adding an item by hand: on the plan page every library item the patient's
findings and open red flags contraindicate, with the reason, whether or not the draft proposed it; the add-item
list marks those and the items no rule chooses; the library page marks "clinician's choice only"."""

from __future__ import annotations

import re
from html import unescape

import pytest

from plans import services
from plans.models import Intervention, PlanRule
from tests.assessments.helpers import login
from tests.factories import AssessmentFactory, PlanFactory
from tests.plans.helpers import NO_NEURAL_TENSION, red_flag, section, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_clinician(client, clinician):
    return login(client, clinician)


@pytest.fixture
def plan(episode):
    # The factory's exam: a positive straight-leg raise on the right with leg symptoms (neural tension).
    return PlanFactory(assessment=AssessmentFactory(episode=episode))


def _html(client, plan) -> str:
    response = client.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _left_out(html: str) -> dict[str, str]:
    """The "Left out by contraindications" list: the text of each line, by intervention key."""
    block = section(html, "excluded-h")
    return {key: text_of(line) for key, line in re.findall(r'<li id="excluded-([\w-]+)">(.*?)</li>', block, re.S)}


def _options(html: str) -> dict[str, str]:
    """The add-item list's option labels, by intervention id."""
    block = section(html, "add-h")
    return {pk: unescape(label) for pk, label in re.findall(r'<option value="(\d+)"[^>]*>(.*?)</option>', block)}


def _pk(plan, key: str) -> str:
    return str(Intervention.objects.get(clinic=plan.episode.patient.clinic, key=key).pk)


def test_an_item_no_rule_proposed_is_listed_with_its_reason_before_it_is_added(as_clinician, plan):
    # No rule proposes the hamstring stretch: the draft's own exclusions do not name it.
    assert "hamstring-stretch" not in {entry["intervention"] for entry in plan.excluded}

    html = _html(as_clinician, plan)

    left_out = _left_out(html)
    assert left_out["hamstring-stretch"].startswith(
        "Lying hamstring stretch: Positive SLR / slump or radicular leg pain: tensioning an irritated nerve"
    )
    assert (
        "may be overridden with a reason; because Positive neural tension test – right)"
        in left_out["hamstring-stretch"]
    )
    assert "the draft proposed it" not in left_out["hamstring-stretch"]
    # The thrust the SI rule proposed is listed too, and says so.
    assert "the draft proposed it" in left_out["lumbopelvic-thrust"]
    assert set(left_out) == {"lumbar-hvla-thrust", "lumbopelvic-thrust", "hamstring-stretch"}

    options = _options(html)
    assert options[_pk(plan, "hamstring-stretch")] == (
        "Lying hamstring stretch (contraindicated, needs a written reason; clinician's choice only)"
    )
    assert options[_pk(plan, "lumbar-hvla-thrust")] == (
        "Lumbar spine manipulation (HVLA thrust) (contraindicated, needs a written reason)"
    )
    assert options[_pk(plan, "cat-cow")] == "Cat-cow (clinician's choice only)"
    assert options[_pk(plan, "glute-bridge")] == "Glute bridge"


def test_an_item_kept_with_a_reason_stays_listed_and_says_so(as_clinician, clinician, plan):
    hamstring = Intervention.objects.get(clinic=plan.episode.patient.clinic, key="hamstring-stretch")
    services.item_add(actor=clinician, plan=plan, intervention=hamstring, override_reason="Symptoms centralised")

    line = _left_out(_html(as_clinician, plan))["hamstring-stretch"]

    assert line.endswith("kept in the plan with a reason)")


def test_hard_exclusions_are_marked_as_impossible_to_add(as_clinician, episode):
    plan = PlanFactory(assessment=AssessmentFactory(episode=episode, exam=NO_NEURAL_TENSION))
    red_flag(episode, code="cancer_history", tier="urgent", label="History of cancer")

    html = _html(as_clinician, plan)

    left_out = _left_out(html)
    assert set(left_out) == {"lumbar-hvla-thrust", "lumbopelvic-thrust"}
    assert "cannot be overridden; because History of cancer" in left_out["lumbopelvic-thrust"]
    assert _options(html)[_pk(plan, "lumbopelvic-thrust")].endswith("(contraindicated, cannot be added)")


def test_the_list_follows_the_current_findings(as_clinician, plan):
    finding = plan.assessment.findings.get(code="neural_tension_positive", side="right")
    response = as_clinician.post(f"/findings/{finding.pk}/dismiss/", {"reason": "Hamstring tightness, not neural"})
    assert response.status_code == 302

    html = _html(as_clinician, plan)

    assert 'aria-labelledby="excluded-h"' not in html
    assert _options(html)[_pk(plan, "hamstring-stretch")] == "Lying hamstring stretch (clinician's choice only)"


def test_the_library_page_marks_the_items_no_rule_chooses(client, clinic, clinic_admin):
    services.library_seed(clinic=clinic)
    PlanRule.objects.filter(clinic=clinic, key="si-joint-pattern").update(active=False)
    login(client, clinic_admin)

    html = client.get("/library/").content.decode()

    marked = {
        key
        for key, row in re.findall(r'<tr id="intervention-([\w-]+)">(.*?)</tr>', section(html, "int-h"), re.S)
        if "clinician's choice only" in unescape(row)
    }
    # The seeded ones, and the SI thrust once its only rule is switched off.
    assert marked == {
        "iastm",
        "active-release",
        "cat-cow",
        "childs-pose",
        "hamstring-stretch",
        "itb-stretch",
        "lumbopelvic-thrust",
    }
