"""The pure rules of two-factor sign-in (clinic/two_factor/rules.py), as tables."""

from __future__ import annotations

import pytest

from clinic.two_factor.rules import (
    SignInStep,
    clean_code,
    grouped,
    is_app_code,
    pending_is_fresh,
    second_factor_required,
    sign_in_step,
)


@pytest.mark.parametrize(
    ("clinician", "clinic_admin", "front_desk", "django_admin", "front_desk_setting", "required"),
    [
        (True, False, False, False, False, True),
        (False, True, False, False, False, True),
        (False, False, True, False, False, False),
        (False, False, True, False, True, True),
        (True, False, True, False, False, True),
        (False, False, False, True, False, True),  # Django admin access (a superuser)
        (False, False, False, False, True, False),  # no role at all
        (False, False, False, False, False, False),
    ],
)
def test_who_must_use_a_second_factor(clinician, clinic_admin, front_desk, django_admin, front_desk_setting, required):
    assert (
        second_factor_required(
            clinician=clinician,
            clinic_admin=clinic_admin,
            front_desk=front_desk,
            django_admin=django_admin,
            front_desk_setting=front_desk_setting,
        )
        is required
    )


@pytest.mark.parametrize(
    ("required", "has_authenticator", "step"),
    [
        (True, True, SignInStep.CODE),
        (True, False, SignInStep.ENROL),
        (False, True, SignInStep.CODE),
        (False, False, SignInStep.DONE),
    ],
)
def test_the_step_after_a_right_password(required, has_authenticator, step):
    assert sign_in_step(required=required, has_authenticator=has_authenticator) is step


@pytest.mark.parametrize(
    ("elapsed", "fresh"),
    [(0, True), (599.9, True), (600, False), (3600, False), (-5, False)],
)
def test_a_pending_sign_in_lapses_after_its_minutes(elapsed, fresh):
    assert pending_is_fresh(started_at=1_000_000.0, now=1_000_000.0 + elapsed, minutes=10) is fresh


@pytest.mark.parametrize(
    ("typed", "cleaned", "app_code"),
    [
        ("123456", "123456", True),
        (" 123 456 ", "123456", True),
        ("123-456", "123456", True),
        ("12345", "12345", False),
        ("1234567", "1234567", False),
        ("ABCD 2345", "abcd2345", False),
        ("abcd-2345", "abcd2345", False),
        ("١٢٣٤٥٦", "١٢٣٤٥٦", False),  # digits of another script are not an app's code
    ],
)
def test_codes_as_people_type_them(typed, cleaned, app_code):
    assert clean_code(typed) == cleaned
    assert is_app_code(clean_code(typed)) is app_code


@pytest.mark.parametrize(
    ("text", "shown"),
    [("ABCDEFGH", "ABCD EFGH"), ("abcd2345", "abcd 2345"), ("ABCDEF", "ABCD EF"), ("", "")],
)
def test_keys_and_codes_are_shown_in_groups_of_four(text, shown):
    assert grouped(text) == shown
