"""Endpoint services and ``emit``: clinic admins only, audited, events owed to the clinic's
own subscribed active endpoints with ids only, in the caller's transaction."""

from __future__ import annotations

import datetime
import uuid

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.models import AuditEvent
from clinic.permissions import Role
from clinic.webhooks import rules, sealing, services
from clinic.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory


def test_create_makes_a_secret_and_audits_without_it(clinic_admin, clinic):
    endpoint, secret = services.endpoint_create(
        actor=clinic_admin, url=" https://example.com/hooks ", event_types=["plan.signed"], description="Billing"
    )

    assert endpoint.clinic == clinic
    assert endpoint.url == "https://example.com/hooks"
    assert secret == endpoint.secret
    assert secret.startswith("whsec_")
    assert endpoint.active
    [row] = AuditEvent.objects.filter(action="webhook_endpoint.created")
    assert (row.actor, row.clinic_id, row.object_id) == (clinic_admin, clinic.pk, endpoint.pk)
    assert secret not in str(row.changed_fields)


@pytest.mark.parametrize("role", ["clinician", "front_desk"])
def test_other_roles_may_not_manage_endpoints(request, role, make_endpoint):
    endpoint = make_endpoint()
    user = request.getfixturevalue(role)

    with pytest.raises(PermissionDenied):
        services.endpoint_create(actor=user, url="https://example.com/h", event_types=["plan.signed"])
    for write in (services.endpoint_rotate_secret, services.endpoint_disable, services.endpoint_delete):
        with pytest.raises(PermissionDenied):
            write(actor=user, endpoint=endpoint)


def test_an_admin_of_another_clinic_may_not_touch_the_endpoint(make_endpoint, other_clinic):
    endpoint = make_endpoint()
    stranger = UserFactory(clinic=other_clinic, roles=[Role.CLINIC_ADMIN])

    with pytest.raises(PermissionDenied):
        services.endpoint_update(actor=stranger, endpoint=endpoint, description="mine now")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "http://example.com/hooks"}, "url"),
        ({"url": "not an address"}, "url"),
        ({"event_types": []}, "event_types"),
        ({"event_types": ["ping"]}, "event_types"),
    ],
)
def test_invalid_settings_are_refused_by_field(clinic_admin, fields, field):
    values = {"url": "https://example.com/hooks", "event_types": ["plan.signed"], **fields}

    with pytest.raises(ValidationError) as refused:
        services.endpoint_create(actor=clinic_admin, **values)

    assert field in refused.value.message_dict
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_is_allowed_in_debug(clinic_admin, settings):
    settings.DEBUG = True
    endpoint, _ = services.endpoint_create(
        actor=clinic_admin, url="http://receiver.internal/hooks", event_types=["plan.signed"]
    )
    assert endpoint.pk


def test_update_audits_the_names_of_changed_fields(clinic_admin, make_endpoint):
    endpoint = make_endpoint()

    services.endpoint_update(actor=clinic_admin, endpoint=endpoint, description="New name", event_types=["plan.signed"])

    [row] = AuditEvent.objects.filter(action="webhook_endpoint.updated")
    assert row.changed_fields == ["description"]


def test_rotating_replaces_the_secret(clinic_admin, make_endpoint):
    endpoint = make_endpoint()
    old = endpoint.secret

    _, new = services.endpoint_rotate_secret(actor=clinic_admin, endpoint=endpoint)

    endpoint.refresh_from_db()
    assert endpoint.secret == new != old
    assert AuditEvent.objects.filter(action="webhook_endpoint.secret_rotated", object_id=endpoint.pk).exists()
    # The old one keeps signing for the overlap (24 h by default), then stops.
    assert endpoint.previous_secret == old
    assert endpoint.signing_secrets(timezone.now()) == [new, old]
    assert endpoint.signing_secrets(timezone.now() + datetime.timedelta(hours=24, seconds=1)) == [new]

    _, newest = services.endpoint_rotate_secret(actor=clinic_admin, endpoint=endpoint)

    endpoint.refresh_from_db()
    assert endpoint.signing_secrets(timezone.now()) == [newest, new]  # only the last two sign


def test_without_an_overlap_the_old_secret_stops_at_once(clinic_admin, make_endpoint, settings):
    settings.WEBHOOK_SECRET_OVERLAP_HOURS = 0
    endpoint = make_endpoint()

    _, new = services.endpoint_rotate_secret(actor=clinic_admin, endpoint=endpoint)

    endpoint.refresh_from_db()
    assert endpoint.signing_secrets(timezone.now()) == [new]
    assert not endpoint.previous_secret_signs


def test_disabling_by_hand_fails_what_is_owed_and_sends_no_notice(clinic_admin, make_endpoint, clinic):
    endpoint = make_endpoint()
    [owed] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 1})

    services.endpoint_disable(actor=clinic_admin, endpoint=endpoint)

    endpoint.refresh_from_db()
    owed.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_reason, endpoint.notice_owed) == (
        False,
        services.DISABLED_BY_ADMIN,
        False,
    )
    assert owed.status == DeliveryStatus.FAILED


def test_enabling_starts_with_a_clean_slate(clinic_admin, make_endpoint):
    endpoint = make_endpoint()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=False, disabled_at=timezone.now(), disabled_reason="x", consecutive_failures=5, notice_owed=True
    )

    services.endpoint_enable(actor=clinic_admin, endpoint=endpoint)

    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_at, endpoint.consecutive_failures, endpoint.notice_owed) == (
        True,
        None,
        0,
        False,
    )


def test_an_endpoint_with_a_delivery_log_is_kept(clinic_admin, make_endpoint, clinic):
    endpoint = make_endpoint()
    services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 1})

    with pytest.raises(ValidationError, match="disable the endpoint instead"):
        services.endpoint_delete(actor=clinic_admin, endpoint=endpoint)

    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    unused = make_endpoint()
    services.endpoint_delete(actor=clinic_admin, endpoint=unused)
    assert not WebhookEndpoint.objects.filter(pk=unused.pk).exists()


# --- emit -------------------------------------------------------------------------------------------


def test_emit_owes_the_event_to_subscribed_active_endpoints_of_the_clinic_only(
    make_endpoint, clinic, other_clinic, clinic_admin
):
    wanted = make_endpoint(events=["plan.signed", "intake.submitted"])
    also = make_endpoint(events=["plan.signed"])
    make_endpoint(events=["intake.submitted"])
    off = make_endpoint(events=["plan.signed"])
    services.endpoint_disable(actor=clinic_admin, endpoint=off)
    elsewhere, _ = services.endpoint_create(
        actor=UserFactory(clinic=other_clinic, roles=[Role.CLINIC_ADMIN]),
        url="https://other.example.test/hooks",
        event_types=["plan.signed"],
    )

    owed = services.emit(
        rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"episode": 12, "plan": 34, "version": 2}
    )

    assert sorted(delivery.endpoint_id for delivery in owed) == sorted([wanted.pk, also.pk])
    assert not elsewhere.deliveries.exists()
    # One event: the same id for every endpoint.
    assert len({delivery.event_id for delivery in owed}) == 1
    for delivery in WebhookDelivery.objects.all():
        assert (delivery.status, delivery.attempts, delivery.event_type) == ("pending", 0, "plan.signed")
        assert delivery.next_attempt_at <= timezone.now()


def test_the_payload_holds_ids_only(make_endpoint, clinic):
    make_endpoint()

    [delivery] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"episode": 12, "plan": 34})

    payload = WebhookDelivery.objects.get(pk=delivery.pk).payload
    assert set(payload) == {"id", "type", "occurred_at", "clinic", "data"}
    assert uuid.UUID(payload["id"]) == delivery.event_id
    assert payload["type"] == "plan.signed"
    assert payload["clinic"] == clinic.pk
    assert payload["data"] == {"episode": 12, "plan": 34}
    assert all(type(value) is int for value in payload["data"].values())


@pytest.mark.parametrize("data", [{"patient_name": "Robin Runner"}, {"plan": "34"}, {"plan": 1.5}, {"flag": True}])
def test_anything_but_ids_is_refused(make_endpoint, clinic, data):
    make_endpoint()

    with pytest.raises(TypeError, match="ids only"):
        services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data=data)

    assert not WebhookDelivery.objects.exists()


def test_an_unknown_event_type_is_refused(clinic):
    with pytest.raises(ValueError, match=r"patient\.viewed"):
        services.emit("patient.viewed", clinic_id=clinic.pk, data={})


def test_the_deliveries_roll_back_with_the_callers_transaction(
    make_endpoint, clinic, django_capture_on_commit_callbacks
):
    make_endpoint()

    def failing_change():
        with transaction.atomic():
            services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 1})
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks() as queued, pytest.raises(RuntimeError):
        failing_change()

    assert not WebhookDelivery.objects.exists()
    assert queued == []


def test_the_send_is_queued_after_commit(make_endpoint, clinic, django_capture_on_commit_callbacks, monkeypatch):
    from clinic.webhooks import tasks

    sent = []
    monkeypatch.setattr(tasks.send_webhook_delivery, "delay", sent.append)
    make_endpoint()

    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 1})
        assert sent == []

    assert sent == [delivery.pk]


def test_a_ping_goes_to_that_endpoint_whatever_it_subscribes_to(clinic_admin, make_endpoint):
    endpoint = make_endpoint(events=["intake.submitted"])
    make_endpoint(events=["intake.submitted"])

    delivery = services.ping(actor=clinic_admin, endpoint=endpoint)

    assert (delivery.endpoint, delivery.event_type, delivery.payload["data"]) == (endpoint, "ping", {})
    assert WebhookDelivery.objects.count() == 1


def test_retry_sends_a_failed_delivery_again_with_the_same_event_id(clinic_admin, make_endpoint, clinic):
    make_endpoint()
    [delivery] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 1})
    with pytest.raises(ValidationError, match="Only a failed"):
        services.delivery_retry(actor=clinic_admin, delivery=delivery)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.GIVEN_UP, attempts=8)

    retried = services.delivery_retry(actor=clinic_admin, delivery=delivery)

    assert (retried.status, retried.attempts, retried.event_id) == (DeliveryStatus.PENDING, 0, delivery.event_id)


# --- Constraints --------------------------------------------------------------------------------------


def test_the_database_refuses_a_second_delivery_of_one_event_to_one_endpoint(make_endpoint, clinic):
    make_endpoint()
    [delivery] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 1})

    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(
            endpoint=delivery.endpoint,
            event_id=delivery.event_id,
            event_type="plan.signed",
            payload={},
            next_attempt_at=timezone.now(),
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "lost"},
        {"status": "pending", "next_attempt_at": None},
        {"status": "delivered", "delivered_at": None},
        {"status": "failed", "delivered_at": timezone.now()},
    ],
)
def test_the_database_refuses_an_inconsistent_delivery(make_endpoint, clinic, fields):
    make_endpoint()
    [delivery] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 1})

    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"active": False},
        {"disabled_at": timezone.now()},
        {"url": ""},
        {"sealed_secret": "whsec_plain-text-secret"},
        {"sealed_previous_secret": "whsec_plain-text-secret", "previous_secret_until": timezone.now()},
        {"previous_secret_until": timezone.now()},
    ],
)
def test_the_database_refuses_an_inconsistent_endpoint(make_endpoint, fields):
    endpoint = make_endpoint()

    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**fields)


def test_secrets_are_sealed_in_the_database_and_read_back_plain(make_endpoint, clinic_admin):
    endpoint = make_endpoint()
    first = endpoint.secret
    _, second = services.endpoint_rotate_secret(actor=clinic_admin, endpoint=endpoint)

    stored = WebhookEndpoint.objects.values("sealed_secret", "sealed_previous_secret").get(pk=endpoint.pk)
    fresh = WebhookEndpoint.objects.get(pk=endpoint.pk)

    assert all(value.startswith(sealing.SEALED_PREFIX) for value in stored.values())
    assert first not in str(stored)
    assert second not in str(stored)
    assert (fresh.secret, fresh.previous_secret) == (second, first)
    assert fresh.secret_hint == rules.secret_hint(second)


def test_a_new_sealing_key_put_first_still_opens_what_the_old_one_sealed(make_endpoint, settings):
    settings.WEBHOOK_SECRET_KEYS = [Fernet.generate_key().decode()]
    endpoint = make_endpoint()
    secret = endpoint.secret

    settings.WEBHOOK_SECRET_KEYS = [Fernet.generate_key().decode(), *settings.WEBHOOK_SECRET_KEYS]
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret

    settings.WEBHOOK_SECRET_KEYS = settings.WEBHOOK_SECRET_KEYS[:1]  # the old key dropped
    unreadable = WebhookEndpoint.objects.get(pk=endpoint.pk)
    with pytest.raises(sealing.UnreadableSecret):
        unreadable.secret  # noqa: B018
    assert unreadable.secret_hint == "(unreadable: make a new secret)"


def test_an_unreadable_secret_is_replaced_by_rotating_and_its_page_still_opens(
    make_endpoint, clinic_admin, settings, client
):
    endpoint = make_endpoint()
    services.endpoint_rotate_secret(actor=clinic_admin, endpoint=endpoint)  # an overlap is open
    settings.WEBHOOK_SECRET_KEYS = [Fernet.generate_key().decode()]  # neither secret opens now
    client.force_login(clinic_admin)

    page = client.get(f"/settings/webhooks/{endpoint.pk}/")
    _, new = services.endpoint_rotate_secret(actor=clinic_admin, endpoint=WebhookEndpoint.objects.get(pk=endpoint.pk))

    assert page.status_code == 200
    assert "(unreadable: make a new secret)" in page.content.decode()
    fresh = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert fresh.signing_secrets(timezone.now()) == [new]
    assert (fresh.sealed_previous_secret, fresh.previous_secret_until) == ("", None)
