"""The sign-in lockout (django-axes): it counts failures per account and client address, with the
account named in the one spelling sign-in itself uses, and the address taken from behind the
trusted proxies."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from clinic.models import canonical_email
from clinic.permissions import Role
from tests.factories import PASSWORD, UserFactory

WRONG = "not-the-password"
# Spellings of one address that sign-in folds together: case, spaces, full-width letters (NFKC),
# and a non-ASCII domain in upper case.
SPELLINGS = [
    "Dana@Bücher.test",
    "  dana@bücher.test  ",
    "DANA@BÜCHER.TEST",
    "ＤＡＮＡ@bücher.test",
    "dana@bücher.test",
]


def _login(client, email, password, *, address="198.51.100.7", forwarded=None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


@pytest.fixture
def dana(clinic):
    # Front desk: the password alone signs in (no second factor by default), so a redirect to
    # the dashboard shows that sign-in accepted the spelling.
    return UserFactory(clinic=clinic, email="dana@bücher.test", roles=[Role.FRONT_DESK])


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("User@X.test", "user@x.test"),
        ("  user@x.test\t", "user@x.test"),
        ("ＵＳＥＲ@x.test", "user@x.test"),
        ("DANA@BÜCHER.TEST", "dana@bücher.test"),
        ("\u212aim@x.test", "kim@x.test"),  # KELVIN SIGN folds to a plain k
    ],
)
def test_canonical_email(typed, stored):
    assert canonical_email(typed) == stored


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_sign_in_folds_every_spelling_of_the_address(client, dana, spelling):
    response = _login(client, spelling, PASSWORD)
    assert (response.status_code, response["Location"]) == (302, reverse("dashboard"))


def test_failures_in_any_spelling_count_toward_one_lock(client, dana, settings):
    assert len(SPELLINGS) == settings.AXES_FAILURE_LIMIT
    for spelling in SPELLINGS[:-1]:
        assert _login(client, spelling, WRONG).status_code == 200
    assert _login(client, SPELLINGS[-1], WRONG).status_code == 429

    # Locked: no spelling signs in with the right password.
    for spelling in SPELLINGS:
        assert _login(client, spelling, PASSWORD).status_code == 429, spelling
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"dana@bücher.test"}


def test_a_locked_account_cannot_sign_in_by_changing_case(client, clinic, settings):
    UserFactory(clinic=clinic, email="user@x.test", roles=[Role.FRONT_DESK])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "user@x.test", WRONG)
    assert _login(client, "user@x.test", PASSWORD).status_code == 429
    assert _login(client, "User@x.test", PASSWORD).status_code == 429
    assert _login(client, " USER@X.TEST ", PASSWORD).status_code == 429


def test_the_django_admin_has_no_sign_in_form_of_its_own_to_bypass_the_lock(client, clinic, settings):
    admin = UserFactory(clinic=clinic, email="admin@x.test", roles=[Role.CLINIC_ADMIN])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "Admin@X.test", WRONG)
    response = client.post(
        "/admin/login/", {"username": "ADMIN@x.test", "password": PASSWORD}, REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.session.get("_auth_user_id") != str(admin.pk)
    assert _login(client, "ADMIN@x.test", PASSWORD).status_code == 429


# --- Per (account, client address) -----------------------------------------------------------


def test_failures_from_one_address_do_not_lock_the_account_for_another(client, dana, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, dana.email, WRONG, address="203.0.113.66")
    assert _login(client, dana.email, PASSWORD, address="203.0.113.66").status_code == 429
    assert _login(client, dana.email, PASSWORD, address="198.51.100.7").status_code == 302


def test_without_a_trusted_proxy_a_forwarded_header_gives_no_fresh_tries(client, dana, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, dana.email, WRONG, address="203.0.113.66", forwarded=f"192.0.2.{n}")
    locked = _login(client, dana.email, PASSWORD, address="203.0.113.66", forwarded="192.0.2.200")
    assert locked.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}


def test_behind_a_proxy_each_client_has_its_own_lock(client, dana, settings):
    """Every request arrives from the proxy's address; the client is the proxy's entry."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "127.0.0.1"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, dana.email, WRONG, address=proxy, forwarded="203.0.113.66")
    assert _login(client, dana.email, PASSWORD, address=proxy, forwarded="203.0.113.66").status_code == 429
    # Writing another address in front of the proxy's entry changes nothing.
    spoofed = _login(client, dana.email, PASSWORD, address=proxy, forwarded="198.51.100.7, 203.0.113.66")
    assert spoofed.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}

    # The account holder, elsewhere, signs in.
    assert _login(client, dana.email, PASSWORD, address=proxy, forwarded="198.51.100.7").status_code == 302


def test_behind_two_proxies_the_client_is_the_second_entry_from_the_right(client, dana, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    balancer = "10.0.0.2"
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, dana.email, WRONG, address=balancer, forwarded=f"192.0.2.{n}, 203.0.113.66, 10.0.0.1")
    locked = _login(client, dana.email, PASSWORD, address=balancer, forwarded="203.0.113.66, 10.0.0.1")
    assert locked.status_code == 429
    assert _login(client, dana.email, PASSWORD, address=balancer, forwarded="198.51.100.7, 10.0.0.1").status_code == 302


def test_the_django_admin_sign_in_page_opens(client, db):
    response = client.get("/admin/login/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert 'name="username"' in response.content.decode()
