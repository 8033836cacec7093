"""The clinic admin adds an intervention to the treatment library, then a rule that adds it, previews which
sample cases the rule fires on, and saves it, all in the app."""

from __future__ import annotations

import pytest

from clinic.permissions import Role
from plans.models import Intervention, PlanRule
from tests.e2e.conftest import PHONE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_adds_an_intervention_and_a_rule_using_it(journey):
    admin = UserFactory(roles=[Role.CLINIC_ADMIN])

    page = journey.open()
    journey.sign_in(page, admin)
    journey.check(page, "01-dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    page.wait_for_load_state()
    journey.check(page, "02-library")

    page.get_by_role("link", name="Add intervention").click()
    page.wait_for_load_state()
    journey.check(page, "03-add-intervention")
    page.get_by_label("Name").fill("Cupping over the gluteals")
    page.get_by_label("Prong").select_option(label="Soft-tissue release")
    page.get_by_role("group", name="Tags").get_by_label("Massage", exact=True).check()
    page.get_by_label("Frequency").fill("once a week")
    page.get_by_role("button", name="Add intervention").click()
    page.wait_for_load_state()
    assert "Intervention added." in page.get_by_role("status").inner_text()
    journey.check(page, "04-intervention-added")

    page.get_by_role("link", name="Add rule").click()
    page.wait_for_load_state()
    journey.check(page, "05-add-rule")
    page.get_by_label("Name").fill("Cupping for over-pronation")
    page.get_by_role("group", name="Findings").get_by_label("Over-pronation", exact=True).check()
    row = page.get_by_role("group", name="New row 1")
    row.get_by_label("Intervention").select_option(label="Cupping over the gluteals (soft-tissue release)")
    row.get_by_label("Sets").fill("2")
    page.get_by_role("button", name="Preview (does not save)").click()
    page.wait_for_load_state()
    preview = page.get_by_role("region", name="Which sample cases the rule fires on")
    assert "Fires on 1 of" in preview.inner_text()
    fired = preview.get_by_role("table").get_by_role("row").filter(has_text="Over-pronation")
    assert "Cupping over the gluteals" in fired.inner_text()
    assert not PlanRule.objects.filter(name="Cupping for over-pronation").exists()
    journey.check(page, "06-rule-preview")
    page.set_viewport_size(PHONE["viewport"])
    journey.check(page, "07-rule-preview-on-a-phone")

    page.get_by_role("button", name="Add plan rule").click()
    page.wait_for_load_state()
    assert "Plan rule added." in page.get_by_role("status").inner_text()
    rules = page.get_by_role("region", name="Rules")
    assert "Cupping for over-pronation" in rules.inner_text()
    journey.check(page, "08-rule-added")

    rule = PlanRule.objects.get(name="Cupping for over-pronation")
    assert rule.when_findings == ["overpronation"]
    assert [(item.intervention.name, item.sets) for item in rule.items.all()] == [("Cupping over the gluteals", 2)]
    assert Intervention.objects.get(name="Cupping over the gluteals").tags == ["massage"]
