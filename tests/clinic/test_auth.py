"""Staff sign-in: e-mail login, Argon2 hashes, lockout after repeated failures, idle expiry."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from clinic.models import User
from tests.factories import PASSWORD


def _login(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR="10.0.0.7")


def test_login_with_email_any_case(client, front_desk):
    # The front desk of a clinic that asks no second factor of them (clinicians: test_two_factor.py).
    response = _login(client, front_desk.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_wrong_password_shows_error_and_keeps_email(client, clinician):
    response = _login(client, clinician.email, "not-the-password")
    assert response.status_code == 200
    assert "do not match an active account" in response.content.decode()
    assert clinician.email in response.content.decode()


def test_lockout_after_repeated_failures(client, clinician, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, clinician.email, "wrong-password").status_code == 200
    locked = _login(client, clinician.email, "wrong-password")
    assert locked.status_code == 429
    assert "Sign-in paused" in locked.content.decode()
    # Even the right password is refused while locked out.
    assert _login(client, clinician.email, PASSWORD).status_code == 429


def test_passwords_are_hashed_with_argon2(db, clinic):
    user = User.objects.create_user("new.clinician@example.test", "a-long-passphrase-2026", clinic=clinic)
    assert identify_hasher(user.password).algorithm == "argon2"


def test_session_expires_after_inactivity(client, clinician, settings):
    client.force_login(clinician)
    session = Session.objects.get(session_key=client.session.session_key)
    idle = datetime.timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    # Activity pushes the expiry to "now + idle window"...
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + datetime.timedelta(minutes=1))
    assert client.get(reverse("dashboard")).status_code == 200
    renewed = Session.objects.get(pk=session.pk).expire_date
    assert renewed > timezone.now() + idle - datetime.timedelta(minutes=1)
    # ...and a session idle past its window is over.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_inactive_account_cannot_sign_in(client, clinician):
    clinician.is_active = False
    clinician.save()
    assert _login(client, clinician.email, PASSWORD).status_code == 200
    assert client.get(reverse("dashboard")).status_code == 302


def test_logout_requires_post_and_ends_session(client, clinician):
    client.force_login(clinician)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.parametrize("path", ["/", "/patients/", "/staff/", "/settings/", "/api/patients/"])
def test_anonymous_is_sent_to_login_or_refused(client, db, path):
    response = client.get(path)
    assert response.status_code in {302, 403}
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))
