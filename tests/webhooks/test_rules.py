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
    ("url", "debug", "refused"),
    [
        ("https://example.com/hooks", False, False),
        ("https://example.com:8443/hooks?clinic=3", False, False),
        ("http://example.com/hooks", False, True),
        ("http://example.com/hooks", True, False),
        ("http://127.0.0.1:9000/hooks", False, False),
        ("http://localhost/hooks", False, False),
        ("http://[::1]:9000/hooks", False, False),
        ("http://127.8.0.1/hooks", False, False),
        ("http://10.0.0.5/hooks", False, True),
        ("ftp://example.com/hooks", False, True),
        ("example.com/hooks", False, True),
        ("https://", False, True),
        ("https://user:pass@example.com/hooks", False, True),
        ("https://example.com/hooks#part", False, True),
        ("https://example.com:notaport/hooks", False, True),
        ("https://example.com/" + "a" * 500, False, True),
    ],
)
def test_url_problem(url, debug, refused):
    assert (rules.url_problem(url, debug=debug) is not None) is refused


@pytest.mark.parametrize(
    ("address", "allow_private", "expected"),
    [
        ("93.184.216.34", False, True),
        ("2606:2800:220:1::1", False, True),
        ("127.0.0.1", False, False),
        ("127.0.0.1", True, True),
        ("::1", True, True),
        ("10.1.2.3", False, False),
        ("192.168.1.10", True, True),
        ("169.254.169.254", True, False),  # cloud metadata: never
        ("fe80::1%eth0", True, False),
        ("::ffff:169.254.169.254", True, False),
        ("::ffff:127.0.0.1", False, False),
        ("0.0.0.0", True, False),  # noqa: S104 -- an address to refuse, not one to bind
        ("224.0.0.1", True, False),
        ("240.0.0.1", True, False),
    ],
)
def test_address_allowed(address, allow_private, expected):
    assert rules.address_allowed(address, allow_private=allow_private) is expected


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
