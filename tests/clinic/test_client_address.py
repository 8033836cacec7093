"""The client address, taken behind the trusted reverse proxies in one place
(``clinic.client_address``) and used by the bad-link limit, the API throttle, the audit trail and
the intake's consent record. The sign-in lockout's use of it is in test_lockout.py."""

from __future__ import annotations

import types

import django_ratelimit.core
import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from rest_framework.request import Request

from clinic.api_auth import ApiRateThrottle
from clinic.client_address import client_ip
from clinic.models import AuditEvent
from intake.models import Intake
from tests.clinic.test_settings import _run
from tests.intake.helpers import link_step_data, post_step, send_invitation

PROXY = "127.0.0.1"
CLIENT = "203.0.113.66"
NEIGHBOUR = "198.51.100.7"


def _via_proxy(client_address: str, *, sent_by_client: str = "") -> dict:
    """What the app receives from a request that came through one proxy: the proxy's own
    address, and the header the client sent (if any) with the proxy's entry appended."""
    forwarded = f"{sent_by_client}, {client_address}" if sent_by_client else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


@pytest.mark.parametrize(
    ("proxies", "remote_addr", "forwarded", "expected"),
    [
        # No trusted proxy: the header is the client's own writing and is ignored.
        (0, "198.51.100.7", None, "198.51.100.7"),
        (0, "198.51.100.7", "203.0.113.1", "198.51.100.7"),
        # One proxy: its entry, the last one; whatever the client wrote before it is ignored.
        (1, PROXY, "203.0.113.9", "203.0.113.9"),
        (1, PROXY, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (1, PROXY, "6.6.6.6,203.0.113.9", "203.0.113.9"),
        (1, PROXY, '", 203.0.113.9', "203.0.113.9"),
        (1, PROXY, "for=unknown, 203.0.113.9", "203.0.113.9"),
        (1, PROXY, "203.0.113.9:51234", "203.0.113.9"),
        (1, PROXY, "[2001:db8::7]:443", "2001:db8::7"),
        (1, PROXY, "::ffff:203.0.113.9", "203.0.113.9"),
        (1, PROXY, "10.1.2.3", "10.1.2.3"),
        # Two proxies: the second entry from the right.
        (2, "10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        # Fewer entries than proxies: all were written by proxies, the first is the furthest out.
        (2, "10.0.0.2", "203.0.113.9", "203.0.113.9"),
        # Called directly (a health probe), or the proxy's entry is not an address: the connection.
        (1, PROXY, None, PROXY),
        (1, PROXY, "6.6.6.6, not-an-address", PROXY),
    ],
)
def test_client_ip(settings, proxies, remote_addr, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == expected


def test_settings_route_every_consumer_through_one_function(settings):
    assert settings.AXES_CLIENT_IP_CALLABLE == "clinic.client_address.client_ip"
    assert settings.RATELIMIT_IP_META_KEY == "clinic.client_address.client_ip"


# --- Bad patient links (django-ratelimit) --------------------------------------------------------

LIMIT = 3
BAD_LINKS = ["/intake/guess-{n}/", "/portal/guess-{n}/", "/visit/confirm/guess-{n}/"]


@pytest.fixture
def frozen_rate_clock(monkeypatch):
    """The rate limit counts in fixed windows; a frozen clock keeps the test inside one."""
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: 1_800_000_000.0))


@pytest.mark.parametrize("bad_link", BAD_LINKS)
def test_behind_a_proxy_bad_links_are_limited_per_client(client, db, settings, frozen_rate_clock, bad_link):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATELIMIT_BAD_INTAKE_LINKS = f"{LIMIT}/15m"
    for n in range(LIMIT):
        assert client.get(bad_link.format(n=n), **_via_proxy(CLIENT)).status_code == 404
    assert client.get(bad_link.format(n=99), **_via_proxy(CLIENT)).status_code == 429
    # Writing another address in front of the proxy's entry gives no fresh tries.
    assert client.get(bad_link.format(n=99), **_via_proxy(CLIENT, sent_by_client=NEIGHBOUR)).status_code == 429

    # Every other patient, behind the same proxy, still has their links looked up.
    assert client.get(bad_link.format(n=99), **_via_proxy(NEIGHBOUR)).status_code == 404


@pytest.mark.parametrize("bad_link", BAD_LINKS)
def test_without_a_trusted_proxy_a_forwarded_header_gives_no_fresh_tries(
    client, db, settings, frozen_rate_clock, bad_link
):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.RATELIMIT_BAD_INTAKE_LINKS = f"{LIMIT}/15m"
    for n in range(LIMIT):
        response = client.get(bad_link.format(n=n), REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        assert response.status_code == 404
    refused = client.get(bad_link.format(n=99), REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert refused.status_code == 429
    assert client.get(bad_link.format(n=99), REMOTE_ADDR=NEIGHBOUR).status_code == 404


# --- The API throttle --------------------------------------------------------------------------


def _anonymous_api_request(**meta) -> Request:
    request = Request(RequestFactory().get("/api/patients/", **meta), authenticators=())
    request.user = AnonymousUser()
    return request


@pytest.mark.parametrize(
    ("proxies", "meta", "ident"),
    [
        (0, {"REMOTE_ADDR": CLIENT, "HTTP_X_FORWARDED_FOR": "192.0.2.1"}, CLIENT),
        (1, _via_proxy(CLIENT), CLIENT),
        (1, _via_proxy(CLIENT, sent_by_client="192.0.2.1"), CLIENT),
    ],
)
def test_the_api_throttle_counts_anonymous_requests_per_client(settings, proxies, meta, ident):
    settings.TRUSTED_PROXY_COUNT = proxies
    key = ApiRateThrottle().get_cache_key(_anonymous_api_request(**meta), view=None)
    assert key.endswith(f"ip-{ident}")


def test_behind_a_proxy_one_client_using_up_the_api_rate_leaves_others_theirs(db, settings, monkeypatch):
    settings.TRUSTED_PROXY_COUNT = 1
    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", {"api_token": "2/hour", "api_session": "2/hour"})
    for _ in range(2):
        assert ApiRateThrottle().allow_request(_anonymous_api_request(**_via_proxy(CLIENT)), view=None)
    assert not ApiRateThrottle().allow_request(_anonymous_api_request(**_via_proxy(CLIENT)), view=None)
    assert ApiRateThrottle().allow_request(_anonymous_api_request(**_via_proxy(NEIGHBOUR)), view=None)


# --- The audit trail and the intake's consent --------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "meta", "recorded"),
    [
        (0, {"REMOTE_ADDR": CLIENT}, CLIENT),
        (0, {"REMOTE_ADDR": CLIENT, "HTTP_X_FORWARDED_FOR": "192.0.2.1"}, CLIENT),
        (1, _via_proxy(CLIENT), CLIENT),
        (1, _via_proxy(CLIENT, sent_by_client="192.0.2.1"), CLIENT),
    ],
)
def test_audit_rows_record_the_client_address(client, settings, clinician, patient, proxies, meta, recorded):
    settings.TRUSTED_PROXY_COUNT = proxies
    client.force_login(clinician)
    assert client.get(f"/patients/{patient.pk}/", **meta).status_code == 200
    assert AuditEvent.objects.get(action="patient.viewed").ip_address == recorded


def test_behind_a_proxy_the_intake_consent_records_the_patients_address(client, settings, episode, front_desk):
    settings.TRUSTED_PROXY_COUNT = 1
    link = send_invitation(episode, actor=front_desk)
    client.get(link, **_via_proxy(CLIENT))
    response = post_step(
        client, link, "consent", link_step_data(link, "consent"), **_via_proxy(CLIENT, sent_by_client="192.0.2.1")
    )
    assert response.status_code == 302
    assert Intake.objects.get(episode=episode).consent_ip == CLIENT


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({}, "0"), ({"BEHIND_TLS_PROXY": "true"}, "1"), ({"BEHIND_TLS_PROXY": "true", "TRUSTED_PROXY_COUNT": "2"}, "2")],
)
def test_behind_a_tls_proxy_at_least_that_proxy_is_trusted(environment, expected):
    script = "import django; django.setup(); from django.conf import settings; print(settings.TRUSTED_PROXY_COUNT)"
    result = _run(["-c", script], DEBUG="true", **environment)
    assert result.stdout.strip() == expected, result.stderr
