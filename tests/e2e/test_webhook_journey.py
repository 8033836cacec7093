"""A clinic admin adds a webhook endpoint in a real browser, copies its secret, sends a test
event to a receiver on 127.0.0.1 and sees the delivery and its attempt in the log."""

from __future__ import annotations

import json
import time

import pytest

from clinic.permissions import Role
from clinic.webhooks import rules
from tests.factories import ClinicFactory, UserFactory
from tests.webhooks import conftest as webhook_fixtures

receiver = webhook_fixtures.receiver


@pytest.mark.django_db(transaction=True)
def test_an_admin_adds_an_endpoint_and_its_test_event_arrives_signed(journey, receiver):
    admin = UserFactory(clinic=ClinicFactory(), roles=[Role.CLINIC_ADMIN], email="admin@example.test")
    page = journey.open()
    journey.sign_in(page, admin)
    page.wait_for_url(journey.url("/"))
    journey.check(page, "dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clinic settings").click()
    journey.check(page, "clinic-settings")
    page.get_by_role("link", name="Webhooks").click()
    journey.check(page, "webhooks")
    page.get_by_role("link", name="Add an endpoint").click()
    journey.check(page, "webhook-form")
    page.get_by_role("button", name="Add endpoint").click()
    assert "Choose at least one event." in page.get_by_role("alert").inner_text()
    journey.check(page, "webhook-form-errors")
    page.get_by_label("Address").fill(receiver.url)
    page.get_by_label("Description").fill("Practice EHR")
    page.get_by_label("Plan signed").check()
    page.get_by_label("Handout ready").check()
    page.get_by_role("button", name="Add endpoint").click()

    secret = page.get_by_label("Signing secret").input_value()
    assert secret.startswith(rules.SECRET_PREFIX)
    journey.check(page, "webhook-secret")
    page.get_by_role("link", name="Go to the endpoint").click()
    # The send's own navigation ends before the reload that shows the delivery's result.
    with page.expect_navigation():
        page.get_by_role("button", name="Send test event").click()
    page.reload()

    log = page.get_by_role("table").inner_text()
    assert "ping" in log
    assert "Delivered" in log
    assert "HTTP 204" in log
    journey.check(page, "webhook-detail")
    [request] = receiver.requests
    assert json.loads(request.body)["type"] == "ping"
    assert rules.verify(
        secret=secret, header=request.headers["Stride-Signature"], body=request.body, now=int(time.time())
    )
