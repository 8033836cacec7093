"""How the API knows who calls: the browser's session, or an integration's API token.

A token request needs no CSRF token: forgery rides on the cookies a browser attaches by
itself, and a page on another site cannot make it attach an ``Authorization`` header. When a
request brings both a session and a token, the session wins and CSRF applies. The raw token
is never logged; refusals name the reason, never the token.
"""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions, throttling

from clinic import api_tokens
from clinic.client_address import client_ip
from clinic.models import ApiToken

_CHALLENGE = 'Bearer realm="api"'


def _presented_token(request) -> str | None:
    return api_tokens.token_from_header(request.META.get("HTTP_AUTHORIZATION", ""))


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` (or ``Token <token>``) authenticates as the token's owner."""

    def authenticate(self, request):
        raw = _presented_token(request)
        if raw is None:
            return None
        if not raw:
            raise exceptions.AuthenticationFailed("Send the API token as: Authorization: Bearer <token>.")
        token = api_tokens.find_token(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("This API token is not known.")
        now = timezone.now()
        status = api_tokens.token_status(revoked_at=token.revoked_at, expires_at=token.expires_at, now=now)
        problem = api_tokens.refusal(status=status, owner_active=token.owner.is_active)
        if problem:
            raise exceptions.AuthenticationFailed(problem)
        api_tokens.record_use(token, now)
        # The clinic's time zone, as the middleware sets it for a signed-in session (it cannot
        # here: DRF authenticates a token inside the view); the middleware resets it after.
        if token.owner.clinic_id is not None:
            timezone.activate(token.owner.clinic.zone)
        return token.owner, token

    def authenticate_header(self, request) -> str:
        return _CHALLENGE


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, answering a refused token with 401 instead of 403.

    DRF asks only the first authentication class for the ``WWW-Authenticate`` challenge, and
    a request without one is answered 403. Session comes first (the browser's session wins),
    so it gives the token challenge when the request presented a token; an anonymous request
    without one keeps its 403.
    """

    def authenticate_header(self, request) -> str | None:
        return _CHALLENGE if _presented_token(request) is not None else None


class ApiRateThrottle(throttling.SimpleRateThrottle):
    """Counts requests per API token (rate ``api_token``); session requests per user, anonymous
    ones per client address (rate ``api_session``). Counters live in the Django cache."""

    scope = "api_token"

    def allow_request(self, request, view) -> bool:
        self.scope = "api_token" if isinstance(request.auth, ApiToken) else "api_session"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_ident(self, request) -> str:
        # The address behind the trusted proxies, not DRF's own reading of X-Forwarded-For.
        return client_ip(request)
