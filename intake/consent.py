"""Whether a typed consent signature is the patient's own name.

Pure Python (no Django). The comparison ignores case, accents and extra spaces, so "ava  NEWCOMER" and
"Ava Newcomer" sign alike, while any other name does not: a parent or guardian signing for the patient says so
and gives their own name and relationship instead.
"""

from __future__ import annotations

import unicodedata


def plain_name(text: str) -> str:
    """The name as compared: accents dropped, case folded, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(without_accents.casefold().split())


def signature_matches(typed: str, *, first_name: str, last_name: str) -> bool:
    return bool(plain_name(typed)) and plain_name(typed) == plain_name(f"{first_name} {last_name}")
