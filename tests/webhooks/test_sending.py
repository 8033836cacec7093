"""Sending to a real HTTP receiver on 127.0.0.1: signed body and headers, retries with
backoff after failures, timeouts, 410 Gone, disabling after repeated failures with a notice,
and a delivery sent once however often its task runs."""

from __future__ import annotations

import datetime
import json
import socket
import time

import pytest
import requests
from cryptography.fernet import Fernet
from django.core import mail
from django.utils import timezone

from clinic.permissions import Role
from clinic.webhooks import rules, sending, services, tasks, transport
from clinic.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory


@pytest.fixture
def endpoint(make_endpoint, receiver):
    return make_endpoint(url=receiver.url, events=["plan.signed", "appointment.booked"])


def _emit(endpoint, **data) -> WebhookDelivery:
    [delivery] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=endpoint.clinic_id, data=data or {"plan": 7})
    return delivery


def _outgoing(url: str) -> sending.Outgoing:
    """One POST straight to ``url``, without an endpoint or delivery row."""
    return sending.Outgoing(
        url=url, secrets=("whsec_test",), body=b"{}", event_id="e-1", event_type="plan.signed", attempt=1
    )


def _due_now(delivery: WebhookDelivery) -> None:
    """Jump past the backoff wait instead of sleeping through it."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_delivery_posts_the_signed_payload_with_its_headers(endpoint, receiver):
    delivery = _emit(endpoint, episode=12, plan=34, version=2)

    assert tasks.send_webhook_delivery.delay(delivery.pk).get() is True

    [request] = receiver.requests
    assert request.path == "/hooks"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Stride-Webhooks/1"
    assert request.headers["Stride-Event-Id"] == str(delivery.event_id)
    assert request.headers["Stride-Event-Type"] == "plan.signed"
    assert request.headers["Stride-Delivery-Attempt"] == "1"
    assert rules.verify(
        secret=endpoint.secret, header=request.headers["Stride-Signature"], body=request.body, now=int(time.time())
    )
    assert not rules.verify(
        secret=rules.new_secret(), header=request.headers["Stride-Signature"], body=request.body, now=int(time.time())
    )
    body = json.loads(request.body)
    assert body == {
        "id": str(delivery.event_id),
        "type": "plan.signed",
        "occurred_at": body["occurred_at"],
        "clinic": endpoint.clinic_id,
        "data": {"episode": 12, "plan": 34, "version": 2},
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 204)
    assert delivery.delivered_at is not None
    [attempt] = delivery.attempt_log.all()
    assert (attempt.status_code, attempt.error) == (204, "")


def test_running_the_task_twice_sends_once(endpoint, receiver):
    delivery = _emit(endpoint)

    assert sending.send(delivery_id=delivery.pk) is True
    assert sending.send(delivery_id=delivery.pk) is False

    assert len(receiver.requests) == 1
    assert delivery.attempt_log.count() == 1


def test_a_delivery_claimed_by_another_worker_is_not_sent_again(endpoint, receiver):
    delivery = _emit(endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, sending_at=timezone.now())

    assert sending.send(delivery_id=delivery.pk) is False
    assert receiver.requests == []


def test_a_500_is_tried_again_after_the_backoff_with_the_same_event_id(endpoint, receiver):
    receiver.plan(500, 503)
    delivery = _emit(endpoint)

    before = timezone.now()
    assert sending.send(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    # Only the code: the receiver's answer may quote anything, so none of it is kept.
    assert delivery.last_error == "HTTP 500"
    assert before + datetime.timedelta(minutes=1) <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= timezone.now() + datetime.timedelta(minutes=1)
    # Not due yet: a second run sends nothing.
    assert sending.send(delivery_id=delivery.pk) is False
    assert len(receiver.requests) == 1

    _due_now(delivery)
    assert sending.send(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.next_attempt_at >= timezone.now() + datetime.timedelta(minutes=4)

    _due_now(delivery)
    assert sending.send(delivery_id=delivery.pk) is True

    assert [request.headers["Stride-Delivery-Attempt"] for request in receiver.requests] == ["1", "2", "3"]
    assert {request.headers["Stride-Event-Id"] for request in receiver.requests} == {str(delivery.event_id)}
    assert [attempt.status_code for attempt in delivery.attempt_log.all()] == [500, 503, 204]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


def test_no_answer_within_the_timeout_is_logged_and_tried_again(endpoint, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.plan("hang")
    delivery = _emit(endpoint)

    assert sending.send(delivery_id=delivery.pk) is False

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error == "No answer within 0.3 s."
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code is None
    assert attempt.error == "No answer within 0.3 s."


def test_a_refused_connection_is_tried_again(make_endpoint, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    # Port 9 (discard) on loopback: nothing listens there in the test environment.
    endpoint = make_endpoint(url="http://127.0.0.1:9/hooks")
    delivery = _emit(endpoint)

    assert sending.send(delivery_id=delivery.pk) is False

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PENDING, "Could not connect to the receiver.")


def test_redirects_are_not_followed(endpoint, receiver):
    receiver.plan(302)
    receiver.redirect_to = receiver.url.replace("/hooks", "/other")
    delivery = _emit(endpoint)

    assert sending.send(delivery_id=delivery.pk) is False

    assert [request.path for request in receiver.requests] == ["/hooks"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.PENDING, 302)


def test_private_addresses_are_refused_unless_allowed(endpoint, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    delivery = _emit(endpoint)

    assert sending.send(delivery_id=delivery.pk) is False

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == "The address is on a network Stride does not send to."


def test_410_gone_fails_the_delivery_and_disables_the_endpoint_at_once(
    endpoint, receiver, clinic, clinic_admin, django_capture_on_commit_callbacks
):
    other_owed = _emit(endpoint, plan=8)
    receiver.plan(410)
    delivery = _emit(endpoint)

    with django_capture_on_commit_callbacks(execute=True):
        assert sending.send(delivery_id=delivery.pk) is False

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    other_owed.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.FAILED, 410)
    assert not endpoint.active
    assert endpoint.disabled_reason == "The receiver answered 410 Gone: it no longer accepts events."
    # What was still owed to it stops too, and says why.
    assert other_owed.status == DeliveryStatus.FAILED
    assert other_owed.last_error == services.ENDPOINT_DISABLED
    [notice] = mail.outbox
    assert notice.to == [clinic_admin.email]
    # New events are not owed to a disabled endpoint.
    assert services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 1}) == []


def test_the_last_attempt_gives_the_delivery_up(endpoint, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.plan(500, 500, 500)
    delivery = _emit(endpoint)

    for _ in range(3):
        sending.send(delivery_id=delivery.pk)
        _due_now(delivery) if WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING else None

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.GIVEN_UP, 3)
    assert delivery.attempt_log.count() == 3
    assert endpoint.consecutive_failures == 1
    assert endpoint.active
    # Given up is final: the sweep leaves it alone.
    assert sending.send(delivery_id=delivery.pk) is False
    assert len(receiver.requests) == 3


def test_repeated_failures_disable_the_endpoint_and_tell_the_clinic_admins(
    endpoint, receiver, settings, clinic, clinic_admin, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_DISABLE_AFTER = 3
    second_admin = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN])
    UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
    UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN], is_active=False)
    receiver.plan(500, 500, 500)

    with django_capture_on_commit_callbacks(execute=True):
        for plan in (1, 2):
            sending.send(delivery_id=_emit(endpoint, plan=plan).pk)
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.consecutive_failures) == (True, 2)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        sending.send(delivery_id=_emit(endpoint, plan=3).pk)

    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.disabled_reason == "3 events in a row could not be delivered."
    assert not endpoint.notice_owed
    [notice] = mail.outbox
    assert sorted(notice.to) == sorted([clinic_admin.email, second_admin.email])
    assert notice.subject == "A webhook endpoint was disabled"
    assert f"/settings/webhooks/{endpoint.pk}/" in notice.body
    assert "3 events in a row could not be delivered." in notice.body
    # No receiver address (it may carry a key in its query) and nothing about patients.
    assert receiver.url not in notice.body
    # The notice is sent once, however often its task runs.
    assert tasks.notify_endpoint_disabled.delay(endpoint.pk).get() is False
    assert len(mail.outbox) == 1


def test_a_delivered_event_resets_the_failure_count(endpoint, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.plan(500)
    sending.send(delivery_id=_emit(endpoint, plan=1).pk)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1

    sending.send(delivery_id=_emit(endpoint, plan=2).pk)

    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_an_owed_delivery_of_a_disabled_endpoint_fails_instead_of_sending(endpoint, receiver, clinic_admin):
    delivery = _emit(endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_at=timezone.now())

    assert sending.send(delivery_id=delivery.pk) is False

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_the_sweep_sends_due_deliveries_only(endpoint, receiver, django_capture_on_commit_callbacks):
    due = _emit(endpoint, plan=1)
    later = _emit(endpoint, plan=2)
    WebhookDelivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + datetime.timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_webhook_deliveries.delay().get() == 1

    assert [json.loads(request.body)["data"] for request in receiver.requests] == [{"plan": 1}]
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == (DeliveryStatus.DELIVERED, DeliveryStatus.PENDING)


def test_a_send_interrupted_by_a_dead_worker_is_logged_and_sent_again(endpoint, receiver):
    delivery = _emit(endpoint)
    long_ago = timezone.now() - datetime.timedelta(minutes=11)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, sending_at=long_ago, attempts=1
    )

    assert sending.settle_interrupted() == 1

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    [attempt] = delivery.attempt_log.all()
    assert attempt.error == "Sending was interrupted; the event is sent again."
    assert sending.send(delivery_id=delivery.pk) is True
    assert receiver.requests[0].headers["Stride-Delivery-Attempt"] == "2"


def test_a_rotated_secret_signs_alongside_the_old_one_until_the_overlap_ends(endpoint, receiver, clinic_admin):
    old = endpoint.secret
    endpoint, new = services.endpoint_rotate_secret(actor=clinic_admin, endpoint=endpoint)

    sending.send(delivery_id=_emit(endpoint).pk)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(previous_secret_until=timezone.now())
    sending.send(delivery_id=_emit(endpoint).pk)

    during, after = receiver.requests
    now = int(time.time())
    assert during.headers["Stride-Signature"].count("v1=") == 2
    assert rules.verify(secret=new, header=during.headers["Stride-Signature"], body=during.body, now=now)
    assert rules.verify(secret=old, header=during.headers["Stride-Signature"], body=during.body, now=now)
    assert after.headers["Stride-Signature"].count("v1=") == 1
    assert rules.verify(secret=new, header=after.headers["Stride-Signature"], body=after.body, now=now)
    assert not rules.verify(secret=old, header=after.headers["Stride-Signature"], body=after.body, now=now)


def test_the_post_goes_to_the_address_that_was_checked_not_a_second_answer(receiver, monkeypatch):
    """DNS rebinding: the name answers an allowed address to the check and another one after.
    The request still reaches the checked address, named by its host in the Host header."""
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def getaddrinfo(host, *args, **kwargs):
        if host == "hooks.example.test":
            # A documentation address (TEST-NET-3) after the first answer: nothing listens there.
            return real(next(answers, "203.0.113.9"), *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answer = sending.post(_outgoing(f"http://hooks.example.test:{port}/hooks"))

    assert (answer.status_code, answer.error) == (204, "")
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.example.test:{port}"
    assert request.path == "/hooks"


@pytest.mark.parametrize(
    ("url", "address", "pinned", "host"),
    [
        ("https://hooks.example.test/in?k=1", "203.0.113.9", "https://203.0.113.9/in?k=1", "hooks.example.test"),
        (
            "https://hooks.example.test:8443/in",
            "2001:db8::5",
            "https://[2001:db8::5]:8443/in",
            "hooks.example.test:8443",
        ),
        ("http://localhost:9000/in", "127.0.0.1", "http://127.0.0.1:9000/in", "localhost:9000"),
    ],
)
def test_the_url_is_pinned_to_the_checked_address(url, address, pinned, host):
    assert sending._pinned(url, address) == (pinned, host)


def test_tls_to_a_pinned_address_still_names_and_verifies_the_host():
    request = requests.Request("POST", "https://203.0.113.9/in").prepare()

    host_params, pool_kwargs = transport.PinnedAdapter("hooks.example.test").build_connection_pool_key_attributes(
        request, True
    )

    assert host_params["host"] == "203.0.113.9"
    assert pool_kwargs["server_hostname"] == pool_kwargs["assert_hostname"] == "hooks.example.test"
    assert pool_kwargs["cert_reqs"] == "CERT_REQUIRED"


def test_a_proxy_from_the_environment_is_not_used(receiver, monkeypatch):
    # A proxy would look the name up again; nothing listens at this one.
    monkeypatch.setenv("HTTP_PROXY", "http://203.0.113.9:3128")
    monkeypatch.setenv("NO_PROXY", "")
    assert sending.post(_outgoing(receiver.url)).status_code == 204
    assert len(receiver.requests) == 1


def test_an_unreadable_secret_sends_nothing_and_the_attempt_says_why(endpoint, receiver, settings):
    delivery = _emit(endpoint)
    settings.WEBHOOK_SECRET_KEYS = [Fernet.generate_key().decode()]  # not the key that sealed it

    assert sending.send(delivery_id=delivery.pk) is False

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING  # tried again later, as any failure
    assert delivery.last_error == sending.CANNOT_SIGN


@pytest.mark.parametrize("other", ["100.64.0.1", "100.100.100.200", "192.88.99.1", "fec0::1", "2002:a9fe:a9fe::1"])
def test_a_name_with_one_address_not_globally_routable_is_not_sent_to(receiver, monkeypatch, other):
    """The receiver's own address is allowed (development escape on), but the name also
    resolves to an address that is not globally routable: nothing is sent to either."""
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])

    def getaddrinfo(host, port_, *args, **kwargs):
        family = socket.AF_INET6 if ":" in other else socket.AF_INET
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port_)),
            (family, socket.SOCK_STREAM, 6, "", (other, port_)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answer = sending.post(_outgoing(f"http://hooks.example.test:{port}/hooks"))

    assert (answer.status_code, answer.error) == (None, "The address is on a network Stride does not send to.")
    assert receiver.requests == []
