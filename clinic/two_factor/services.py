"""Every read and write of a person's second factor: who must use one, checking a code,
setting up an authenticator app, new recovery codes, and an admin's reset.

Devices are django-otp's: a ``TOTPDevice`` (the authenticator app's key) and a
``StaticDevice`` holding single-use recovery codes. Each write runs in one transaction,
records an audit row and owes the account holder an e-mail (``account_notices``; no patient data).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import account_notices, audit, permissions
from clinic.models import User
from clinic.permissions import Role
from clinic.two_factor import rules

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"


# --- Reads --------------------------------------------------------------------------------


def is_required(user: User) -> bool:
    roles = permissions.roles_of(user)
    clinic = user.clinic if user.clinic_id else None
    return rules.second_factor_required(
        clinician=Role.CLINICIAN in roles,
        clinic_admin=Role.CLINIC_ADMIN in roles,
        front_desk=Role.FRONT_DESK in roles,
        django_admin=user.is_staff or user.is_superuser,
        front_desk_setting=bool(clinic and clinic.front_desk_two_factor),
    )


def authenticator_of(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def step_after_password(user: User) -> rules.SignInStep:
    return rules.sign_in_step(required=is_required(user), has_authenticator=authenticator_of(user) is not None)


@dataclass(frozen=True)
class Status:
    """What the account page and the staff page show about a person's second factor."""

    required: bool
    authenticator: TOTPDevice | None
    recovery_codes_left: int


def status_of(user: User) -> Status:
    return Status(
        required=is_required(user),
        authenticator=authenticator_of(user),
        recovery_codes_left=StaticToken.objects.filter(device__user=user, device__confirmed=True).count(),
    )


# --- Checking a code ----------------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of one code: the device that took it, or, when too many wrong codes came
    in a row, the time before which no code is looked at (django-otp's throttling)."""

    device: Device | None = None
    wait_until: datetime.datetime | None = None
    recovery_codes: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.device is not None


def _check(device: Device | None, code: str) -> CodeCheck:
    """``device`` must be locked (select_for_update) in the caller's transaction."""
    if device is None:
        return CodeCheck()
    allowed, refusal = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(wait_until=refusal.get("locked_until"))
    return CodeCheck(device=device) if device.verify_token(code) else CodeCheck()


def check_code(*, user: User, code: str) -> CodeCheck:
    """A code from the person's authenticator app, or one of their recovery codes (used up,
    recorded and told to the account holder, whatever it was used for)."""
    code = rules.clean_code(code)
    model = TOTPDevice if rules.is_app_code(code) else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        result = _check(device, code)
        if result.accepted and isinstance(result.device, StaticDevice):
            event = audit.record(actor=user, action=audit.SecondFactor.RECOVERY_CODE_USED, obj=user)
            account_notices.owe(event=event, user=user, recipients=[user.email])
    return result


# --- Setting up an authenticator app ------------------------------------------------------


def enrolment_start(*, user: User) -> TOTPDevice:
    """A new key for ``user`` to add to their app. Keys shown earlier and never confirmed are
    dropped, so a key someone else saw on an unfinished set-up never becomes valid."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def enrolment_device(*, user: User, device_id: int | None) -> TOTPDevice | None:
    if device_id is None:
        return None
    return TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()


def enrolment_finish(*, user: User, device: TOTPDevice, code: str, replacing: bool) -> CodeCheck:
    """Confirm the new key with one code from the app; it then replaces any earlier one, and
    fresh recovery codes (returned in the result, to be shown once) replace any earlier ones.

    ``replacing`` is for a signed-in person who has just entered a code of their current
    second factor; a sign-in in progress may only set up a first authenticator.
    """
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one set-up at a time per person
        device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
        if device is None:
            raise ValidationError("This set-up is no longer open. Start again.")
        had_one = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        if had_one and not replacing:
            raise PermissionDenied
        result = _check(device, rules.clean_code(code))
        if not result.accepted:
            return result
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        action = audit.SecondFactor.REPLACED if had_one else audit.SecondFactor.ENROLLED
        event = audit.record(actor=user, action=action, obj=user)
        account_notices.owe(event=event, user=user, recipients=[user.email])
    return CodeCheck(device=device, recovery_codes=codes)


def recovery_codes_renew(*, user: User) -> tuple[str, ...]:
    """New recovery codes (to be shown once); the earlier ones stop working."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        event = audit.record(actor=user, action=audit.SecondFactor.RECOVERY_CODES_RENEWED, obj=user)
        account_notices.owe(event=event, user=user, recipients=[user.email])
    return codes


def _new_recovery_codes(user: User) -> tuple[str, ...]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME)
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return tuple(sorted(codes))


# --- A clinic admin's reset of a colleague's lost second factor --------------------------


def reset(*, actor: User, staff: User) -> None:
    """Remove ``staff``'s authenticator and recovery codes: their next sign-in sets up a new
    app. For a lost phone; never one's own (that would let a stolen password alone in)."""
    if not permissions.can_manage_staff(actor, staff.clinic):
        raise PermissionDenied
    if staff.pk == actor.pk:
        raise ValidationError("You cannot reset your own two-factor sign-in. Ask another clinic admin.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=staff).delete()
        StaticDevice.objects.filter(user=staff).delete()
        event = audit.record(actor=actor, action=audit.SecondFactor.RESET, obj=staff)
        account_notices.owe(event=event, user=staff, recipients=[staff.email])
