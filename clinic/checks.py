"""System checks that turn an obscure start-up failure into an exact instruction."""

from __future__ import annotations

import ctypes.util
import re

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

WEASYPRINT_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"

SMS_BACKENDS = ("clinic.messaging.FileSmsBackend", "clinic.messaging.TwilioSmsBackend")
# The console shows both; Twilio answers only "authentication failed" when they are mixed up.
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")


# The system libraries WeasyPrint loads on import. Looked up rather than WeasyPrint imported:
# the import takes a second and some 40 MiB, which every process running the checks (each
# Celery worker as it starts) would then carry, though only a handout's render needs it.
WEASYPRINT_LIBRARIES = ("gobject-2.0", "pango-1.0", "pangoft2-1.0", "harfbuzz", "fontconfig")


@register()
def weasyprint_libraries(app_configs, **kwargs):
    missing = [name for name in WEASYPRINT_LIBRARIES if ctypes.util.find_library(name) is None]
    if missing:
        return [
            Error(
                f"WeasyPrint cannot find system libraries it needs ({', '.join(missing)}).",
                hint=f"On Debian or Ubuntu run: sudo apt-get install {WEASYPRINT_PACKAGES}",
                id="clinic.E001",
            )
        ]
    return []


def twilio_settings_problems(
    *, account_sid: str, auth_token: str, from_number: str, messaging_service_sid: str, timeout_seconds: float
) -> list[str]:
    """What keeps the Twilio settings from sending a text message; empty when nothing does."""
    problems = []
    if not account_sid:
        problems.append("TWILIO_ACCOUNT_SID is not set.")
    elif not ACCOUNT_SID.fullmatch(account_sid):
        problems.append("TWILIO_ACCOUNT_SID is not an Account SID (AC followed by 32 hexadecimal characters).")
    if not auth_token:
        problems.append("TWILIO_AUTH_TOKEN is not set.")
    if not from_number and not messaging_service_sid:
        problems.append("Neither TWILIO_FROM_NUMBER nor TWILIO_MESSAGING_SERVICE_SID is set.")
    if messaging_service_sid and not MESSAGING_SERVICE_SID.fullmatch(messaging_service_sid):
        problems.append(
            "TWILIO_MESSAGING_SERVICE_SID is not a Messaging Service SID (MG followed by 32 hexadecimal characters)."
        )
    if timeout_seconds <= 0:
        problems.append("TWILIO_TIMEOUT_SECONDS must be more than 0.")
    return problems


@register()
def sms_backend_settings(app_configs, **kwargs):
    from clinic.messaging import TwilioSmsBackend

    try:
        backend = import_string(settings.SMS_BACKEND)
    except ImportError:
        return [
            Error(
                f"SMS_BACKEND {settings.SMS_BACKEND!r} cannot be imported.",
                hint=f"Set SMS_BACKEND to one of: {', '.join(SMS_BACKENDS)}.",
                id="clinic.E002",
            )
        ]
    if not (isinstance(backend, type) and issubclass(backend, TwilioSmsBackend)):
        return []
    problems = twilio_settings_problems(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
        from_number=settings.TWILIO_FROM_NUMBER,
        messaging_service_sid=settings.TWILIO_MESSAGING_SERVICE_SID,
        timeout_seconds=settings.TWILIO_TIMEOUT_SECONDS,
    )
    hint = "Copy the values from the Twilio console into the environment, or choose another SMS_BACKEND."
    return [Error(f"SMS_BACKEND is TwilioSmsBackend: {problem}", hint=hint, id="clinic.E003") for problem in problems]
