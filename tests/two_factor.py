"""Second-factor helpers for tests: an authenticator for a staff member, and its next code."""

from __future__ import annotations

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import User


def give_authenticator(user: User) -> TOTPDevice:
    """A confirmed authenticator app with a random key, as set-up leaves it."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def give_recovery_codes(user: User, *codes: str) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="Recovery codes")
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return device


def next_code(device: TOTPDevice) -> str:
    """The code an app would show that the device takes now: the current time step's, or the
    next one's when this step's code was already used (each code works once)."""
    device = TOTPDevice.objects.filter(pk=device.pk).first() or device
    now_step = (int(time.time()) - device.t0) // device.step + device.drift
    step = max(now_step, device.last_t + 1)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, drift=0)
    totp.time = device.t0 + step * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """Six digits the device does not take now (none of the codes within its tolerance)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    taken = set()
    for offset in range(-device.tolerance - 1, device.tolerance + 2):
        totp.time = time.time() + offset * device.step
        taken.add(f"{totp.token():06d}")
    return next(code for code in (f"{n:06d}" for n in range(1000000)) if code not in taken)
