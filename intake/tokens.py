"""Intake link tokens: random, signed, stored only as a hash.

A link token is ``<random>.<signature>``. The signature lets a tampered or made-up link be
refused before any database lookup; the random part is what the database knows, as its
SHA-256, so a copy of the database opens no intake.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core import signing

_SIGNER = signing.Signer(salt="intake.invitation", sep=".")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_link_token() -> tuple[str, str]:
    """A fresh link token and the hash to store for it."""
    raw = secrets.token_urlsafe(32)
    return _SIGNER.sign(raw), hash_token(raw)


def hash_of_link_token(link_token: str) -> str | None:
    """The stored hash a genuine link token maps to, or None for a forged one."""
    try:
        return hash_token(_SIGNER.unsign(link_token))
    except signing.BadSignature:
        return None
