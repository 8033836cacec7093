"""Pure rules of two-factor sign-in: plain values in, plain values out."""

from __future__ import annotations

import enum
import re


class SignInStep(enum.Enum):
    """What follows a right password."""

    DONE = "done"  # signed in with the password alone
    CODE = "code"  # a code from the authenticator app, or a recovery code
    ENROL = "enrol"  # set up an authenticator app first, then signed in


def second_factor_required(
    *, clinician: bool, clinic_admin: bool, front_desk: bool, django_admin: bool, front_desk_setting: bool
) -> bool:
    """Whoever can read clinical records, manage staff or open the Django admin always signs in
    with a second factor; the front desk when their clinic's setting says so."""
    return clinician or clinic_admin or django_admin or (front_desk and front_desk_setting)


def sign_in_step(*, required: bool, has_authenticator: bool) -> SignInStep:
    """Someone who has set up an authenticator app is always asked for a code, required or not."""
    if has_authenticator:
        return SignInStep.CODE
    return SignInStep.ENROL if required else SignInStep.DONE


def pending_is_fresh(*, started_at: float, now: float, minutes: int) -> bool:
    """A sign-in waiting for its second factor lapses ``minutes`` after the right password."""
    return 0 <= now - started_at < minutes * 60


_SEPARATORS = re.compile(r"[\s-]+")


def clean_code(text: str) -> str:
    """A code as typed or pasted, without the spaces and dashes people add: ``"123 456"``."""
    return _SEPARATORS.sub("", text).lower()


def is_app_code(code: str, digits: int = 6) -> bool:
    """An authenticator app's code: six digits (recovery codes are eight characters)."""
    return len(code) == digits and code.isascii() and code.isdigit()


def grouped(text: str, size: int = 4) -> str:
    """``"ABCDEFGH"`` as ``"ABCD EFGH"``: easier to read out and to type into an app."""
    return " ".join(text[start : start + size] for start in range(0, len(text), size))
