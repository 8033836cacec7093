"""The session's record of a sign-in between the right password and the second factor.

It names the person but does not sign them in: ``request.user`` stays anonymous, so every
page and API refuses the session as before. It lapses after ``TWO_FACTOR_PENDING_MINUTES``,
and when the person's password changes meanwhile (the stored session hash no longer matches).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import django_otp
from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from clinic.models import User
from clinic.two_factor import rules

SESSION_KEY = "two_factor_pending"


@dataclass(frozen=True)
class Pending:
    user: User
    next_url: str
    # The authenticator key being set up in this sign-in, once one is shown.
    enrolment_device_id: int | None


def start(request: HttpRequest, user: User, *, next_url: str) -> None:
    # A new key: whoever fixed or saw the session before the password must not share it.
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "user_id": user.pk,
        "backend": user.backend,
        "session_hash": user.get_session_auth_hash(),
        "next": next_url,
        "started_at": time.time(),
        "enrolment_device_id": None,
    }


def current(request: HttpRequest) -> Pending | None:
    """The sign-in waiting for its second factor, or None (none, lapsed, or account changed)."""
    marker = request.session.get(SESSION_KEY)
    if not isinstance(marker, dict):
        return None
    fresh = rules.pending_is_fresh(
        started_at=marker["started_at"], now=time.time(), minutes=settings.TWO_FACTOR_PENDING_MINUTES
    )
    user = User.objects.select_related("clinic").filter(pk=marker["user_id"], is_active=True).first() if fresh else None
    if user is None or not constant_time_compare(marker["session_hash"], user.get_session_auth_hash()):
        clear(request)
        return None
    return Pending(user=user, next_url=marker["next"], enrolment_device_id=marker["enrolment_device_id"])


def remember_enrolment_device(request: HttpRequest, device_id: int) -> None:
    request.session[SESSION_KEY] = {**request.session[SESSION_KEY], "enrolment_device_id": device_id}


def clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def finish(request: HttpRequest, pending: Pending, device) -> None:
    """Sign the person in (a new session key again) and record the device that verified them."""
    backend = request.session[SESSION_KEY]["backend"]
    clear(request)
    auth.login(request, pending.user, backend=backend)
    django_otp.login(request, device)
