"""Clinic settings → Webhooks: clinic admins only (other roles 403, another clinic's endpoint
404), forms that keep what was typed, the secret shown once, the delivery log with attempts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clinic.permissions import Role
from clinic.webhooks import rules, services
from clinic.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory


@pytest.fixture
def admin_client(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


@pytest.fixture
def endpoint(make_endpoint):
    return make_endpoint(description="Billing system")


def _pages(endpoint):
    base = f"/settings/webhooks/{endpoint.pk}/"
    return [
        ("get", "/settings/webhooks/"),
        ("get", "/settings/webhooks/new/"),
        ("get", base),
        ("get", base + "rotate-secret/"),
        ("post", base + "disable/"),
        ("post", base + "enable/"),
        ("post", base + "ping/"),
        ("post", base + "delete/"),
        ("post", base + "deliveries/1/retry/"),
    ]


@pytest.mark.parametrize("role", ["clinician", "front_desk"])
def test_other_roles_get_403_on_every_page(client, request, role, endpoint):
    client.force_login(request.getfixturevalue(role))

    for method, url in _pages(endpoint):
        assert getattr(client, method)(url).status_code == 403, url


def test_signed_out_visitors_are_sent_to_sign_in(client, endpoint):
    for method, url in _pages(endpoint):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")


def test_another_clinics_endpoint_is_not_found(client, other_clinic, endpoint):
    client.force_login(UserFactory(clinic=other_clinic, roles=[Role.CLINIC_ADMIN]))

    for method, url in _pages(endpoint)[2:]:
        assert getattr(client, method)(url).status_code == 404, url
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).active


def test_clinic_settings_link_to_webhooks(admin_client):
    assert 'href="/settings/webhooks/"' in admin_client.get("/settings/").content.decode()


def test_the_list_shows_endpoints_and_a_notice_for_a_disabled_one(admin_client, endpoint, make_endpoint):
    broken = make_endpoint(url="https://broken.example.test/hooks")
    WebhookEndpoint.objects.filter(pk=broken.pk).update(
        active=False, disabled_at=timezone.now(), disabled_reason="5 events in a row could not be delivered."
    )

    page = admin_client.get("/settings/webhooks/").content.decode()

    assert "Billing system" in page
    assert endpoint.secret_hint in page
    assert endpoint.secret not in page
    assert 'role="alert"' in page
    assert "is disabled</strong>" in page
    assert "5 events in a row could not be delivered." in page


def test_adding_an_endpoint_shows_its_secret_once(admin_client, clinic):
    response = admin_client.post(
        "/settings/webhooks/new/",
        {"url": "https://ehr.example.test/stride", "description": "EHR", "event_types": ["plan.signed"]},
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get(clinic=clinic)
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert endpoint.secret not in admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "http://ehr.example.test/stride", "event_types": ["plan.signed"]}, "Use an https:// address"),
        (
            {"url": "https://100.100.100.200/latest/meta-data/", "event_types": ["plan.signed"]},
            "The address is on a network Stride does not send to.",
        ),
        (
            {"url": "https://[2002:a9fe:a9fe::1]/hooks", "event_types": ["plan.signed"]},
            "The address is on a network Stride does not send to.",
        ),
        ({"url": "https://ehr.example.test/stride"}, "Choose at least one event."),
        ({"url": "", "event_types": ["plan.signed"]}, "This field is required."),
    ],
)
def test_a_refused_form_says_why_and_keeps_what_was_typed(admin_client, data, message):
    response = admin_client.post("/settings/webhooks/new/", {**data, "description": "Typed description"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Please correct" in page
    assert message in page
    assert 'value="Typed description"' in page
    if data["url"]:
        assert f'value="{data["url"]}"' in page
    assert not WebhookEndpoint.objects.exists()


def test_editing_saves_and_an_invalid_edit_keeps_the_input(admin_client, endpoint):
    url = f"/settings/webhooks/{endpoint.pk}/"
    refused = admin_client.post(url, {"url": "ftp://x", "description": "Kept", "event_types": ["plan.signed"]})
    assert refused.status_code == 200
    assert 'value="Kept"' in refused.content.decode()

    saved = admin_client.post(
        url, {"url": "https://new.example.test/h", "description": "New", "event_types": ["handout.ready"]}
    )

    assert saved.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.description, endpoint.event_types) == (
        "https://new.example.test/h",
        "New",
        ["handout.ready"],
    )


def test_rotating_asks_first_then_shows_the_new_secret(admin_client, endpoint):
    url = f"/settings/webhooks/{endpoint.pk}/rotate-secret/"
    old = endpoint.secret
    assert admin_client.get(url).status_code == 200
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == old

    asked = admin_client.get(url).content.decode()
    response = admin_client.post(url)

    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in response.content.decode()
    assert "for 24 hours, also with the one starting with" in asked
    detail = admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert "events are also signed with the previous secret" in detail
    assert old not in detail


def test_disable_enable_and_ping(admin_client, endpoint):
    base = f"/settings/webhooks/{endpoint.pk}/"

    admin_client.post(base + "disable/")
    assert not WebhookEndpoint.objects.get(pk=endpoint.pk).active
    admin_client.post(base + "ping/")
    assert not WebhookDelivery.objects.exists()
    admin_client.post(base + "enable/")
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).active
    admin_client.post(base + "ping/")

    [ping] = WebhookDelivery.objects.all()
    assert ping.event_type == "ping"


def test_the_log_shows_each_attempt_and_retries_a_failed_delivery(admin_client, endpoint, clinic):
    [delivery] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 1})
    started = timezone.now() - datetime.timedelta(minutes=5)
    for status_code, error in ((500, "HTTP 500"), (None, "No answer within 5 s.")):
        WebhookAttempt.objects.create(
            delivery=delivery, started_at=started, duration_ms=123, status_code=status_code, error=error
        )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.GIVEN_UP, attempts=2)

    page = admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()

    assert str(delivery.event_id) in page
    assert "HTTP 500, 123 ms" in page
    assert "No answer within 5 s." in page
    assert "Given up" in page
    assert "Retry now" in page
    admin_client.post(f"/settings/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry/")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_a_delivery_of_another_endpoint_cannot_be_retried_through_this_one(admin_client, endpoint, make_endpoint):
    other = make_endpoint(events=["plan.signed"])
    owed = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=endpoint.clinic_id, data={"plan": 1})
    theirs = next(delivery for delivery in owed if delivery.endpoint_id == other.pk)
    WebhookDelivery.objects.filter(pk=theirs.pk).update(status=DeliveryStatus.FAILED)

    response = admin_client.post(f"/settings/webhooks/{endpoint.pk}/deliveries/{theirs.pk}/retry/")

    assert response.status_code == 404


def test_the_log_is_paginated_and_its_queries_do_not_grow_with_its_rows(
    admin_client, endpoint, clinic, django_assert_max_num_queries
):
    for plan in range(30):
        [delivery] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": plan})
        WebhookAttempt.objects.create(delivery=delivery, started_at=timezone.now(), duration_ms=5, status_code=500)

    with django_assert_max_num_queries(15):
        first = admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()

    assert "Page 1 of 2" in first
    assert first.count("<code>plan.signed</code>") == 25
    second = admin_client.get(f"/settings/webhooks/{endpoint.pk}/?page=2").content.decode()
    assert second.count("<code>plan.signed</code>") == 5


def test_an_endpoint_with_a_log_is_not_deleted(admin_client, endpoint, clinic):
    services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 1})

    response = admin_client.post(f"/settings/webhooks/{endpoint.pk}/delete/", follow=True)

    assert "disable the endpoint instead" in response.content.decode()
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
