"""Sending webhook deliveries: claim the row, POST the signed event, log the attempt, then
mark it delivered, due again later, or given up (and switch the endpoint off when the rules
say so).

At least once, by design: a worker that dies after the receiver got the event but before the
row says so leaves the row SENDING; ``settle_interrupted`` puts it back to pending and it is
sent again with the same event id, which the receiver drops as a repeat. (Reminders to
patients are the opposite, at most once, because a patient cannot drop a duplicate.)
"""

from __future__ import annotations

import datetime
import json
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic import queueing
from clinic.webhooks import rules, sealing, services
from clinic.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

BATCH = 500
USER_AGENT = "Stride-Webhooks/1"
CANNOT_SIGN = "The signing secret could not be opened (WEBHOOK_SECRET_KEYS or SECRET_KEY changed): make a new one."


@dataclass(frozen=True)
class Outgoing:
    url: str
    secrets: tuple[str, ...]
    body: bytes
    event_id: str
    event_type: str
    attempt: int


@dataclass(frozen=True)
class Answer:
    started_at: datetime.datetime
    duration_ms: int
    status_code: int | None
    error: str


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def _claim(delivery_id: int) -> Outgoing | None:
    """Lock the row; if it is owed now, mark it SENDING and count the attempt."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING or delivery.next_attempt_at > now:
            return None
        if not delivery.endpoint.active:
            delivery.status, delivery.last_error = DeliveryStatus.FAILED, services.ENDPOINT_DISABLED
            delivery.save(update_fields=["status", "last_error", "updated_at"])
            return None
        delivery.status, delivery.sending_at = DeliveryStatus.SENDING, now
        delivery.attempts += 1
        delivery.save(update_fields=["status", "sending_at", "attempts", "updated_at"])
    try:
        signing = tuple(delivery.endpoint.signing_secrets(now))
    except sealing.UnreadableSecret:
        signing = ()  # post() logs the attempt as failed: nothing is sent unsigned
    return Outgoing(
        url=delivery.endpoint.url,
        secrets=signing,
        body=body_of(delivery.payload),
        event_id=str(delivery.event_id),
        event_type=delivery.event_type,
        attempt=delivery.attempts,
    )


def _checked_address(url: str) -> tuple[str | None, str | None]:
    """The address to connect to, checked on every address the name resolves to now; or
    None and why it may not be reached."""
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError:
        return None, "The host name could not be resolved."
    addresses = [info[4][0] for info in infos]
    if not rules.addresses_allowed(addresses, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS):
        return None, rules.NOT_REACHABLE
    return infos[0][4][0].split("%", 1)[0], None


def _pinned(url: str, address: str) -> tuple[str, str]:
    """The URL with its host replaced by the checked address, and the Host header to send."""
    parts = urlsplit(url)
    netloc_host = f"[{address}]" if ":" in address else address
    port = f":{parts.port}" if parts.port else ""
    host_header = (f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname) + port
    return urlunsplit(parts._replace(netloc=netloc_host + port)), host_header


def post(outgoing: Outgoing) -> Answer:
    """One POST: short timeout, redirects not followed, the signature over the exact body, to
    the address that was checked."""
    started_at, clock = timezone.now(), time.monotonic()

    def answer(status_code: int | None, error: str) -> Answer:
        return Answer(started_at, int((time.monotonic() - clock) * 1000), status_code, error[:200])

    if not outgoing.secrets:
        return answer(None, CANNOT_SIGN)
    address, refused = _checked_address(outgoing.url)
    if refused:
        return answer(None, refused)
    url, host_header = _pinned(outgoing.url, address)
    timestamp = int(time.time())
    headers = {
        "Host": host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Stride-Event-Id": outgoing.event_id,
        "Stride-Event-Type": outgoing.event_type,
        "Stride-Delivery-Attempt": str(outgoing.attempt),
        rules.SIGNATURE_HEADER: rules.signature_header(keys=outgoing.secrets, timestamp=timestamp, body=outgoing.body),
    }
    # Imported here: with it requests, which the processes that only queue deliveries never need.
    from clinic.webhooks import transport

    status_code, error = transport.post(
        url,
        hostname=urlsplit(outgoing.url).hostname,
        body=outgoing.body,
        headers=headers,
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
    )
    return answer(status_code, error)


def _record(delivery_id: int, answer: Answer) -> None:
    """Log the attempt and settle the row; the endpoint row is locked for its failure count."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status != DeliveryStatus.SENDING:
            return
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        WebhookAttempt.objects.create(
            delivery=delivery,
            started_at=answer.started_at,
            duration_ms=answer.duration_ms,
            status_code=answer.status_code,
            error=answer.error,
        )
        outcome = rules.classify(answer.status_code)
        delivery.last_status_code, delivery.last_error = answer.status_code, answer.error
        if outcome == rules.Outcome.DELIVERED:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
            delivery.save()
            if endpoint.consecutive_failures:
                endpoint.consecutive_failures = 0
                endpoint.save(update_fields=["consecutive_failures", "updated_at"])
            return
        after = rules.after_failure(
            attempts=delivery.attempts, max_attempts=settings.WEBHOOK_MAX_ATTEMPTS, outcome=outcome
        )
        if not after.give_up:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, timezone.now() + after.retry_in
            delivery.save()
            return
        delivery.status = DeliveryStatus.FAILED if outcome == rules.Outcome.GONE else DeliveryStatus.GIVEN_UP
        delivery.save()
        endpoint.consecutive_failures += 1
        endpoint.save(update_fields=["consecutive_failures", "updated_at"])
        disable_after = settings.WEBHOOK_DISABLE_AFTER
        if endpoint.active and rules.should_disable(
            consecutive_failures=endpoint.consecutive_failures, disable_after=disable_after, outcome=outcome
        ):
            reason = (
                "The receiver answered 410 Gone: it no longer accepts events."
                if outcome == rules.Outcome.GONE
                else f"{endpoint.consecutive_failures} events in a row could not be delivered."
            )
            services.disable(endpoint, reason=reason, actor=None)


def send(*, delivery_id: int) -> bool:
    """Make one attempt if the delivery is owed now; True when the receiver took it.

    Running it twice for the same row sends once: the second run finds the row SENDING,
    DELIVERED or not due yet.
    """
    outgoing = _claim(delivery_id)
    if outgoing is None:
        return False
    answer = post(outgoing)
    _record(delivery_id, answer)
    return rules.classify(answer.status_code) == rules.Outcome.DELIVERED


# --- The beat sweep -------------------------------------------------------------------------------


def settle_interrupted(*, older_than: datetime.timedelta = datetime.timedelta(minutes=10)) -> int:
    """Rows left SENDING by a worker that died mid-send are logged and go back to pending."""
    now = timezone.now()
    with transaction.atomic():
        stuck = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True).filter(
                status=DeliveryStatus.SENDING, sending_at__lt=now - older_than
            )
        )
        for delivery in stuck:
            WebhookAttempt.objects.create(
                delivery=delivery,
                started_at=delivery.sending_at,
                duration_ms=0,
                error="Sending was interrupted; the event is sent again.",
            )
        WebhookDelivery.objects.filter(pk__in=[delivery.pk for delivery in stuck]).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now, updated_at=now
        )
    return len(stuck)


def dispatch_due(*, now: datetime.datetime | None = None) -> int:
    """Queue the sends of due pending deliveries (and owed notices); returns how many were queued.

    SKIP LOCKED leaves rows another sweep or a sending worker holds to them. A row queued twice
    (by its event and by the sweep) is still sent once: the send claims it under a lock.
    """
    from clinic.webhooks.tasks import notify_endpoint_disabled, send_webhook_delivery

    now = now or timezone.now()
    settle_interrupted()
    with transaction.atomic():
        due = list(
            # Only the delivery rows: an endpoint row a sending worker holds must not hide its other events.
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        for pk in due:
            queueing.after_commit(send_webhook_delivery, pk)
    for endpoint_id in services.owed_notices():
        queueing.publish(notify_endpoint_disabled, endpoint_id)
    return len(due)
