"""Staff sign-in: e-mail login, Argon2 hashes, lockout after repeated failures, idle expiry."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.hashers import identify_hasher
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.backends import StaffBackend
from clinic.models import User
from clinic.permissions import Role
from tests.factories import PASSWORD, UserFactory


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


def _session_writes(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [query["sql"] for query in queries if "django_session" in query["sql"] and "SELECT" not in query["sql"]]


def test_a_request_soon_after_the_last_save_does_not_write_the_session(client, clinician, settings):
    client.force_login(clinician)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert _session_writes(client, reverse("dashboard"))  # the first request notes when it saved
        saved = Session.objects.get(session_key=client.session.session_key).expire_date
        clock.shift(datetime.timedelta(seconds=settings.SESSION_TOUCH_SECONDS - 1))
        assert _session_writes(client, reverse("dashboard")) == []
        assert Session.objects.get(session_key=client.session.session_key).expire_date == saved
        # Once the last save is that old, the next request pushes the expiry again.
        clock.shift(datetime.timedelta(seconds=1))
        assert len(_session_writes(client, reverse("dashboard"))) == 1
        renewed = Session.objects.get(session_key=client.session.session_key).expire_date
    assert renewed == saved + datetime.timedelta(seconds=settings.SESSION_TOUCH_SECONDS)


def test_a_session_ends_at_most_the_idle_window_after_the_last_request(client, clinician, settings):
    """Requests that wrote nothing still end the session no later than the window after them."""
    client.force_login(clinician)
    idle = datetime.timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):  # a request every 50 seconds, most of them writing nothing
            assert client.get(reverse("dashboard")).status_code == 200
            clock.shift(datetime.timedelta(seconds=50))
        clock.shift(idle - datetime.timedelta(seconds=50))
        response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_any_request_of_a_signed_in_browser_keeps_the_session_alive(client, clinician, settings):
    """A request that never reads the session (the browser's icon here) is activity all the same.
    (The health probe is answered before the session is looked at: it is no browser's activity.)"""
    client.force_login(clinician)
    idle = datetime.timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert client.get(reverse("dashboard")).status_code == 200
        clock.shift(idle - datetime.timedelta(minutes=1))
        assert client.get("/favicon.ico").status_code == 301
        clock.shift(idle - datetime.timedelta(minutes=1))
        assert client.get(reverse("dashboard")).status_code == 200


def test_the_backend_gives_the_permissions_of_the_user_and_their_roles_in_one_query(clinic, django_assert_num_queries):
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Permission

    desk = UserFactory(clinic=clinic, roles=[Role.FRONT_DESK, Role.CLINIC_ADMIN])
    desk.user_permissions.add(Permission.objects.get(codename="view_clinical_record"))
    expected = ModelBackend().get_all_permissions(User.objects.get(pk=desk.pk))
    assert "clinic.view_clinical_record" in expected
    assert "scheduling.add_appointment" in expected  # the front desk's
    with django_assert_num_queries(1):
        assert StaffBackend().get_all_permissions(desk) == expected
        assert desk.has_perm("clinic.view_clinical_record")
        assert desk.has_perm("scheduling.add_appointment")
        assert not desk.has_perm("clinic.change_clinical_record")
    superuser = UserFactory(clinic=None, is_superuser=True)
    assert StaffBackend().get_all_permissions(superuser) == ModelBackend().get_all_permissions(
        User.objects.get(pk=superuser.pk)
    )
    inactive = User.objects.get(pk=desk.pk)
    inactive.is_active = False
    assert StaffBackend().get_all_permissions(inactive) == set()


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
