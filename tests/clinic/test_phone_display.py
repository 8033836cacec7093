"""Phone numbers read as dialled from the clinic's country: national for its own country's
numbers, international for any other; the clinic's country is its own number's, else the
installation's default region."""

from __future__ import annotations

import types
from urllib.parse import urlsplit

import pytest
from phonenumber_field.phonenumber import PhoneNumber

from clinic import phone_display
from clinic.portal import services as portal_services
from tests.factories import PatientFactory

STAFF_BACKEND = "clinic.backends.StaffBackend"


def _number(text: str) -> PhoneNumber:
    return PhoneNumber.from_string(text)


@pytest.mark.parametrize(
    ("number", "region", "shown"),
    [
        ("+13125550199", "US", "(312) 555-0199"),
        # One calling code, one way of dialling: a Canadian number from a US clinic.
        ("+14165550199", "US", "(416) 555-0199"),
        ("+447911123456", "US", "+44 7911 123456"),
        ("+447911123456", "GB", "07911 123456"),
        ("+13125550199", "GB", "+1 312-555-0199"),
        ("", "US", ""),
    ],
)
def test_display(number, region, shown):
    assert phone_display.display(_number(number) if number else "", region) == shown


@pytest.mark.parametrize(
    ("clinic_phone", "region"),
    [("+442071838750", "GB"), ("+13125550100", "US"), ("", "US")],
)
def test_the_clinics_country_is_its_own_numbers_else_the_default(settings, clinic_phone, region):
    settings.PHONENUMBER_DEFAULT_REGION = "US"
    clinic = types.SimpleNamespace(phone=_number(clinic_phone) if clinic_phone else "")
    assert phone_display.clinic_region(clinic) == region


def _page(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.mark.django_db
def test_the_patient_page_shows_a_local_number_nationally_and_a_foreign_one_internationally(client, clinician, clinic):
    local = PatientFactory(clinic=clinic, mobile_phone="+13125550199")
    abroad = PatientFactory(clinic=clinic, mobile_phone="+447911123456")
    client.force_login(clinician, backend=STAFF_BACKEND)
    assert "<dd>(312) 555-0199</dd>" in _page(client.get(f"/patients/{local.pk}/"))
    page = _page(client.get(f"/patients/{abroad.pk}/"))
    assert "<dd>+44 7911 123456</dd>" in page
    assert "+447911123456" not in page


@pytest.mark.django_db
def test_the_portal_shows_the_clinics_number_nationally(client, patient, clinic):
    clinic.phone = "+13125550100"
    clinic.save(update_fields=["phone"])
    page = _page(client.get(urlsplit(portal_services.link_issue(patient=patient)).path))
    assert "on (312) 555-0100" in page
    assert "+13125550100 " not in page


@pytest.mark.django_db
def test_the_patient_edit_form_offers_the_number_as_dialled(client, front_desk, clinic):
    patient = PatientFactory(clinic=clinic, mobile_phone="+13125550199")
    client.force_login(front_desk, backend=STAFF_BACKEND)
    page = _page(client.get(f"/patients/{patient.pk}/edit/"))
    assert 'value="(312) 555-0199"' in page
    assert "+13125550199" not in page
