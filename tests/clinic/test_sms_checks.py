"""The system check that names what the chosen SMS backend is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinic.checks import sms_backend_settings, twilio_settings_problems
from clinic.messaging import TwilioSmsBackend

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_SID = "AC" + "1f" * 16
MESSAGING_SERVICE_SID = "MG" + "2e" * 16
TWILIO = "clinic.messaging.TwilioSmsBackend"
COMPLETE = {
    "account_sid": ACCOUNT_SID,
    "auth_token": "token",
    "from_number": "+13125550199",
    "messaging_service_sid": "",
    "timeout_seconds": 10.0,
}


class ClinicTwilioSmsBackend(TwilioSmsBackend):
    """A clinic's own subclass (e.g. adding a status callback) is still a Twilio backend."""


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({}, []),
        ({"from_number": "", "messaging_service_sid": MESSAGING_SERVICE_SID}, []),
        ({"messaging_service_sid": MESSAGING_SERVICE_SID}, []),
        ({"account_sid": ""}, ["TWILIO_ACCOUNT_SID is not set."]),
        (
            {"account_sid": "SK" + "1f" * 16},
            ["TWILIO_ACCOUNT_SID is not an Account SID (AC followed by 32 hexadecimal characters)."],
        ),
        (
            {"account_sid": "AC123"},
            ["TWILIO_ACCOUNT_SID is not an Account SID (AC followed by 32 hexadecimal characters)."],
        ),
        ({"auth_token": ""}, ["TWILIO_AUTH_TOKEN is not set."]),
        ({"from_number": ""}, ["Neither TWILIO_FROM_NUMBER nor TWILIO_MESSAGING_SERVICE_SID is set."]),
        (
            {"messaging_service_sid": "PN" + "2e" * 16},
            ["TWILIO_MESSAGING_SERVICE_SID is not a Messaging Service SID (MG followed by 32 hexadecimal characters)."],
        ),
        ({"timeout_seconds": 0}, ["TWILIO_TIMEOUT_SECONDS must be more than 0."]),
        (
            {"account_sid": "", "auth_token": "", "from_number": ""},
            [
                "TWILIO_ACCOUNT_SID is not set.",
                "TWILIO_AUTH_TOKEN is not set.",
                "Neither TWILIO_FROM_NUMBER nor TWILIO_MESSAGING_SERVICE_SID is set.",
            ],
        ),
    ],
)
def test_twilio_settings_problems(changes, problems):
    assert twilio_settings_problems(**{**COMPLETE, **changes}) == problems


@pytest.fixture
def twilio_chosen(settings):
    settings.SMS_BACKEND = TWILIO
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = "token"
    settings.TWILIO_FROM_NUMBER = "+13125550199"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_TIMEOUT_SECONDS = 10.0
    return settings


def test_check_passes_when_twilio_is_fully_configured(twilio_chosen):
    assert sms_backend_settings(None) == []


def test_check_names_each_missing_twilio_setting(twilio_chosen):
    twilio_chosen.TWILIO_AUTH_TOKEN = ""
    twilio_chosen.TWILIO_FROM_NUMBER = ""

    errors = sms_backend_settings(None)

    assert [(error.id, error.msg) for error in errors] == [
        ("clinic.E003", "SMS_BACKEND is TwilioSmsBackend: TWILIO_AUTH_TOKEN is not set."),
        (
            "clinic.E003",
            "SMS_BACKEND is TwilioSmsBackend: Neither TWILIO_FROM_NUMBER nor TWILIO_MESSAGING_SERVICE_SID is set.",
        ),
    ]


def test_check_applies_to_a_subclass_of_the_twilio_backend(twilio_chosen):
    twilio_chosen.SMS_BACKEND = f"{__name__}.ClinicTwilioSmsBackend"
    twilio_chosen.TWILIO_ACCOUNT_SID = ""

    assert [error.id for error in sms_backend_settings(None)] == ["clinic.E003"]


def test_check_ignores_twilio_settings_for_other_backends(settings):
    settings.SMS_BACKEND = "clinic.messaging.FileSmsBackend"
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = ""

    assert sms_backend_settings(None) == []


@pytest.mark.parametrize("path", ["clinic.messaging.SmsBackendThatDoesNotExist", "nowhere.Backend"])
def test_check_reports_a_backend_that_cannot_be_imported(settings, path):
    settings.SMS_BACKEND = path

    (error,) = sms_backend_settings(None)

    assert error.id == "clinic.E002"
    assert path in error.msg


def test_manage_py_check_fails_when_twilio_is_chosen_without_its_settings():
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TWILIO_")}
    environment.update(DJANGO_SETTINGS_MODULE="clinic.settings", VAR_DIR="var/test", SMS_BACKEND=TWILIO)

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "(clinic.E003) SMS_BACKEND is TwilioSmsBackend: TWILIO_ACCOUNT_SID is not set." in result.stderr
    assert "TWILIO_AUTH_TOKEN is not set." in result.stderr
