from __future__ import annotations

from django.utils import timezone
from django.utils.cache import patch_cache_control

from clinic import audit
from clinic.client_address import client_ip


class AuditContextMiddleware:
    """Makes the client address available to ``audit.record`` for this request, and writes
    the reads of patient data the response owes (``audit.record_shown``) once it is made."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.set_client_ip(client_ip(request) or None)
        reads = audit.begin_response()
        delivered = False
        try:
            response = self.get_response(request)
            # An error page shows none of what the failed view had read.
            delivered = response.status_code < 500
            return response
        finally:
            audit.finish_response(reads, delivered=delivered)
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
