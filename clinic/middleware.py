from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.utils import timezone
from django.utils.cache import patch_cache_control

from clinic import audit


class AuditContextMiddleware:
    """Makes the client address available to ``audit.record`` for this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.set_client_ip(get_client_ip_address(request))
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


class NoStoreMiddleware:
    """No browser or proxy keeps a copy of any page, API answer, FHIR export or PDF: on a shared
    front-desk computer, Back after signing out must not show a patient's record. Static files
    are answered by WhiteNoise before this middleware and keep their long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True)
        return response
