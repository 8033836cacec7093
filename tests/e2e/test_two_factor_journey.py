"""Two-factor sign-in on a phone: a new clinician signs in, sets up an authenticator app with
the key shown (typed, as when the QR code cannot be scanned), keeps the recovery codes, signs
out, signs in with a code from the app, and then with a recovery code."""

from __future__ import annotations

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from clinic.permissions import Role
from tests.e2e.conftest import PHONE
from tests.factories import PASSWORD, ClinicFactory, UserFactory
from tests.two_factor import next_code

pytestmark = pytest.mark.django_db(transaction=True)


def _app_code(key: str) -> str:
    """What an authenticator app shows now for the key typed into it."""
    totp = TOTP(b32decode(key.replace(" ", "")))
    totp.time = time.time()
    return f"{totp.token():06d}"


def _password(page, journey, email: str) -> None:
    page.goto(journey.url("/accounts/login/"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: not url.endswith("/accounts/login/"))


def _sign_out(page, journey) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(journey.url("/accounts/login/"))


def test_new_clinician_sets_up_an_app_then_signs_in_with_a_code_and_a_recovery_code(journey):
    clinic = ClinicFactory(name="Harbour Running Clinic")
    clinician = UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name="Robin Newhire")

    page = journey.open(**PHONE)
    page.goto(journey.url("/accounts/login/"))
    journey.check(page, "01-sign-in")
    _password(page, journey, clinician.email)
    page.wait_for_url(journey.url("/accounts/login/set-up/"))
    assert page.get_by_role("img", name="QR code of the key, for your authenticator app to scan").is_visible()
    journey.check(page, "02-set-up")
    key = page.locator("#totp-key").inner_text()

    page.get_by_label("Code from your authenticator app").fill(_app_code(key))
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Your recovery codes").is_visible()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    # The page's script shows the print and copy buttons.
    assert page.get_by_role("button", name="Print the codes").is_visible()
    journey.check(page, "03-recovery-codes")
    page.get_by_role("link", name="I have saved my codes: continue").click()
    page.wait_for_url(journey.url("/"))
    journey.check(page, "04-dashboard")

    _sign_out(page, journey)
    _password(page, journey, clinician.email)
    page.wait_for_url(journey.url("/accounts/login/code/"))
    journey.check(page, "05-code")
    # The app's next code (the one used to set it up cannot be used twice).
    page.get_by_label("Code from your authenticator app").fill(next_code(clinician.totpdevice_set.get()))
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url(journey.url("/"))

    _sign_out(page, journey)
    _password(page, journey, clinician.email)
    page.get_by_role("link", name="No phone to hand? Use a recovery code").click()
    page.wait_for_load_state()
    journey.check(page, "06-recovery-code")
    page.get_by_label("Recovery code").fill(codes[0])
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url(journey.url("/"))
    assert "You signed in with a recovery code; 9 left" in page.get_by_role("status").inner_text()

    page.get_by_role("link", name="Two-factor sign-in").click()
    page.wait_for_url(journey.url("/accounts/two-factor/"))
    assert "9 of 10 recovery codes left" in page.get_by_role("main").inner_text()
    journey.check(page, "07-account")
