"""Reads of webhook endpoints and their delivery log, scoped to the clinic admin's clinic."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from clinic import permissions
from clinic.models import User
from clinic.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoints_for(user: User) -> QuerySet[WebhookEndpoint]:
    """The endpoints a clinic admin may see: their own clinic's; nothing for anyone else."""
    if not permissions.can_manage_webhooks(user):
        return WebhookEndpoint.objects.none()
    return permissions.clinic_rows(user, WebhookEndpoint).order_by("created_at", "pk")


def deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Newest first, each with its attempts, in a fixed number of queries per page."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("started_at", "pk")))
        .order_by("-created_at", "-pk")
    )
