"""Webhook rules as pure functions: event types, endpoint addresses, signatures, the retry
schedule, how a receiver's answer is judged and when an endpoint is switched off.

No ORM here; settings are passed in by the callers, so every rule is tested with a table.

Signature (what a receiver checks). Each POST carries

    Stride-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the secret>

The receiver recomputes the HMAC over the exact bytes it received, compares it in constant
time, and refuses a timestamp more than ``SIGNATURE_TOLERANCE`` (5 minutes) away from its
clock, so a captured request cannot be replayed later. ``verify`` below is that check.
Deliveries are at least once: the same event (same ``id``, in the body and in
``Stride-Event-Id``) may arrive again after a timeout, so a receiver ignores ids it has seen.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

SIGNATURE_HEADER = "Stride-Signature"
SIGNATURE_TOLERANCE = datetime.timedelta(minutes=5)
# Marks a string as a Stride webhook secret for readers and secret scanners; not secret itself.
SECRET_PREFIX = "whsec_"  # noqa: S105
URL_MAX_LENGTH = 500


class EventType(StrEnum):
    INTAKE_SUBMITTED = "intake.submitted"
    RED_FLAG_RAISED = "red_flag.raised"
    ASSESSMENT_COMPLETED = "assessment.completed"
    PLAN_SIGNED = "plan.signed"
    APPOINTMENT_BOOKED = "appointment.booked"
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    HANDOUT_READY = "handout.ready"
    VISIT_NOTE_SIGNED = "visit_note.signed"
    EPISODE_DISCHARGED = "episode.discharged"
    RETURN_TO_RUN_PHASE_CHANGED = "return_to_run.phase_changed"
    RUN_LOGGED = "run.logged"


# Sent only by "Send test event", to the one endpoint asked, whatever it subscribes to.
PING = "ping"

EVENT_LABELS = {
    EventType.INTAKE_SUBMITTED: "Intake submitted",
    EventType.RED_FLAG_RAISED: "Red flag raised",
    EventType.ASSESSMENT_COMPLETED: "Assessment completed",
    EventType.PLAN_SIGNED: "Plan signed",
    EventType.APPOINTMENT_BOOKED: "Appointment booked",
    EventType.APPOINTMENT_RESCHEDULED: "Appointment rescheduled",
    EventType.APPOINTMENT_CANCELLED: "Appointment cancelled",
    EventType.HANDOUT_READY: "Handout ready",
    EventType.VISIT_NOTE_SIGNED: "Visit note signed",
    EventType.EPISODE_DISCHARGED: "Episode discharged",
    EventType.RETURN_TO_RUN_PHASE_CHANGED: "Return to run: phase changed",
    EventType.RUN_LOGGED: "Run logged",
}


def event_type_problems(chosen: list) -> list[str]:
    """Why a list of subscribed event types is not acceptable (empty when it is)."""
    if not isinstance(chosen, list) or not chosen:
        return ["Choose at least one event."]
    unknown = sorted({str(value) for value in chosen} - set(EventType))
    if unknown:
        return [f"Unknown event type: {', '.join(unknown)}."]
    if len(set(chosen)) != len(chosen):
        return ["Each event may be chosen once."]
    return []


# --- Endpoint addresses -------------------------------------------------------------------------


def is_loopback_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


NOT_REACHABLE = "The address is on a network Stride does not send to."


def url_problem(url: str, *, debug: bool, allow_private: bool) -> str | None:
    """Why an endpoint address is refused, or None.

    HTTPS is required, so event ids and signatures travel encrypted; plain HTTP is allowed
    for a receiver on this machine (loopback) and, in DEBUG, anywhere. A user name or
    password in the address is refused: the address is shown on pages and in the delivery
    log, and the signature already authenticates Stride to the receiver. An address written
    as an IP (or as localhost) must pass ``address_allowed`` now; a name is checked on every
    address it resolves to at each send, since what it resolves to can change.
    """
    if len(url) > URL_MAX_LENGTH:
        return f"Use an address of at most {URL_MAX_LENGTH} characters."
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return "Enter a valid web address, such as https://example.com/stride-hooks."
    if parts.scheme not in ("https", "http") or not host:
        return "Enter a valid web address, such as https://example.com/stride-hooks."
    if parts.username is not None or parts.password is not None:
        return "Leave the user name and password out of the address; the signature identifies Stride."
    if parts.fragment:
        return "Leave out the part after #; it is never sent to the receiver."
    if parts.scheme == "http" and not (debug or is_loopback_host(host)):
        return "Use an https:// address; plain http is only allowed for a receiver on this machine."
    if is_loopback_host(host) and not allow_private:
        return NOT_REACHABLE
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return None
    return None if address_allowed(str(literal), allow_private=allow_private) else NOT_REACHABLE


# Ranges the IANA special-purpose registries mark as not globally reachable that the
# ``is_global`` of the Python in use (3.11) still calls global.
_NOT_GLOBAL = (
    ipaddress.ip_network("192.88.99.0/24"),  # 6to4 relay anycast, deprecated (RFC 7526)
    ipaddress.ip_network("2002::/16"),  # 6to4 (RFC 3056): reaches whatever IPv4 address it embeds
    ipaddress.ip_network("3fff::/20"),  # documentation (RFC 9637)
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
)
# RFC 4291 2.4: all global unicast IPv6 is allocated from 2000::/3 (site-local fec0::/10,
# IPv4-compatible ::a.b.c.d, multicast and the rest lie outside it).
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
# RFC 6052: the well-known NAT64 prefix; the last 32 bits are the IPv4 address reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# What the development escape (``allow_private``) opens besides loopback: RFC 1918 and
# unique-local IPv6, the networks a clinic's own receiver may sit on.
_PRIVATE = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("fc00::/7"),
)
# Cloud instance metadata inside those networks (AWS's IPv6 one): never, escape or not.
_METADATA = (ipaddress.ip_network("fd00:ec2::254/128"),)


def is_global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable unicast: ``is_global``, and not a range the registries exclude."""
    if not ip.is_global or ip.is_multicast or any(ip in network for network in _NOT_GLOBAL):
        return False
    return ip.version == 4 or ip in _GLOBAL_UNICAST_V6


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: IPv4-mapped, NAT64, 6to4, Teredo (server
    and client) and the old IPv4-compatible form."""
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in _NAT64 or ip in ipaddress.ip_network("::/96"):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in found if address is not None]


def address_allowed(address: str, *, allow_private: bool) -> bool:
    """May a delivery connect to this resolved IP address?

    Only globally routable unicast addresses (``is_global``), an allow-list rather than a
    list of ranges to refuse. An IPv6 address that carries an IPv4 address is judged by that
    too: an IPv4-mapped address is its IPv4 address, a NAT64 one reaches its IPv4 address,
    and a 6to4 or Teredo one is refused (not globally routable) whatever it carries. Loopback
    and private networks only when ``allow_private`` (development, tests, or a receiver on
    the clinic's own network when the operator allows it); link-local (cloud metadata), shared
    address space (100.64.0.0/10), multicast, reserved and the like never, so a clinic admin
    cannot point Stride at the services next to it.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            return all(is_global(embedded) for embedded in embedded_ipv4(ip))
    if any(ip in network for network in _METADATA):
        return False
    if ip.is_loopback or any(ip in network for network in _PRIVATE):
        return allow_private
    if isinstance(ip, ipaddress.IPv6Address) and not all(is_global(embedded) for embedded in embedded_ipv4(ip)):
        return False
    return is_global(ip)


def addresses_allowed(addresses: Sequence[str], *, allow_private: bool) -> bool:
    """A name may be sent to only if it resolved and every address it resolved to is allowed:
    the connection may use any of them."""
    return bool(addresses) and all(address_allowed(address, allow_private=allow_private) for address in addresses)


# --- Secrets and signatures ---------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hint(secret: str) -> str:
    """The start of a secret, enough to tell two apart; not enough to sign anything."""
    return secret[: len(SECRET_PREFIX) + 4] + "…"


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, keys: Sequence[str], timestamp: int, body: bytes) -> str:
    """One ``v1`` per signing secret: while a rotated secret overlaps the new one, a receiver
    holding either finds a signature it can check."""
    return ",".join(
        [f"t={timestamp}", *(f"v1={signature(secret=key, timestamp=timestamp, body=body)}" for key in keys)]
    )


def overlap_open(previous_until: datetime.datetime | None, now: datetime.datetime) -> bool:
    """Whether the secret a rotation replaced still signs."""
    return previous_until is not None and now < previous_until


def signing_secrets(
    *, secret: str, previous: str, previous_until: datetime.datetime | None, now: datetime.datetime
) -> list[str]:
    """The current secret, and the one it replaced until its overlap ends."""
    return [secret, previous] if previous and overlap_open(previous_until, now) else [secret]


def verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    now: int,
    tolerance: datetime.timedelta = SIGNATURE_TOLERANCE,
) -> bool:
    """The receiver's check: a ``v1`` signature of ``body`` at a timestamp within ``tolerance``."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        [timestamp] = [int(value) for value in fields.get("t", [])]
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance.total_seconds():
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, candidate) for candidate in fields.get("v1", []))


# --- Retries, outcomes, disabling ---------------------------------------------------------------

# Wait after the 1st, 2nd, ... failed attempt; the last value repeats. Fast at first (a
# receiver restarting), then spread over about two days (a receiver down for a weekend).
BACKOFF = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=6),
    datetime.timedelta(hours=12),
    datetime.timedelta(hours=24),
)


def retry_delay(failed_attempts: int) -> datetime.timedelta:
    """How long to wait after the given number of failed attempts (1 or more)."""
    return BACKOFF[min(max(failed_attempts, 1), len(BACKOFF)) - 1]


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    # The receiver said the endpoint is gone: the endpoint is switched off at once.
    GONE = "gone"


def classify(status_code: int | None) -> Outcome:
    """A 2xx is delivered; 410 Gone means the receiver removed the endpoint; anything else
    (other 4xx, which a receiver may fix, 5xx, redirects, which are not followed, and no
    answer at all: ``None``) is tried again later."""
    if status_code is not None and 200 <= status_code < 300:
        return Outcome.DELIVERED
    if status_code == 410:
        return Outcome.GONE
    return Outcome.RETRY


@dataclass(frozen=True)
class Next:
    """What becomes of a delivery after an attempt that did not deliver."""

    give_up: bool
    retry_in: datetime.timedelta | None


def after_failure(*, attempts: int, max_attempts: int, outcome: Outcome) -> Next:
    if outcome == Outcome.GONE or attempts >= max_attempts:
        return Next(give_up=True, retry_in=None)
    return Next(give_up=False, retry_in=retry_delay(attempts))


def should_disable(*, consecutive_failures: int, disable_after: int, outcome: Outcome) -> bool:
    """An endpoint is switched off when the receiver answers 410, or when ``disable_after``
    deliveries in a row were given up (each after all its attempts); a delivered event
    resets the count."""
    return outcome == Outcome.GONE or consecutive_failures >= disable_after
