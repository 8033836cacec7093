"""The demo's second factor: one published authenticator key for the demo logins that need one.

Like the demo password it is public on purpose (README, ``seed_demo``'s output), and it is
only ever given to the demo clinic's seeded accounts; ``demo_code`` prints a code only for an
account that still holds exactly this key, and only with DEBUG on.
"""

from __future__ import annotations

import time
from base64 import b32decode

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import User
from clinic.two_factor import rules
from clinic.two_factor.services import AUTHENTICATOR_NAME

# 32 base32 letters: a 20-byte key, the size authenticator apps expect.
DEMO_KEY = "STRIDEDEMOCLINICTWOFACTORDEMOKEY"
DEMO_KEY_HEX = b32decode(DEMO_KEY).hex()


def seed_device(user: User) -> TOTPDevice:
    """Give ``user`` the demo key as their only authenticator (resetting a replaced one)."""
    TOTPDevice.objects.filter(user=user).exclude(key=DEMO_KEY_HEX, confirmed=True).delete()
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice(user=user, key=DEMO_KEY_HEX)
    device.name = AUTHENTICATOR_NAME
    device.confirmed = True
    device.throttle_reset(commit=False)
    device.save()
    return device


def holds_demo_key(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True, key=DEMO_KEY_HEX).exists()


def current_code(now: float | None = None) -> str:
    totp = TOTP(b32decode(DEMO_KEY))
    totp.time = time.time() if now is None else now
    return f"{totp.token():06d}"


def grouped_key() -> str:
    return rules.grouped(DEMO_KEY)
