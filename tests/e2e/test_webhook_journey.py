"""A clinic admin adds a webhook endpoint in a real browser, copies its secret, sends a test
event to a receiver on 127.0.0.1 and sees the delivery and its attempt in the log."""

from __future__ import annotations

import json
import time

import pytest

from clinic.permissions import Role
from clinic.webhooks import rules
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, ClinicFactory, UserFactory
from tests.webhooks import conftest as webhook_fixtures

receiver = webhook_fixtures.receiver


@pytest.mark.django_db(transaction=True)
def test_an_admin_adds_an_endpoint_and_its_test_event_arrives_signed(live_server, page, receiver):
    admin = UserFactory(clinic=ClinicFactory(), roles=[Role.CLINIC_ADMIN], email="admin@example.test")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clinic settings").click()
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="Add an endpoint").click()
    page.get_by_role("button", name="Add endpoint").click()
    assert "Choose at least one event." in page.get_by_role("alert").inner_text()
    screenshot(page, "webhook-form-errors")
    page.get_by_label("Address").fill(receiver.url)
    page.get_by_label("Description").fill("Practice EHR")
    page.get_by_label("Plan signed").check()
    page.get_by_label("Handout ready").check()
    page.get_by_role("button", name="Add endpoint").click()

    secret = page.get_by_label("Signing secret").input_value()
    assert secret.startswith(rules.SECRET_PREFIX)
    screenshot(page, "webhook-secret")
    page.get_by_role("link", name="Go to the endpoint").click()
    page.get_by_role("button", name="Send test event").click()
    page.reload()

    log = page.get_by_role("table").inner_text()
    assert "ping" in log
    assert "Delivered" in log
    assert "HTTP 204" in log
    screenshot(page, "webhook-detail")
    [request] = receiver.requests
    assert json.loads(request.body)["type"] == "ping"
    assert rules.verify(
        secret=secret, header=request.headers["Stride-Signature"], body=request.body, now=int(time.time())
    )
