"""Webhook endpoints of a clinic, the deliveries owed to them and every attempt made.

The delivery row, not the broker, records what is still owed: a pending row whose
``next_attempt_at`` has passed is sent by the beat sweep even if its queued message was lost.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clinic.models import Clinic, User
from clinic.webhooks import rules, sealing


def _validate_event_types(value) -> None:
    problems = rules.event_type_problems(value)
    if problems:
        raise ValidationError(problems)


def _hint(sealed: str) -> str:
    try:
        return rules.secret_hint(sealing.unseal(sealed))
    except sealing.UnreadableSecret:
        return "(unreadable: make a new secret)"


class WebhookEndpoint(models.Model):
    """An address a clinic admin registered to be told about events.

    The secret is stored sealed (signing needs it back, so it cannot be a hash). Pages and the
    API show it once, when it is made or rotated, and then only its start.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.CharField("address", max_length=rules.URL_MAX_LENGTH)
    description = models.CharField(max_length=100, blank=True, help_text="What receives the events, for your records.")
    event_types = models.JSONField(validators=[_validate_event_types])
    # Sealed (clinic/webhooks/sealing.py); ``secret`` reads and writes the plain value.
    sealed_secret = models.CharField(max_length=250)
    # The secret this one replaced: it signs deliveries too until ``previous_secret_until``, so
    # the receiver can change over without refusing events in between.
    sealed_previous_secret = models.CharField(max_length=250, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    # The clinic admins are still to be e-mailed that the endpoint was switched off.
    notice_owed = models.BooleanField(default=False)
    # Deliveries given up in a row; a delivered event resets it.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active=True, disabled_at__isnull=True) | Q(active=False, disabled_at__isnull=False),
                name="webhook_endpoint_disabled_has_date",
            ),
            models.CheckConstraint(condition=~Q(url=""), name="webhook_endpoint_has_url"),
            models.CheckConstraint(
                condition=Q(sealed_secret__startswith=sealing.SEALED_PREFIX), name="webhook_endpoint_secret_sealed"
            ),
            models.CheckConstraint(
                condition=Q(sealed_previous_secret="", previous_secret_until__isnull=True)
                | Q(sealed_previous_secret__startswith=sealing.SEALED_PREFIX, previous_secret_until__isnull=False),
                name="webhook_endpoint_previous_secret_sealed",
            ),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    def clean(self) -> None:
        super().clean()
        problem = rules.url_problem(
            self.url, debug=settings.DEBUG, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS
        )
        if problem:
            raise ValidationError({"url": problem})

    @property
    def secret(self) -> str:
        return sealing.unseal(self.sealed_secret)

    @secret.setter
    def secret(self, value: str) -> None:
        self.sealed_secret = sealing.seal(value)

    @property
    def previous_secret(self) -> str:
        return sealing.unseal(self.sealed_previous_secret)

    @previous_secret.setter
    def previous_secret(self, value: str) -> None:
        self.sealed_previous_secret = sealing.seal(value)

    @property
    def secret_hint(self) -> str:
        return _hint(self.sealed_secret)

    @property
    def previous_secret_hint(self) -> str:
        return _hint(self.sealed_previous_secret)

    @property
    def previous_secret_signs(self) -> bool:
        return bool(self.sealed_previous_secret) and rules.overlap_open(self.previous_secret_until, timezone.now())

    def signing_secrets(self, now: datetime.datetime) -> list[str]:
        return rules.signing_secrets(
            secret=self.secret, previous=self.previous_secret, previous_until=self.previous_secret_until, now=now
        )

    @property
    def event_labels(self) -> list[str]:
        return [rules.EVENT_LABELS.get(value, value) for value in self.event_types]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    # Stopped without all its attempts: the receiver answered 410, or the endpoint was disabled.
    FAILED = "failed", "Failed"
    GIVEN_UP = "given_up", "Given up"


# Settled rows a clinic admin may send again by hand.
RETRYABLE = (DeliveryStatus.FAILED, DeliveryStatus.GIVEN_UP)


class WebhookDelivery(models.Model):
    """One event owed to one endpoint. ``event_id`` is the same for every attempt, so the
    receiver can drop a repeat; ``payload`` holds ids only, never patient details."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=9, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_event_once"),
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status_known"),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.PENDING) | Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_has_due_time",
            ),
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.DELIVERED, delivered_at__isnull=False)
                | (~Q(status=DeliveryStatus.DELIVERED) & Q(delivered_at__isnull=True)),
                name="webhook_delivery_delivered_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"

    @property
    def clinic_id(self) -> int:
        # The audit trail files the delivery under its endpoint's clinic.
        return self.endpoint.clinic_id


class WebhookAttempt(models.Model):
    """One POST to the receiver, whatever came of it."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Short and without PHI: the kind of failure, or the first characters of a non-2xx answer.
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
