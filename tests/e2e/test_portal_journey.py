"""In a real browser: the version page's handout status updates itself (htmx) and the patient
logs a day on a phone-sized screen.

Each test drives its own chromium in a thread of its own: the browser tests under tests/e2e
keep a session-wide Playwright event loop in the main thread, and a second sync Playwright
cannot start next to it there.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from clinic.portal import services
from clinic.portal.models import HomeProgramCheckIn
from plans.models import Handout, HandoutDelivery, HandoutStatus
from tests.conftest import IN_CI
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, screenshot
from tests.factories import PASSWORD
from tests.plans.handout_helpers import home_item, signed_version

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _in_browser(steps, *, width: int, height: int) -> None:
    """Run ``steps(page)`` in a fresh chromium page, in a thread of its own."""
    if not CHROMIUM.exists():
        message = "Debian's chromium is needed at /usr/bin/chromium (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)

    def run() -> None:
        from django.db import connection
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    steps(browser.new_context(viewport={"width": width, "height": height}).new_page())
                finally:
                    browser.close()
        finally:
            connection.close()

    # As in tests/e2e: the ORM calls made while the page is open are ordinary synchronous calls.
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(max_workers=1) as pool:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        pool.submit(run).result()


def _sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()


def test_the_handout_status_updates_without_a_reload(live_server, clinician, episode):
    version = signed_version(episode, [home_item("Glute bridge")])
    Handout.objects.filter(version=version).update(status=HandoutStatus.RENDERING, delivery=HandoutDelivery.WAITING)

    def steps(page) -> None:
        _sign_in(page, live_server, clinician)
        page.goto(f"{live_server.url}/plans/{version.plan_id}/versions/1/")
        status = page.locator("#handout-status")
        assert "Rendering" in status.inner_text()
        Handout.objects.filter(version=version).update(
            status=HandoutStatus.READY,
            delivery=HandoutDelivery.SENT,
            delivered_at=timezone.now(),
            delivery_channel="email",
        )
        page.wait_for_selector("#handout-status >> text=Download the handout", timeout=8000)
        assert "by E-mail" in status.inner_text()
        assert page.locator("#handout-status[hx-trigger]").count() == 0  # polling stopped
        screenshot(page, "plan-version-handout-sent")

    _in_browser(steps, width=1200, height=900)


def test_a_patient_logs_today_on_a_phone(live_server, patient, episode):
    version = signed_version(episode, [home_item("Glute bridge"), home_item("Side plank")])
    portal = urlsplit(services.link_issue(patient=patient)).path
    boxes = []

    def steps(page) -> None:
        page.goto(f"{live_server.url}{portal}")
        page.get_by_label("Side plank").check()
        page.get_by_label("4", exact=True).check()
        screenshot(page, "portal-check-in-phone")
        page.get_by_role("button", name="Save today's log").click()
        page.wait_for_selector("text=Saved your log")
        boxes.append(page.locator(".pain-scale label.choice").nth(4).bounding_box())

    _in_browser(steps, width=375, height=740)
    check_in = HomeProgramCheckIn.objects.get(version=version)
    assert (check_in.done_items, check_in.pain) == ([1], 4)
    # The pain choices are large enough to tap.
    assert boxes[0]["height"] >= 44
    assert boxes[0]["width"] >= 44
