"""Intake link tokens (see ``clinic.signed_links``): random, signed, stored only as a hash."""

from __future__ import annotations

from clinic.signed_links import SignedLinks, hash_token

_LINKS = SignedLinks("intake.invitation")

new_link_token = _LINKS.new
hash_of_link_token = _LINKS.hash_of

__all__ = ["hash_of_link_token", "hash_token", "new_link_token"]
