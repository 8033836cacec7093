"""Clinic settings → Webhooks: endpoints, their secret, the delivery log. Clinic admins only;
another clinic's endpoint answers 404."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from clinic import access, permissions
from clinic.webhooks import selectors, services
from clinic.webhooks.forms import EndpointForm
from clinic.webhooks.models import WebhookDelivery, WebhookEndpoint

PAGE_SIZE = 25


def _require_admin(request: HttpRequest) -> None:
    if not permissions.can_manage_webhooks(request.user):
        raise PermissionDenied


def _attempt(form, write):
    """Run a service write; its validation errors land on the form (by field where they name one)."""
    try:
        return write()
    except ValidationError as error:
        form.add_error(None, error)
        return None


def _flash_errors(request: HttpRequest, write) -> None:
    try:
        write()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    endpoints = list(selectors.endpoints_for(request.user))
    return render(
        request,
        "webhooks/list.html",
        {"endpoints": endpoints, "disabled": [endpoint for endpoint in endpoints if not endpoint.active]},
    )


def _secret_page(request: HttpRequest, endpoint: WebhookEndpoint, secret: str, *, created: bool) -> HttpResponse:
    return render(request, "webhooks/secret.html", {"endpoint": endpoint, "secret": secret, "created": created})


@login_required
@never_cache
def webhook_create(request: HttpRequest) -> HttpResponse:
    """On success the secret is rendered in this response only, never redirected with."""
    _require_admin(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = _attempt(form, lambda: services.endpoint_create(actor=request.user, **form.cleaned_data))
        if created:
            return _secret_page(request, *created, created=True)
    return render(request, "webhooks/form.html", {"form": form})


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The endpoint's settings form, its actions and its delivery log with every attempt."""
    endpoint = access.webhook_endpoint_for(request.user, pk)
    form = EndpointForm(
        request.POST or None,
        initial={"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types},
    )
    if request.method == "POST" and form.is_valid():
        updated = _attempt(
            form, lambda: services.endpoint_update(actor=request.user, endpoint=endpoint, **form.cleaned_data)
        )
        if updated:
            messages.success(request, "Endpoint saved.")
            return redirect("webhook_detail", pk=endpoint.pk)
    page = Paginator(selectors.deliveries_of(endpoint), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/detail.html",
        {"endpoint": endpoint, "form": form, "page": page, "has_deliveries": endpoint.deliveries.exists()},
    )


@login_required
@never_cache
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = access.webhook_endpoint_for(request.user, pk)
    if request.method == "POST":
        return _secret_page(
            request, *services.endpoint_rotate_secret(actor=request.user, endpoint=endpoint), created=False
        )
    return render(
        request,
        "webhooks/rotate.html",
        {"endpoint": endpoint, "overlap_hours": settings.WEBHOOK_SECRET_OVERLAP_HOURS},
    )


@login_required
@require_POST
def webhook_disable(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = services.endpoint_disable(actor=request.user, endpoint=access.webhook_endpoint_for(request.user, pk))
    messages.success(request, f"“{endpoint}” is disabled; nothing is sent to it until you enable it.")
    return redirect("webhook_detail", pk=endpoint.pk)


@login_required
@require_POST
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = services.endpoint_enable(actor=request.user, endpoint=access.webhook_endpoint_for(request.user, pk))
    messages.success(request, f"“{endpoint}” is enabled; new events are sent to it.")
    return redirect("webhook_detail", pk=endpoint.pk)


@login_required
@require_POST
def webhook_ping(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = access.webhook_endpoint_for(request.user, pk)

    def send() -> None:
        services.ping(actor=request.user, endpoint=endpoint)
        messages.success(request, "A test event is on its way; its attempts appear in the log below.")

    _flash_errors(request, send)
    return redirect("webhook_detail", pk=endpoint.pk)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = access.webhook_endpoint_for(request.user, pk)
    try:
        services.endpoint_delete(actor=request.user, endpoint=endpoint)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("webhook_detail", pk=endpoint.pk)
    messages.success(request, f"“{endpoint}” is deleted.")
    return redirect("webhook_list")


@login_required
@require_POST
def delivery_retry(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    endpoint = access.webhook_endpoint_for(request.user, pk)
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=delivery_pk, endpoint=endpoint)

    def retry() -> None:
        services.delivery_retry(actor=request.user, delivery=delivery)
        messages.success(request, f"The {delivery.event_type} event is being sent again.")

    _flash_errors(request, retry)
    return redirect("webhook_detail", pk=endpoint.pk)
