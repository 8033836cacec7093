"""The pure webhook rules, case by case."""

from __future__ import annotations

import datetime

import pytest

from clinic.webhooks import rules
from clinic.webhooks.rules import Outcome

SECRET = "whsec_test-secret"
BODY = b'{"id":"evt","type":"ping"}'
# Computed outside Python: printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac whsec_test-secret
KNOWN = "41a30b6fe9f2026de74aff934446457c4d84b42f9107a2e121fa1ad78d310bf6"


def test_the_signature_matches_a_known_vector():
    assert rules.signature(secret=SECRET, timestamp=1700000000, body=BODY) == KNOWN
    assert rules.signature_header(keys=[SECRET], timestamp=1700000000, body=BODY) == f"t=1700000000,v1={KNOWN}"


@pytest.mark.parametrize(
    ("header", "body", "now", "expected"),
    [
        (f"t=1700000000,v1={KNOWN}", BODY, 1700000000, True),
        (f"t=1700000000,v1={KNOWN}", BODY, 1700000000 + 300, True),  # at the edge of the window
        (f"t=1700000000,v1={KNOWN}", BODY, 1700000000 - 300, True),  # receiver's clock behind
        (f"t=1700000000,v1={KNOWN}", BODY, 1700000000 + 301, False),  # a replay, too late
        (f"t=1700000000, v1={KNOWN}", BODY, 1700000000, True),  # spaces tolerated
        (f"t=1700000000,v1=deadbeef,v1={KNOWN}", BODY, 1700000000, True),  # any v1 may match
        (f"t=1700000000,v1={KNOWN}", BODY + b" ", 1700000000, False),  # body changed
        (f"t=1700000001,v1={KNOWN}", BODY, 1700000001, False),  # timestamp changed
        (f"v1={KNOWN}", BODY, 1700000000, False),  # no timestamp
        (f"t=abc,v1={KNOWN}", BODY, 1700000000, False),
        (f"t=1700000000,t=1700000000,v1={KNOWN}", BODY, 1700000000, False),  # ambiguous timestamp
        ("t=1700000000", BODY, 1700000000, False),  # no signature
        ("", BODY, 1700000000, False),
    ],
)
def test_verify(header, body, now, expected):
    assert rules.verify(secret=SECRET, header=header, body=body, now=now) is expected


def test_verify_refuses_another_secret():
    header = rules.signature_header(keys=[SECRET], timestamp=1700000000, body=BODY)
    assert not rules.verify(secret="whsec_other", header=header, body=BODY, now=1700000000)


def test_new_secrets_are_prefixed_random_and_hinted_by_their_start():
    first, second = rules.new_secret(), rules.new_secret()
    assert first.startswith("whsec_")
    assert len(first) > 40
    assert first != second
    assert rules.secret_hint(first) == first[:10] + "…"


@pytest.mark.parametrize(
    ("failed", "expected"),
    [
        (1, datetime.timedelta(minutes=1)),
        (2, datetime.timedelta(minutes=5)),
        (3, datetime.timedelta(minutes=30)),
        (4, datetime.timedelta(hours=2)),
        (5, datetime.timedelta(hours=6)),
        (6, datetime.timedelta(hours=12)),
        (7, datetime.timedelta(hours=24)),
        (8, datetime.timedelta(hours=24)),  # capped
        (50, datetime.timedelta(hours=24)),
        (0, datetime.timedelta(minutes=1)),
    ],
)
def test_retry_delay(failed, expected):
    assert rules.retry_delay(failed) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Outcome.DELIVERED),
        (201, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (299, Outcome.DELIVERED),
        (301, Outcome.RETRY),  # redirects are not followed
        (400, Outcome.RETRY),
        (401, Outcome.RETRY),  # e.g. the receiver still has the old secret
        (404, Outcome.RETRY),
        (410, Outcome.GONE),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (None, Outcome.RETRY),  # timeout, refused connection
    ],
)
def test_classify(status, expected):
    assert rules.classify(status) == expected


@pytest.mark.parametrize(
    ("attempts", "max_attempts", "outcome", "give_up", "retry_in"),
    [
        (1, 8, Outcome.RETRY, False, datetime.timedelta(minutes=1)),
        (3, 8, Outcome.RETRY, False, datetime.timedelta(minutes=30)),
        (7, 8, Outcome.RETRY, False, datetime.timedelta(hours=24)),
        (8, 8, Outcome.RETRY, True, None),
        (9, 8, Outcome.RETRY, True, None),
        (1, 1, Outcome.RETRY, True, None),
        (1, 8, Outcome.GONE, True, None),
    ],
)
def test_after_failure(attempts, max_attempts, outcome, give_up, retry_in):
    assert rules.after_failure(attempts=attempts, max_attempts=max_attempts, outcome=outcome) == rules.Next(
        give_up=give_up, retry_in=retry_in
    )


@pytest.mark.parametrize(
    ("consecutive", "disable_after", "outcome", "expected"),
    [
        (1, 5, Outcome.RETRY, False),
        (4, 5, Outcome.RETRY, False),
        (5, 5, Outcome.RETRY, True),
        (6, 5, Outcome.RETRY, True),
        (1, 5, Outcome.GONE, True),
        (1, 1, Outcome.RETRY, True),
    ],
)
def test_should_disable(consecutive, disable_after, outcome, expected):
    assert (
        rules.should_disable(consecutive_failures=consecutive, disable_after=disable_after, outcome=outcome) is expected
    )


@pytest.mark.parametrize(
    ("url", "debug", "allow_private", "refused"),
    [
        ("https://example.com/hooks", False, False, False),
        ("https://example.com:8443/hooks?clinic=3", False, False, False),
        ("http://example.com/hooks", False, False, True),
        ("http://example.com/hooks", True, True, False),
        ("http://127.0.0.1:9000/hooks", False, True, False),
        ("http://localhost/hooks", False, True, False),
        ("http://[::1]:9000/hooks", False, True, False),
        ("http://127.8.0.1/hooks", False, True, False),
        # Loopback only through the development escape.
        ("http://127.0.0.1:9000/hooks", False, False, True),
        ("https://localhost/hooks", False, False, True),
        ("https://[::1]/hooks", False, False, True),
        ("http://10.0.0.5/hooks", False, False, True),
        ("https://10.0.0.5/hooks", False, False, True),
        ("https://10.0.0.5/hooks", False, True, False),
        # Addresses written as IPs are judged at once, escape or not.
        ("https://169.254.169.254/latest/meta-data/", True, True, True),
        ("https://100.100.100.200/latest/meta-data/", True, True, True),
        ("https://100.64.0.1/hooks", False, False, True),
        ("https://192.88.99.1/hooks", False, False, True),
        ("https://[2002:a9fe:a9fe::1]/hooks", False, False, True),
        ("https://[fec0::1]/hooks", False, False, True),
        ("https://[::ffff:169.254.169.254]/hooks", True, True, True),
        ("https://93.184.216.34/hooks", False, False, False),
        ("https://[2606:2800:220:1::1]/hooks", False, False, False),
        ("ftp://example.com/hooks", False, False, True),
        ("example.com/hooks", False, False, True),
        ("https://", False, False, True),
        ("https://user:pass@example.com/hooks", False, False, True),
        ("https://example.com/hooks#part", False, False, True),
        ("https://example.com:notaport/hooks", False, False, True),
        ("https://example.com/" + "a" * 500, False, False, True),
    ],
)
def test_url_problem(url, debug, allow_private, refused):
    assert (rules.url_problem(url, debug=debug, allow_private=allow_private) is not None) is refused


@pytest.mark.parametrize(
    ("address", "allow_private", "expected"),
    [
        ("93.184.216.34", False, True),
        ("2606:2800:220:1::1", False, True),
        ("8.8.8.8", False, True),
        ("127.0.0.1", False, False),
        ("127.0.0.1", True, True),
        ("::1", False, False),
        ("::1", True, True),
        ("10.1.2.3", False, False),
        ("172.16.0.1", False, False),
        ("192.168.1.10", False, False),
        ("192.168.1.10", True, True),
        ("fd12:3456::1", False, False),
        ("fd12:3456::1", True, True),
        # Cloud metadata: never, whatever the escape.
        ("169.254.169.254", True, False),
        ("fd00:ec2::254", True, False),
        ("100.100.100.200", True, False),
        ("fe80::1%eth0", True, False),
        # Shared address space (carrier-grade NAT), neither private nor global.
        ("100.64.0.1", True, False),
        ("100.127.255.254", False, False),
        # 6to4: the relay anycast, and the 6to4 prefix whatever it embeds.
        ("192.88.99.1", False, False),
        ("2002:a9fe:a9fe::1", True, False),
        ("2002:7f00:1::1", True, False),
        ("2002:5db8:d822::1", False, False),
        # Site-local IPv6, deprecated but still routed by some networks.
        ("fec0::1", True, False),
        ("fec0::1", False, False),
        # Teredo (2001::/32), here with a client of 192.0.2.45.
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False, False),
        # NAT64: the IPv4 address it reaches decides.
        ("64:ff9b::5db8:d822", False, True),
        ("64:ff9b::a9fe:a9fe", True, False),
        ("64:ff9b::7f00:1", True, False),
        ("64:ff9b::a00:1", True, False),
        ("64:ff9b:1::5db8:d822", False, False),
        # IPv4-mapped and the old IPv4-compatible form.
        ("::ffff:93.184.216.34", False, True),
        ("::ffff:169.254.169.254", True, False),
        ("::ffff:100.64.0.1", True, False),
        ("::ffff:127.0.0.1", False, False),
        ("::ffff:127.0.0.1", True, True),
        ("::a9fe:a9fe", True, False),
        ("::5db8:d822", False, False),
        # Special-purpose and documentation ranges.
        ("0.0.0.0", True, False),  # noqa: S104 -- an address to refuse, not one to bind
        ("::", True, False),
        ("224.0.0.1", True, False),
        ("ff0e::1", True, False),
        ("240.0.0.1", True, False),
        ("255.255.255.255", True, False),
        ("192.0.0.1", False, False),
        ("192.0.2.1", False, False),
        ("198.18.0.1", False, False),
        ("198.51.100.7", False, False),
        ("203.0.113.9", False, False),
        ("2001:db8::1", False, False),
        ("3fff::1", False, False),
        ("100::1", False, False),
        ("5f00::1", False, False),
    ],
)
def test_address_allowed(address, allow_private, expected):
    assert rules.address_allowed(address, allow_private=allow_private) is expected


@pytest.mark.parametrize(
    ("addresses", "allow_private", "expected"),
    [
        (["93.184.216.34"], False, True),
        (["93.184.216.34", "2606:2800:220:1::1"], False, True),
        # One address that may not be reached refuses the name: the connection may use any.
        (["93.184.216.34", "100.64.0.1"], False, False),
        (["2606:2800:220:1::1", "fec0::1"], False, False),
        (["93.184.216.34", "127.0.0.1"], False, False),
        (["93.184.216.34", "127.0.0.1"], True, True),
        (["93.184.216.34", "169.254.169.254"], True, False),
        ([], True, False),  # resolved to nothing
    ],
)
def test_addresses_allowed(addresses, allow_private, expected):
    assert rules.addresses_allowed(addresses, allow_private=allow_private) is expected


@pytest.mark.parametrize(
    ("chosen", "ok"),
    [
        (["plan.signed"], True),
        ([event.value for event in rules.EventType], True),
        ([], False),
        ("plan.signed", False),
        (["plan.signed", "plan.signed"], False),
        (["ping"], False),  # only ever sent on request
        (["patient.viewed"], False),
    ],
)
def test_event_type_problems(chosen, ok):
    assert (rules.event_type_problems(chosen) == []) is ok


NOW = datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("previous", "until", "expected"),
    [
        ("", None, ["whsec_new"]),
        ("whsec_old", NOW + datetime.timedelta(hours=1), ["whsec_new", "whsec_old"]),
        ("whsec_old", NOW, ["whsec_new"]),
        ("whsec_old", NOW - datetime.timedelta(seconds=1), ["whsec_new"]),
    ],
)
def test_signing_secrets_during_and_after_a_rotation(previous, until, expected):
    assert rules.signing_secrets(secret="whsec_new", previous=previous, previous_until=until, now=NOW) == expected


def test_a_header_with_two_secrets_verifies_with_either():
    header = rules.signature_header(keys=["whsec_new", "whsec_old"], timestamp=1700000000, body=BODY)
    for key in ("whsec_new", "whsec_old"):
        assert rules.verify(secret=key, header=header, body=BODY, now=1700000000)
    assert not rules.verify(secret="whsec_other", header=header, body=BODY, now=1700000000)
