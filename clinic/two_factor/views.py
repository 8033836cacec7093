"""Pages of two-factor sign-in: the steps after the password, the person's own page for their
second factor, and a clinic admin's reset of a colleague's lost one."""

from __future__ import annotations

import math
import time
from base64 import b32encode

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import permissions
from clinic.models import User
from clinic.two_factor import pending, rules, services
from clinic.two_factor.forms import AppCodeForm, ConfirmItIsYouForm, RecoveryCodeForm
from clinic.two_factor.qr import qr_svg

# A signed-in person setting up (or replacing) their authenticator: the key being shown.
SET_UP_SESSION_KEY = "two_factor_set_up"


class SignInView(auth_views.LoginView):
    """The password step. Someone who must use a second factor, or has set one up, is not
    signed in by it: the session only remembers the pending sign-in for the next step."""

    def form_valid(self, form):
        user = form.get_user()
        step = services.step_after_password(user)
        if step is rules.SignInStep.DONE:
            return super().form_valid(form)
        pending.start(self.request, user, next_url=self.get_success_url())
        return redirect("two_factor_code" if step is rules.SignInStep.CODE else "two_factor_enrol")


# --- Lockout: wrong codes count with wrong passwords (django-axes) ------------------------


def _credentials(user: User) -> dict[str, str]:
    return {settings.AXES_USERNAME_FORM_FIELD: user.email}


def _lockout(request: HttpRequest, user: User) -> HttpResponse | None:
    credentials = _credentials(user)
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    return get_lockout_response(request, None, credentials)


def _wrong_code(request: HttpRequest, user: User) -> str:
    """Count a wrong code as a failed sign-in and say how many tries are left."""
    credentials = _credentials(user)
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    left = settings.AXES_FAILURE_LIMIT - AxesProxyHandler.get_failures(request, credentials)
    pause = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        f"That code is not right. Check that it is the code for this account and enter the one shown now. "
        f"{left} {'try' if left == 1 else 'tries'} left before sign-in pauses for {pause} minutes."
    )


def _wait_message(wait_until) -> str:
    seconds = max(1, math.ceil((wait_until - timezone.now()).total_seconds()))
    return f"Too many wrong codes in a row. Wait {seconds} second{'s' if seconds != 1 else ''}, then try again."


def _start_again(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    messages.info(
        request,
        f"Please sign in with your e-mail address and password. A sign-in waits "
        f"{settings.TWO_FACTOR_PENDING_MINUTES} minutes for its code, then starts again.",
    )
    return redirect("login")


def _show_recovery_codes(request: HttpRequest, codes: tuple[str, ...], *, next_url: str, first: bool) -> HttpResponse:
    """The codes appear in this response only: never stored in the session, never redirected to."""
    return render(
        request,
        "two_factor/recovery_codes.html",
        {"codes": [rules.grouped(code) for code in codes], "next_url": next_url, "first": first},
    )


def _enrol_page(request: HttpRequest, device: TOTPDevice, form, *, signed_in: bool) -> HttpResponse:
    key = b32encode(device.bin_key).decode()
    return render(
        request,
        "two_factor/enrol.html",
        {
            "form": form,
            "signed_in": signed_in,
            "account_name": device.user.email,
            "issuer": settings.OTP_TOTP_ISSUER,
            "key": rules.grouped(key),
            "config_url": device.config_url,
            "qr": qr_svg(device.config_url, label="QR code of the key, for your authenticator app to scan"),
            "minutes": settings.TWO_FACTOR_PENDING_MINUTES,
        },
    )


# --- Sign-in, after the password ------------------------------------------------------------


@never_cache
@sensitive_post_parameters("code")
def sign_in_code(request: HttpRequest) -> HttpResponse:
    state = pending.current(request)
    if state is None:
        return _start_again(request)
    if services.authenticator_of(state.user) is None:
        return redirect("two_factor_enrol")
    locked = _lockout(request, state.user)
    if locked:
        return locked
    recovery = request.GET.get("with") == "recovery"
    form = (RecoveryCodeForm if recovery else AppCodeForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.check_code(user=state.user, code=form.cleaned_data["code"])
        if result.accepted:
            pending.finish(request, state, result.device)
            if recovery:
                left = services.status_of(state.user).recovery_codes_left
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Lost your phone? Set up a new one, "
                    "or get new codes, under Two-factor sign-in.",
                )
            return redirect(state.next_url)
        form.add_error(
            "code", _wait_message(result.wait_until) if result.wait_until else _wrong_code(request, state.user)
        )
    return render(
        request,
        "two_factor/code.html",
        {
            "form": form,
            "recovery": recovery,
            "account_name": state.user.email,
            "minutes": settings.TWO_FACTOR_PENDING_MINUTES,
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "pause_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
    )


@never_cache
@sensitive_post_parameters("code")
def sign_in_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in of someone who must use a second factor and has none: set up the app."""
    state = pending.current(request)
    if state is None:
        return _start_again(request)
    if services.authenticator_of(state.user) is not None:
        return redirect("two_factor_code")
    device = services.enrolment_device(user=state.user, device_id=state.enrolment_device_id)
    if device is None:
        device = services.enrolment_start(user=state.user)
        pending.remember_enrolment_device(request, device.pk)
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.enrolment_finish(
                user=state.user, device=device, code=form.cleaned_data["code"], replacing=False
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if result.accepted:
                pending.finish(request, state, result.device)
                return _show_recovery_codes(request, result.recovery_codes, next_url=state.next_url, first=True)
            form.add_error("code", _wrong_set_up_code(result))
    return _enrol_page(request, device, form, signed_in=False)


def _wrong_set_up_code(result: services.CodeCheck) -> str:
    if result.wait_until:
        return _wait_message(result.wait_until)
    return (
        "That code does not match the key. Check that the key was typed exactly as shown (or scan the QR code "
        "again), that your phone sets its clock automatically, and enter the code shown now."
    )


# --- The signed-in person's own second factor -----------------------------------------------


@login_required
@never_cache
@sensitive_post_parameters()
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    posted = request.POST if request.method == "POST" else None
    renew_form = ConfirmItIsYouForm(posted if posted and "renew" in posted else None, prefix="renew")
    replace_form = ConfirmItIsYouForm(posted if posted and "replace" in posted else None, prefix="replace")
    for form in (renew_form, replace_form):
        if not (form.is_bound and form.is_valid()):
            continue
        result = services.check_code(user=user, code=form.cleaned_data["code"])
        if not result.accepted:
            form.add_error(
                "code",
                _wait_message(result.wait_until)
                if result.wait_until
                else "That code is not right: enter the code your app shows now, or an unused recovery code.",
            )
        elif form is renew_form:
            codes = services.recovery_codes_renew(user=user)
            return _show_recovery_codes(request, codes, next_url=reverse("two_factor_account"), first=False)
        else:
            device = services.enrolment_start(user=user)
            request.session[SET_UP_SESSION_KEY] = {"device_id": device.pk, "started_at": time.time()}
            return redirect("two_factor_set_up")
    return render(
        request,
        "two_factor/account.html",
        {
            "status": services.status_of(user),
            "renew_form": renew_form,
            "replace_form": replace_form,
            "recovery_code_count": services.RECOVERY_CODE_COUNT,
        },
    )


@login_required
@never_cache
@sensitive_post_parameters("code")
def set_up(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app while signed in: a first one (any time), or a new phone's
    (only just after a code of the current second factor was entered on the account page)."""
    user = request.user
    marker = request.session.get(SET_UP_SESSION_KEY) or {}
    fresh = rules.pending_is_fresh(
        started_at=marker.get("started_at", 0), now=time.time(), minutes=settings.TWO_FACTOR_PENDING_MINUTES
    )
    device = services.enrolment_device(user=user, device_id=marker.get("device_id")) if fresh else None
    if device is None:
        if services.authenticator_of(user) is not None:
            messages.info(
                request, "To set up a new phone, first enter a code of your current one (or a recovery code)."
            )
            return redirect("two_factor_account")
        device = services.enrolment_start(user=user)
        request.session[SET_UP_SESSION_KEY] = {"device_id": device.pk, "started_at": time.time()}
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.enrolment_finish(user=user, device=device, code=form.cleaned_data["code"], replacing=True)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if result.accepted:
                request.session.pop(SET_UP_SESSION_KEY, None)
                django_otp.login(request, result.device)
                messages.success(request, "Your authenticator app is set up. Sign-in now asks for its code.")
                return _show_recovery_codes(
                    request, result.recovery_codes, next_url=reverse("two_factor_account"), first=True
                )
            form.add_error("code", _wrong_set_up_code(result))
    return _enrol_page(request, device, form, signed_in=True)


# --- A clinic admin resets a colleague's lost second factor ---------------------------------


@login_required
def staff_reset(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.can_manage_staff(request.user):
        raise PermissionDenied
    staff = get_object_or_404(permissions.scoped_staff(request.user), pk=pk)
    own = staff.pk == request.user.pk
    if request.method == "POST" and not own:
        services.reset(actor=request.user, staff=staff)
        messages.success(
            request,
            f"Two-factor sign-in of {staff.full_name} is reset: they set up an authenticator app at their next "
            "sign-in. They have been told by e-mail.",
        )
        return redirect("staff_edit", pk=staff.pk)
    return render(
        request,
        "two_factor/staff_reset.html",
        {"staff": staff, "own": own, "status": services.status_of(staff)},
        status=403 if own and request.method == "POST" else 200,
    )


# --- The Django admin signs in through the same steps -------------------------------------


def admin_login(request: HttpRequest) -> HttpResponse:
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        # Signed in, but the Django admin is not for this account.
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        return redirect(next_url)
    return redirect_to_login(next_url)
