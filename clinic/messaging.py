"""Delivery of messages to patients by e-mail or text message (SMS).

E-mail goes through Django's mail backend (files under var/mail/ in the embedded default,
SMTP from ``EMAIL_URL`` in production). Text messages go through ``settings.SMS_BACKEND``:
files under var/sms/ in the embedded default, an in-memory outbox in tests, Twilio in
production (``TwilioSmsBackend``). Intake invitations and visit reminders use this path.

A failed send raises ``TransientDeliveryError`` (a task retries it with backoff) or
``PermanentDeliveryError`` (the row is marked failed). Their text is short and names only
status codes: a provider's own message often quotes the phone number or address, so it is
never passed on, and the original exception is not chained, so a logged traceback cannot
carry it either.
"""

from __future__ import annotations

import datetime
import smtplib
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from clinic.models import ContactChannel

if TYPE_CHECKING:
    from twilio.http import HttpClient

outbox: list[dict[str, str]] = []


class DeliveryError(Exception):
    """A message to a patient could not be sent. The text is short and holds no PHI."""


class TransientDeliveryError(DeliveryError, OSError):
    """Worth trying again later: a connection failure, a provider's server error.

    Also an OSError, as the smtplib and socket errors it replaces were, so tasks that retry on
    OSError keep retrying it.
    """


class PermanentDeliveryError(DeliveryError, ValueError):
    """Trying again will not help: no address for the channel, a number the provider refuses."""


def delivery_error_for_http_status(status: int) -> type[DeliveryError]:
    """Which error a provider's HTTP refusal is: a server error, timeout or rate limit may clear; other 4xx not."""
    if status >= 500 or status in (408, 429):
        return TransientDeliveryError
    return PermanentDeliveryError


def delivery_error_for_smtp_code(code: int) -> type[DeliveryError]:
    """Which error an SMTP reply code is: 5xx is permanent (RFC 5321); 4xx and odd codes are not."""
    if 500 <= code <= 599:
        return PermanentDeliveryError
    return TransientDeliveryError


def email_delivery_error(error: OSError) -> DeliveryError:
    """The delivery error for an exception raised while sending e-mail (smtplib errors are OSErrors)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _reply in error.recipients.values()})
        kinds = {delivery_error_for_smtp_code(code) for code in codes}
        kind = PermanentDeliveryError if PermanentDeliveryError in kinds else TransientDeliveryError
        return kind(f"The mail server refused the recipient (SMTP {', '.join(map(str, codes))}).")
    if isinstance(error, smtplib.SMTPSenderRefused):
        kind = delivery_error_for_smtp_code(error.smtp_code)
        return kind(f"The mail server refused the sender address (SMTP {error.smtp_code}).")
    if isinstance(error, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return TransientDeliveryError(f"The mail server could not be reached ({type(error).__name__}).")
    if isinstance(error, smtplib.SMTPResponseException):
        kind = delivery_error_for_smtp_code(error.smtp_code)
        return kind(f"The mail server refused the message ({type(error).__name__}, SMTP {error.smtp_code}).")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return PermanentDeliveryError("The mail server does not support what the e-mail settings ask for.")
    return TransientDeliveryError(f"The mail server could not be reached ({type(error).__name__}).")


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


class TwilioSmsBackend:
    """Sends text messages through Twilio's Messages API, configured by the ``TWILIO_*`` settings.

    The sender is the messaging service when ``TWILIO_MESSAGING_SERVICE_SID`` is set (Twilio then
    picks the number and handles opt-outs), otherwise ``TWILIO_FROM_NUMBER``. Every request has
    a timeout, so a worker never waits on Twilio for ever.
    """

    def __init__(self, *, http_client: HttpClient | None = None) -> None:
        # Twilio's client and requests under it (12 MiB) are loaded by the process that sends
        # texts, the worker, not by every web worker that only imports this module.
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=http_client or TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS),
        )

    def send(self, *, to: str, body: str) -> None:
        import requests
        from twilio.base.exceptions import TwilioRestException, TwilioServiceException

        if settings.TWILIO_MESSAGING_SERVICE_SID:
            sender = {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
        else:
            sender = {"from_": settings.TWILIO_FROM_NUMBER}
        try:
            self.client.messages.create(to=to, body=body, **sender)
        except (TwilioRestException, TwilioServiceException) as error:
            kind = delivery_error_for_http_status(error.status)
            code = f", error {error.code}" if isinstance(error.code, int) else ""
            raise kind(f"Twilio refused the message (HTTP {error.status}{code}).") from None
        except requests.RequestException as error:
            # A read timeout can come after Twilio has taken the message; as the call carries no
            # idempotency key, the retry then sends the text twice. Not retrying could lose it.
            raise TransientDeliveryError(f"Twilio could not be reached ({type(error).__name__}).") from None


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
        try:
            message.send()
        except OSError as error:
            raise email_delivery_error(error) from None
    return channel
