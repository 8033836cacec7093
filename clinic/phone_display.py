"""How a phone number reads on a page: as dialled from the clinic's own country."""

from __future__ import annotations

import phonenumbers
from django.conf import settings


def clinic_region(clinic) -> str:
    """The clinic's country: its own number's, else the installation's default region."""
    phone = getattr(clinic, "phone", None)
    region = phonenumbers.region_code_for_number(phone) if phone and phone.is_valid() else None
    return region or settings.PHONENUMBER_DEFAULT_REGION


def display(number, region: str) -> str:
    """National format for a number of the clinic's country (calling code, so one shared plan
    such as +1 reads as dialled), international for any other; an invalid number as typed."""
    if not number:
        return ""
    if not number.is_valid():
        return number.raw_input or str(number)
    if number.country_code == phonenumbers.country_code_for_region(region):
        return number.as_national
    return number.as_international
