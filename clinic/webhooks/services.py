"""Every write about webhook endpoints (clinic admins only, audited) and ``emit``, which the
other apps' services call inside their own transaction when something happens.

Sending is in ``sending.py``; the rules (signature, retries, disabling) in ``rules.py``.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic import audit, permissions, queueing
from clinic.models import User
from clinic.permissions import Role
from clinic.webhooks import rules, sealing
from clinic.webhooks.models import RETRYABLE, DeliveryStatus, WebhookDelivery, WebhookEndpoint

EDITABLE_FIELDS = ("url", "description", "event_types")
DISABLED_BY_ADMIN = "Disabled by a clinic admin."
ENDPOINT_DISABLED = "The endpoint was disabled before this event was delivered."


def _require(actor: User, endpoint: WebhookEndpoint | None = None) -> None:
    if not permissions.can_manage_webhooks(actor, endpoint.clinic if endpoint else None):
        raise PermissionDenied


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


# --- Endpoints (clinic admins) ------------------------------------------------------------------


def endpoint_create(
    *, actor: User, url: str, event_types: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its new secret, for the admin to copy now."""
    _require(actor)
    endpoint = WebhookEndpoint(
        clinic_id=actor.clinic_id,
        url=url.strip(),
        description=description.strip(),
        event_types=list(event_types),
        secret=rules.new_secret(),
        created_by=actor,
    )
    endpoint.full_clean()
    with transaction.atomic():
        endpoint.save()
        audit.record(actor=actor, action="webhook_endpoint.created", obj=endpoint, changed_fields=EDITABLE_FIELDS)
    return endpoint, endpoint.secret


def endpoint_update(*, actor: User, endpoint: WebhookEndpoint, **fields) -> WebhookEndpoint:
    """Change the address, description or events; the secret and the active flag have their own services."""
    _require(actor, endpoint)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    with transaction.atomic():
        locked = _locked(endpoint)
        if "url" in fields:
            fields["url"] = fields["url"].strip()
        if "description" in fields:
            fields["description"] = fields["description"].strip()
        changed = [name for name, value in fields.items() if getattr(locked, name) != value]
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean()
        if changed:
            locked.save()
            audit.record(actor=actor, action="webhook_endpoint.updated", obj=locked, changed_fields=changed)
    return locked


def endpoint_rotate_secret(*, actor: User, endpoint: WebhookEndpoint) -> tuple[WebhookEndpoint, str]:
    """A new secret at once: deliveries from now on are signed with it, and with the old one
    as well for ``WEBHOOK_SECRET_OVERLAP_HOURS``, while the receiver changes over. Rotating
    again within that time drops the oldest: only the last two secrets ever sign."""
    _require(actor, endpoint)
    with transaction.atomic():
        locked = _locked(endpoint)
        try:
            previous = locked.secret
        except sealing.UnreadableSecret:
            previous = ""  # the way out of a secret no key opens: nothing left to overlap with
        locked.previous_secret = previous
        locked.previous_secret_until = (
            timezone.now() + datetime.timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS) if previous else None
        )
        locked.secret = rules.new_secret()
        locked.save(update_fields=["sealed_secret", "sealed_previous_secret", "previous_secret_until", "updated_at"])
        audit.record(actor=actor, action="webhook_endpoint.secret_rotated", obj=locked, changed_fields=["secret"])
    return locked, locked.secret


def disable(endpoint: WebhookEndpoint, *, reason: str, actor: User | None) -> None:
    """Switch the endpoint off inside the caller's transaction (the row locked by the caller).

    Events still owed to it fail at once rather than wait: a clinic admin who enables it again
    may send any of them with "Retry now". Switched off by the sender (``actor`` None), the
    clinic admins get an e-mail, owed on the row until it is sent.
    """
    endpoint.active = False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = reason[:200]
    endpoint.notice_owed = actor is None
    endpoint.save(update_fields=["active", "disabled_at", "disabled_reason", "notice_owed", "updated_at"])
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, last_error=ENDPOINT_DISABLED, updated_at=timezone.now()
    )
    audit.record(actor=actor, action="webhook_endpoint.disabled", obj=endpoint, changed_fields=["active"])
    if actor is None:
        from clinic.webhooks.tasks import notify_endpoint_disabled

        queueing.after_commit(notify_endpoint_disabled, endpoint.pk)


def endpoint_disable(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    _require(actor, endpoint)
    with transaction.atomic():
        locked = _locked(endpoint)
        if locked.active:
            disable(locked, reason=DISABLED_BY_ADMIN, actor=actor)
    return locked


def endpoint_enable(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Switch it on again with a clean slate: the failure count starts at nought."""
    _require(actor, endpoint)
    with transaction.atomic():
        locked = _locked(endpoint)
        if not locked.active:
            locked.active, locked.disabled_at, locked.disabled_reason = True, None, ""
            locked.consecutive_failures, locked.notice_owed = 0, False
            locked.save()
            audit.record(actor=actor, action="webhook_endpoint.enabled", obj=locked, changed_fields=["active"])
    return locked


def endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    """Only an endpoint that was never sent anything: the delivery log of the others is kept
    (the database refuses to delete it), so those are disabled instead."""
    _require(actor, endpoint)
    with transaction.atomic():
        locked = _locked(endpoint)
        audit.record(actor=actor, action="webhook_endpoint.deleted", obj=locked)
        try:
            locked.delete()
        except ProtectedError as error:
            raise ValidationError(
                "This endpoint has a delivery log, which is kept; disable the endpoint instead."
            ) from error


# --- Events ----------------------------------------------------------------------------------------


def _payload(*, event_id: uuid.UUID, event_type: str, clinic_id: int, data: dict[str, int]) -> dict:
    return {
        "id": str(event_id),
        "type": event_type,
        "occurred_at": timezone.now().isoformat(),
        "clinic": clinic_id,
        "data": data,
    }


def _ids_only(data: dict[str, int]) -> dict[str, int]:
    """Payloads carry record ids and nothing else, so no patient detail can slip into one."""
    for key, value in data.items():
        if not isinstance(key, str) or type(value) is not int:
            raise TypeError(f"Webhook data holds ids only; {key!r} is {type(value).__name__}")
    return dict(data)


def _queue(deliveries: list[WebhookDelivery]) -> None:
    from clinic.webhooks.tasks import send_webhook_delivery

    for delivery in deliveries:
        queueing.after_commit(send_webhook_delivery, delivery.pk)


def emit(event_type: rules.EventType, *, clinic_id: int, data: dict[str, int]) -> list[WebhookDelivery]:
    """Owe the event to every active endpoint of the clinic that subscribes to it.

    Call it inside the transaction that made the change: the rows commit (or roll back) with
    it, and the sends are queued after the commit. One event id for all endpoints and all
    attempts, so a receiver can tell a repeat.
    """
    event_type = rules.EventType(event_type)
    data = _ids_only(data)
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(clinic_id=clinic_id, active=True)
        if event_type in endpoint.event_types
    ]
    if not endpoints:
        return []
    event_id = uuid.uuid4()
    payload = _payload(event_id=event_id, event_type=event_type, clinic_id=clinic_id, data=data)
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint, event_id=event_id, event_type=event_type, payload=payload, next_attempt_at=now
            )
            for endpoint in endpoints
        ]
    )
    _queue(deliveries)
    return deliveries


def ping(*, actor: User, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test event (type ``ping``, no data) for this one endpoint, whatever it subscribes to."""
    _require(actor, endpoint)
    if not endpoint.active:
        raise ValidationError("Enable the endpoint before sending it a test event.")
    event_id = uuid.uuid4()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=event_id,
            event_type=rules.PING,
            payload=_payload(event_id=event_id, event_type=rules.PING, clinic_id=endpoint.clinic_id, data={}),
            next_attempt_at=timezone.now(),
        )
        audit.record(actor=actor, action="webhook_delivery.ping", obj=delivery)
        _queue([delivery])
    return delivery


def delivery_retry(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a failed or given-up event again now, with a fresh set of attempts; same event id."""
    _require(actor, delivery.endpoint)
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
        if locked.status not in RETRYABLE:
            raise ValidationError("Only a failed or given-up delivery can be sent again.")
        if not locked.endpoint.active:
            raise ValidationError("Enable the endpoint before sending its events again.")
        locked.status, locked.attempts, locked.next_attempt_at = DeliveryStatus.PENDING, 0, timezone.now()
        locked.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        audit.record(actor=actor, action="webhook_delivery.retried", obj=locked, changed_fields=["status"])
        _queue([locked])
    return locked


# --- The notice to clinic admins ------------------------------------------------------------------


def notify_disabled(*, endpoint_id: int) -> bool:
    """E-mail the clinic admins that an endpoint was switched off, once; no patient details."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None or endpoint.active or not endpoint.notice_owed:
            return False
        recipients = list(
            User.objects.filter(clinic_id=endpoint.clinic_id, is_active=True, groups__name=Role.CLINIC_ADMIN.value)
            .values_list("email", flat=True)
            .distinct()
        )
        if recipients:
            link = settings.SITE_URL.rstrip("/") + reverse("webhook_detail", args=[endpoint.pk])
            send_mail(
                subject="A webhook endpoint was disabled",
                message=render_to_string("webhooks/disabled_notice.txt", {"endpoint": endpoint, "link": link}),
                from_email=None,
                recipient_list=recipients,
            )
        endpoint.notice_owed = False
        endpoint.save(update_fields=["notice_owed"])
    return bool(recipients)


def owed_notices() -> list[int]:
    return list(WebhookEndpoint.objects.filter(active=False, notice_owed=True).values_list("pk", flat=True))
