"""Delivery to patients: the Twilio backend and how provider and mail-server failures are classed.

No test reaches the network: Twilio's client gets a fake ``HttpClient`` with canned answers,
or its real HTTP client gets a requests transport adapter that records and raises.
"""

from __future__ import annotations

import json
import logging
import smtplib

import pytest
import requests
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from twilio.http import HttpClient
from twilio.http.response import Response

from clinic import messaging
from clinic.messaging import (
    PermanentDeliveryError,
    TransientDeliveryError,
    TwilioSmsBackend,
    delivery_error_for_http_status,
    delivery_error_for_smtp_code,
    email_delivery_error,
    send_to_patient,
)
from clinic.models import ContactChannel
from tests.factories import PatientFactory

ACCOUNT_SID = "AC" + "1f" * 16
AUTH_TOKEN = "auth-token-for-tests"
FROM_NUMBER = "+13125550199"
MESSAGING_SERVICE_SID = "MG" + "2e" * 16
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
PATIENT_PHONE = "+13125550142"
PATIENT_EMAIL = "runner.patient@example.test"
BODY = "Reminder: your visit with Dana Lead on 3 March at 09:00."


def created(sid: str = "SM" + "0" * 32) -> Response:
    return Response(201, json.dumps({"sid": sid, "status": "queued", "account_sid": ACCOUNT_SID}))


class FakeTwilioHttp(HttpClient):
    """Answers each request with the next canned response and keeps what was asked."""

    def __init__(self, *responses: Response) -> None:
        super().__init__(logger=logging.getLogger("tests.twilio"), is_async=False)
        self.responses = list(responses)
        self.requests: list[dict] = []

    def request(
        self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False
    ):
        self.requests.append({"method": method, "uri": uri, "data": data, "auth": auth})
        return self.responses.pop(0)


class RecordingTransport(requests.adapters.BaseAdapter):
    """A requests transport: records the timeout it was given, then raises or answers 201."""

    def __init__(self, error: Exception | None = None) -> None:
        super().__init__()
        self.error = error
        self.timeouts: list = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.timeouts.append(timeout)
        if self.error is not None:
            raise self.error
        response = requests.models.Response()
        response.status_code = 201
        response._content = created().text.encode()
        response.request = request
        response.url = request.url
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_TIMEOUT_SECONDS = 7.5
    return settings


def assert_no_phi(error: Exception) -> None:
    text = str(error)
    for detail in (PATIENT_PHONE, PATIENT_PHONE[2:], PATIENT_EMAIL, BODY, "Dana"):
        assert detail not in text
    # The provider's exception (which quotes the number) must not ride along in a logged traceback.
    assert error.__cause__ is None
    assert error.__suppress_context__ is True


# --- pure classification ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, PermanentDeliveryError),
        (401, PermanentDeliveryError),
        (403, PermanentDeliveryError),
        (404, PermanentDeliveryError),
        (408, TransientDeliveryError),
        (429, TransientDeliveryError),
        (499, PermanentDeliveryError),
        (500, TransientDeliveryError),
        (502, TransientDeliveryError),
        (503, TransientDeliveryError),
    ],
)
def test_delivery_error_for_http_status(status, expected):
    assert delivery_error_for_http_status(status) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (421, TransientDeliveryError),
        (450, TransientDeliveryError),
        (451, TransientDeliveryError),
        (452, TransientDeliveryError),
        (500, PermanentDeliveryError),
        (550, PermanentDeliveryError),
        (552, PermanentDeliveryError),
        (554, PermanentDeliveryError),
        (-1, TransientDeliveryError),
    ],
)
def test_delivery_error_for_smtp_code(code, expected):
    assert delivery_error_for_smtp_code(code) is expected


REPLY = f"5.1.1 <{PATIENT_EMAIL}>: Recipient address rejected".encode()


@pytest.mark.parametrize(
    ("error", "expected", "words"),
    [
        (smtplib.SMTPRecipientsRefused({PATIENT_EMAIL: (550, REPLY)}), PermanentDeliveryError, "recipient (SMTP 550)"),
        (smtplib.SMTPRecipientsRefused({PATIENT_EMAIL: (450, REPLY)}), TransientDeliveryError, "recipient (SMTP 450)"),
        (
            smtplib.SMTPRecipientsRefused({PATIENT_EMAIL: (451, REPLY), "second@example.test": (550, REPLY)}),
            PermanentDeliveryError,
            "SMTP 451, 550",
        ),
        (smtplib.SMTPSenderRefused(550, REPLY, "clinic@example.test"), PermanentDeliveryError, "sender"),
        (smtplib.SMTPSenderRefused(451, REPLY, "clinic@example.test"), TransientDeliveryError, "sender"),
        (smtplib.SMTPDataError(554, REPLY), PermanentDeliveryError, "SMTPDataError, SMTP 554"),
        (smtplib.SMTPDataError(452, REPLY), TransientDeliveryError, "SMTPDataError, SMTP 452"),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), PermanentDeliveryError, "SMTP 535"),
        (smtplib.SMTPConnectError(554, b"no service"), TransientDeliveryError, "SMTPConnectError"),
        (smtplib.SMTPServerDisconnected("Connection closed"), TransientDeliveryError, "SMTPServerDisconnected"),
        (smtplib.SMTPNotSupportedError("STARTTLS not supported"), PermanentDeliveryError, "does not support"),
        (ConnectionRefusedError(111, "Connection refused"), TransientDeliveryError, "ConnectionRefusedError"),
        (TimeoutError("timed out"), TransientDeliveryError, "TimeoutError"),
        (OSError(101, "Network is unreachable"), TransientDeliveryError, "OSError"),
    ],
)
def test_email_delivery_error(error, expected, words):
    delivery_error = email_delivery_error(error)
    assert type(delivery_error) is expected
    assert words in str(delivery_error)
    assert PATIENT_EMAIL not in str(delivery_error)
    assert "@" not in str(delivery_error)


# --- e-mail through send_to_patient ----------------------------------------------------------


class RefusingEmailBackend(BaseEmailBackend):
    """A mail backend whose server fails in the way the test sets."""

    error: Exception = OSError("unset")

    def send_messages(self, email_messages):
        raise self.error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (smtplib.SMTPRecipientsRefused({PATIENT_EMAIL: (550, REPLY)}), PermanentDeliveryError),
        (smtplib.SMTPSenderRefused(553, REPLY, "clinic@example.test"), PermanentDeliveryError),
        (smtplib.SMTPDataError(554, REPLY), PermanentDeliveryError),
        (smtplib.SMTPDataError(451, REPLY), TransientDeliveryError),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), TransientDeliveryError),
        (smtplib.SMTPConnectError(421, b"busy"), TransientDeliveryError),
        (ConnectionRefusedError(111, "Connection refused"), TransientDeliveryError),
    ],
)
def test_send_to_patient_maps_mail_server_failures(db, settings, monkeypatch, error, expected):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingEmailBackend"
    monkeypatch.setattr(RefusingEmailBackend, "error", error)
    patient = PatientFactory(email=PATIENT_EMAIL, mobile_phone=PATIENT_PHONE)

    with pytest.raises(expected) as raised:
        send_to_patient(patient=patient, subject="Your visit", body=BODY, channel=ContactChannel.EMAIL)

    assert_no_phi(raised.value)


def test_send_to_patient_still_sends_email_and_sms_through_the_test_backends(db):
    mail.outbox.clear()
    messaging.outbox.clear()
    patient = PatientFactory(email=PATIENT_EMAIL, mobile_phone=PATIENT_PHONE)

    assert send_to_patient(patient=patient, subject="Your visit", body=BODY, channel=ContactChannel.EMAIL) == "email"
    assert send_to_patient(patient=patient, subject="Your visit", body=BODY, channel=ContactChannel.SMS) == "sms"

    assert [(message.to, message.body) for message in mail.outbox] == [([PATIENT_EMAIL], BODY)]
    assert messaging.outbox == [{"to": PATIENT_PHONE, "body": BODY}]


# --- Twilio ---------------------------------------------------------------------------------


def test_twilio_posts_to_from_and_body_to_the_accounts_messages_url(twilio_settings):
    http = FakeTwilioHttp(created())

    TwilioSmsBackend(http_client=http).send(to=PATIENT_PHONE, body=BODY)

    (sent,) = http.requests
    assert sent["method"] == "POST"
    assert sent["uri"] == MESSAGES_URL
    assert sent["auth"] == (ACCOUNT_SID, AUTH_TOKEN)
    assert sent["data"] == {"To": PATIENT_PHONE, "From": FROM_NUMBER, "Body": BODY}


def test_twilio_sends_through_the_messaging_service_when_one_is_set(twilio_settings):
    twilio_settings.TWILIO_MESSAGING_SERVICE_SID = MESSAGING_SERVICE_SID
    http = FakeTwilioHttp(created())

    TwilioSmsBackend(http_client=http).send(to=PATIENT_PHONE, body=BODY)

    (sent,) = http.requests
    assert sent["data"] == {"To": PATIENT_PHONE, "MessagingServiceSid": MESSAGING_SERVICE_SID, "Body": BODY}


def twilio_error(status: int, code: int) -> Response:
    # Twilio's own messages quote the number, as the real API does for 21211.
    message = f"The 'To' number {PATIENT_PHONE} is not a valid phone number."
    return Response(status, json.dumps({"code": code, "message": message, "more_info": "", "status": status}))


@pytest.mark.parametrize(
    ("response", "expected", "words"),
    [
        (twilio_error(400, 21211), PermanentDeliveryError, "HTTP 400, error 21211"),
        (twilio_error(400, 21610), PermanentDeliveryError, "HTTP 400, error 21610"),
        (twilio_error(400, 21614), PermanentDeliveryError, "HTTP 400, error 21614"),
        (twilio_error(401, 20003), PermanentDeliveryError, "HTTP 401, error 20003"),
        (twilio_error(404, 20404), PermanentDeliveryError, "HTTP 404, error 20404"),
        (twilio_error(429, 20429), TransientDeliveryError, "HTTP 429, error 20429"),
        (twilio_error(500, 20500), TransientDeliveryError, "HTTP 500, error 20500"),
        (twilio_error(503, 20503), TransientDeliveryError, "HTTP 503, error 20503"),
        (Response(502, "<html>Bad gateway</html>"), TransientDeliveryError, "HTTP 502"),
        (
            Response(
                400,
                json.dumps(
                    {
                        "type": "https://www.twilio.com/docs/errors/21211",
                        "title": "Invalid 'To' Phone Number",
                        "status": 400,
                        "code": 21211,
                        "detail": f"{PATIENT_PHONE} is not a valid phone number",
                    }
                ),
            ),
            PermanentDeliveryError,
            "HTTP 400, error 21211",
        ),
    ],
)
def test_twilio_refusals_map_to_delivery_errors_without_phi(twilio_settings, response, expected, words):
    backend = TwilioSmsBackend(http_client=FakeTwilioHttp(response))

    with pytest.raises(expected) as raised:
        backend.send(to=PATIENT_PHONE, body=BODY)

    assert type(raised.value) is expected
    assert words in str(raised.value)
    assert_no_phi(raised.value)


def test_twilio_requests_carry_the_configured_timeout(twilio_settings):
    backend = TwilioSmsBackend()
    transport = RecordingTransport()
    backend.client.http_client.session.mount("https://", transport)

    backend.send(to=PATIENT_PHONE, body=BODY)

    assert transport.timeouts == [7.5]


@pytest.mark.parametrize(
    ("error"),
    [
        requests.ConnectionError("Failed to establish a new connection"),
        requests.ConnectTimeout("Connection to api.twilio.com timed out"),
        requests.ReadTimeout("Read timed out"),
        requests.exceptions.ChunkedEncodingError("Connection broken"),
    ],
)
def test_twilio_connection_failures_and_timeouts_are_transient(twilio_settings, error):
    backend = TwilioSmsBackend()
    backend.client.http_client.session.mount("https://", RecordingTransport(error))

    with pytest.raises(TransientDeliveryError) as raised:
        backend.send(to=PATIENT_PHONE, body=BODY)

    assert type(error).__name__ in str(raised.value)
    assert_no_phi(raised.value)


class CannedTwilioSmsBackend(TwilioSmsBackend):
    """The Twilio backend as ``SMS_BACKEND`` builds it (no arguments), over one shared fake client."""

    http = FakeTwilioHttp()

    def __init__(self) -> None:
        super().__init__(http_client=self.http)


def test_send_to_patient_sends_sms_through_twilio_to_the_patients_number(db, twilio_settings, monkeypatch):
    http = FakeTwilioHttp(created())
    monkeypatch.setattr(CannedTwilioSmsBackend, "http", http)
    twilio_settings.SMS_BACKEND = f"{__name__}.CannedTwilioSmsBackend"
    patient = PatientFactory(
        mobile_phone=PATIENT_PHONE, email=PATIENT_EMAIL, preferred_contact_channel=ContactChannel.SMS
    )

    channel = send_to_patient(patient=patient, subject="Your visit", body=BODY)

    assert channel == ContactChannel.SMS
    (sent,) = http.requests
    assert sent["uri"] == MESSAGES_URL
    assert sent["data"] == {"To": PATIENT_PHONE, "From": FROM_NUMBER, "Body": BODY}


# --- retries by the existing tasks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (smtplib.SMTPDataError(451, REPLY), True),
        (smtplib.SMTPRecipientsRefused({PATIENT_EMAIL: (550, REPLY)}), False),
        (smtplib.SMTPDataError(554, REPLY), False),
    ],
)
def test_tasks_that_retry_on_oserror_retry_transient_failures_only(db, settings, monkeypatch, error, retried):
    # The intake and schedule tasks say autoretry_for=(OSError,), which Celery tests with isinstance.
    settings.EMAIL_BACKEND = f"{__name__}.RefusingEmailBackend"
    monkeypatch.setattr(RefusingEmailBackend, "error", error)
    patient = PatientFactory(email=PATIENT_EMAIL)

    with pytest.raises(messaging.DeliveryError) as raised:
        send_to_patient(patient=patient, subject="Your visit", body=BODY)

    assert isinstance(raised.value, OSError) is retried
