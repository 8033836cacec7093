"""Links sent to patients (intake, portal, reminder actions): random, signed, stored as a hash.

A link token is ``<random>.<signature>``. The signature lets a tampered or made-up link be
refused before any database lookup; the random part is what the database knows, as its
SHA-256, so a copy of the database opens nothing. Each kind of link has its own salt, so a
token of one kind never opens another.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from enum import StrEnum

from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac


class LinkProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class SignedLinks:
    def __init__(self, salt: str) -> None:
        self._signer = signing.Signer(salt=salt, sep=".")

    def new(self) -> tuple[str, str]:
        """A fresh link token and the hash to store for it."""
        raw = secrets.token_urlsafe(32)
        return self._signer.sign(raw), hash_token(raw)

    def hash_of(self, link_token: str) -> str | None:
        """The stored hash a genuine link token maps to, or None for a forged one."""
        try:
            return hash_token(self._signer.unsign(link_token))
        except signing.BadSignature:
            return None

    def find(self, rows, link_token: str):
        """(row, None) for the row of ``rows`` the token opens, or (row or None, why it opens
        nothing). Rows have ``token_hash`` and ``expires_at``, and may have ``revoked_at`` and
        ``used_at``."""
        token_hash = self.hash_of(link_token)
        row = rows.filter(token_hash=token_hash).first() if token_hash else None
        if row is None:
            return None, LinkProblem.INVALID
        if getattr(row, "revoked_at", None) is not None:
            return row, LinkProblem.REVOKED
        if row.expires_at <= timezone.now():
            return row, LinkProblem.EXPIRED
        if getattr(row, "used_at", None) is not None:
            return row, LinkProblem.USED
        return row, None


class ShortSignedLinks(SignedLinks):
    """Link tokens short enough for a text message (one or two segments with several links).

    48 random bits (what the database knows, hashed) and a 30-bit signature: a made-up token is
    still refused before any lookup (a guess must hit both, 78 bits), bad tokens are
    rate-limited per address (``link_pages``), and the links live only until the visit and
    open once.
    """

    RANDOM_BYTES = 6
    SIGNATURE_CHARS = 5

    def __init__(self, salt: str) -> None:
        self._salt = salt

    def _signature(self, raw: str) -> str:
        digest = salted_hmac(self._salt, raw, algorithm="sha256").digest()
        return base64.urlsafe_b64encode(digest).decode()[: self.SIGNATURE_CHARS]

    def new(self) -> tuple[str, str]:
        raw = secrets.token_urlsafe(self.RANDOM_BYTES)
        return f"{raw}.{self._signature(raw)}", hash_token(raw)

    def hash_of(self, link_token: str) -> str | None:
        raw, dot, signature = link_token.rpartition(".")
        if not dot or not raw or not constant_time_compare(signature, self._signature(raw)):
            return None
        return hash_token(raw)
