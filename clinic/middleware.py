from __future__ import annotations

from django.utils import timezone

from clinic import audit
from clinic.client_address import client_ip


class AuditContextMiddleware:
    """Makes the client address available to ``audit.record`` for this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.set_client_ip(client_ip(request) or None)
        try:
            return self.get_response(request)
        finally:
            audit.reset_client_ip(token)


class ClinicTimezoneMiddleware:
    """Shows every time in the signed-in user's clinic's time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        clinic = getattr(request.user, "clinic", None) if request.user.is_authenticated else None
        if clinic is not None:
            timezone.activate(clinic.zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
