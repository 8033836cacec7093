"""Intake link tokens (see ``clinic.signed_links``): random, signed, stored only as a hash."""

from __future__ import annotations

from clinic.signed_links import SignedLinks, hash_token

LINKS = SignedLinks("intake.invitation")

new_link_token = LINKS.new
hash_of_link_token = LINKS.hash_of

__all__ = ["LINKS", "hash_of_link_token", "hash_token", "new_link_token"]
