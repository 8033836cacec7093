"""Delivery of messages to patients by e-mail or text message (SMS).

E-mail goes through Django's mail backend (files under var/mail/ in the embedded default,
SMTP from ``EMAIL_URL`` in production). Text messages go through ``settings.SMS_BACKEND``:
files under var/sms/ in the embedded default, an in-memory outbox in tests. Intake
invitations use this now; visit reminders will use the same path.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from clinic.models import ContactChannel

outbox: list[dict[str, str]] = []


class DeliveryError(Exception):
    """A message to a patient could not be sent. The text is short and holds no PHI."""


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: a connection failure, a provider's server error."""


class PermanentDeliveryError(DeliveryError, ValueError):
    """Trying again will not help: no address for the channel, a number the provider refuses."""


class FileSmsBackend:
    """Writes each text message to a file, as Django's file e-mail backend does."""

    def send(self, *, to: str, body: str) -> None:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S-%f")
        (folder / f"{stamp}.txt").write_text(f"To: {to}\n\n{body}\n", encoding="utf-8")


class LocmemSmsBackend:
    """Keeps text messages in ``messaging.outbox`` for tests."""

    def send(self, *, to: str, body: str) -> None:
        outbox.append({"to": to, "body": body})


def send_to_patient(
    *,
    patient,
    subject: str,
    body: str,
    channel: str | None = None,
    attachments: list[tuple[str, bytes, str]] = (),
) -> str:
    """Send by ``channel`` (the patient's preference if not given); returns the channel used.

    Attachments (name, content, MIME type) go with e-mail only; a text message carries the body.
    """
    channel = channel or patient.preferred_contact_channel
    if channel == ContactChannel.SMS:
        if not patient.mobile_phone:
            raise PermanentDeliveryError("The patient has no mobile phone number.")
        import_string(settings.SMS_BACKEND)().send(to=str(patient.mobile_phone), body=body)
    else:
        if not patient.email:
            raise PermanentDeliveryError("The patient has no e-mail address.")
        message = EmailMessage(subject=subject, body=body, to=[patient.email])
        for name, content, mimetype in attachments:
            message.attach(name, content, mimetype)
        message.send()
    return channel
