"""Pure rules of two-factor sign-in: plain values in, plain values out."""

from __future__ import annotations

import enum
import re


class Action(enum.StrEnum):
    """Audit actions of a person's second factor, recorded against their account."""

    ENROLLED = "staff.two_factor_enrolled"
    REPLACED = "staff.two_factor_replaced"
    RECOVERY_CODES_RENEWED = "staff.recovery_codes_renewed"
    RECOVERY_CODE_USED = "staff.recovery_code_used"
    RESET = "staff.two_factor_reset"


# What the account holder is told by e-mail after each action: the subject, and the sentence.
NOTICES: dict[Action, tuple[str, str]] = {
    Action.ENROLLED: (
        "Two-factor sign-in is set up for your account",
        "Two-factor sign-in is now set up: each sign-in asks for a code from your authenticator app.",
    ),
    Action.REPLACED: (
        "A new authenticator app signs in to your account",
        "A new authenticator app was set up. Codes from the app you used before no longer work.",
    ),
    Action.RECOVERY_CODES_RENEWED: (
        "New recovery codes for your account",
        "New recovery codes were made. The earlier codes no longer work.",
    ),
    Action.RECOVERY_CODE_USED: (
        "A recovery code was used for your account",
        "One of your recovery codes was used to sign in. You have {recovery_codes_left} left.",
    ),
    Action.RESET: (
        "Your two-factor sign-in was reset",
        "Your two-factor sign-in was reset: your old authenticator app and recovery codes no longer "
        "work. The next time you sign in, after your password, you will set up an authenticator app again.",
    ),
}


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
