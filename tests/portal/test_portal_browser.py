"""In a real browser: the version page's handout status updates itself (htmx) and the patient
logs a day on a phone-sized screen."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from clinic.portal import services
from clinic.portal.models import HomeProgramCheckIn
from plans.models import Handout, HandoutDelivery, HandoutStatus
from tests.e2e.conftest import browser, screenshot  # noqa: F401  (the browser fixture)
from tests.factories import PASSWORD
from tests.plans.handout_helpers import home_item, signed_version

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()


def test_the_handout_status_updates_without_a_reload(browser, live_server, clinician, episode):  # noqa: F811
    version = signed_version(episode, [home_item("Glute bridge")])
    Handout.objects.filter(version=version).update(status=HandoutStatus.RENDERING, delivery=HandoutDelivery.WAITING)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server, clinician)
    page.goto(f"{live_server.url}/plans/{version.plan_id}/versions/1/")
    status = page.locator("#handout-status")
    assert "Rendering" in status.inner_text()
    Handout.objects.filter(version=version).update(
        status=HandoutStatus.READY, delivery=HandoutDelivery.SENT, delivered_at=timezone.now(), delivery_channel="email"
    )
    page.wait_for_selector("#handout-status >> text=Download the handout", timeout=8000)
    assert "by E-mail" in status.inner_text()
    assert page.locator("#handout-status[hx-trigger]").count() == 0  # polling stopped
    screenshot(page, "plan-version-handout-sent")
    context.close()


def test_a_patient_logs_today_on_a_phone(browser, live_server, patient, episode):  # noqa: F811
    version = signed_version(episode, [home_item("Glute bridge"), home_item("Side plank")])
    portal = urlsplit(services.link_issue(patient=patient)).path
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{live_server.url}{portal}")
    page.get_by_label("Side plank").check()
    page.get_by_label("4", exact=True).check()
    screenshot(page, "portal-check-in-phone")
    page.get_by_role("button", name="Save today's log").click()
    page.wait_for_selector("text=Saved your log")
    check_in = HomeProgramCheckIn.objects.get(version=version)
    assert (check_in.done_items, check_in.pain) == ([1], 4)
    # The pain choices are large enough to tap.
    box = page.locator(".pain-scale label.choice").nth(4).bounding_box()
    assert box["height"] >= 44
    assert box["width"] >= 44
    context.close()
