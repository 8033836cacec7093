"""The demo's published authenticator key and ``manage.py demo_code``: demo logins only."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.management.commands.seed_demo import DEMO_LOGINS, seed_two_factor
from clinic.permissions import Role
from clinic.two_factor import demo
from tests.factories import UserFactory
from tests.two_factor import give_authenticator


@pytest.fixture
def demo_staff(clinic):
    staff = {login.email: UserFactory(clinic=clinic, email=login.email, roles=[login.role]) for login in DEMO_LOGINS}
    seed_two_factor(staff)
    return staff


def _demo_code(email: str) -> str:
    out = io.StringIO()
    call_command("demo_code", email, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_the_logins_that_need_a_second_factor_get_the_demo_key(demo_staff):
    for login in DEMO_LOGINS:
        user = demo_staff[login.email]
        assert demo.holds_demo_key(user) is (login.role != Role.FRONT_DESK), login.email


def test_seeding_again_puts_back_a_replaced_key(demo_staff):
    clinician = demo_staff[DEMO_LOGINS[0].email]
    TOTPDevice.objects.filter(user=clinician).delete()
    give_authenticator(clinician)
    seed_two_factor(demo_staff)
    assert demo.holds_demo_key(clinician)
    assert TOTPDevice.objects.filter(user=clinician).count() == 1


def test_demo_code_prints_the_current_code_of_the_demo_key(demo_staff, settings):
    settings.DEBUG = True
    assert _demo_code("Clinician@demo.test") == demo.current_code()


@pytest.mark.parametrize(
    ("debug", "email", "message"),
    [
        (False, "clinician@demo.test", "runs with DEBUG=true"),
        (True, "someone@example.test", "is not a demo login"),
        (True, "frontdesk@demo.test", "does not sign in with the demo key"),
    ],
)
def test_demo_code_refuses_outside_the_demo(demo_staff, settings, debug, email, message):
    settings.DEBUG = debug
    with pytest.raises(CommandError, match=message):
        _demo_code(email)


def test_demo_code_refuses_an_account_with_its_own_key(demo_staff, settings):
    settings.DEBUG = True
    clinician = demo_staff[DEMO_LOGINS[0].email]
    TOTPDevice.objects.filter(user=clinician).update(key=TOTPDevice().key)
    with pytest.raises(CommandError, match="does not sign in with the demo key"):
        _demo_code(clinician.email)


def test_demo_code_before_seeding_says_what_to_run(db, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match=r"run `python manage\.py seed_demo` first"):
        _demo_code("admin@demo.test")
