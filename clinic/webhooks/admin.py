"""Django admin: webhook endpoints and their delivery log, read-only and limited to the
admin's clinic. Endpoints are added and changed on Clinic settings → Webhooks, where the
secret can be shown once and every change is audited; the secret never appears here."""

from __future__ import annotations

from django.contrib import admin

from clinic import permissions
from clinic.admin_site import ClinicScopedAdmin, ClinicScopedInline
from clinic.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class ReadOnlyWebhookAdmin(ClinicScopedAdmin):
    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or permissions.can_manage_webhooks(request.user)

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AttemptInline(ClinicScopedInline):
    model = WebhookAttempt
    fields = ["started_at", "duration_ms", "status_code", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or permissions.can_manage_webhooks(request.user)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyWebhookAdmin):
    list_display = ["__str__", "url", "active", "consecutive_failures", "disabled_at", "created_at"]
    list_filter = ["active"]
    fields = [
        "url",
        "description",
        "event_types",
        "secret_hint",
        "active",
        "disabled_at",
        "disabled_reason",
        "consecutive_failures",
        "created_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyWebhookAdmin):
    list_display = ["event_type", "event_id", "endpoint", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event_type"]
    list_select_related = ["endpoint"]
    fields = [
        "endpoint",
        "event_id",
        "event_type",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [AttemptInline]
