"""The typed consent signature: the patient's own name, ignoring case, accents and extra spaces."""

from __future__ import annotations

import pytest

from intake import consent

CASES = {
    "exact": ("Ava Newcomer", True),
    "case and spaces": ("  ava   NEWCOMER ", True),
    "accents added": ("Áva Newcómer", True),
    "someone else": ("Mickey Mouse", False),
    "first name only": ("Ava", False),
    "surname first": ("Newcomer Ava", False),
    "blank": ("   ", False),
    "extra middle name": ("Ava Marie Newcomer", False),
}


@pytest.mark.parametrize(("typed", "matches"), CASES.values(), ids=CASES.keys())
def test_signature_matches_the_patients_name(typed, matches):
    assert consent.signature_matches(typed, first_name="Ava", last_name="Newcomer") is matches


@pytest.mark.parametrize(
    ("typed", "first", "last", "matches"),
    [
        ("Zoe Nunez", "Zoë", "Núñez", True),
        ("ZOË NÚÑEZ", "Zoe", "Nunez", True),
        ("Zoe Nunez", "Zoë", "Núñez-Ortiz", False),
    ],
)
def test_accents_are_ignored_on_either_side(typed, first, last, matches):
    assert consent.signature_matches(typed, first_name=first, last_name=last) is matches
