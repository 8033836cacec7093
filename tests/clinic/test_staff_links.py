"""The API docs and a patient's FHIR export are found from the pages, by exactly the staff who
may open them; whoever is not shown a link is refused its page."""

from __future__ import annotations

import re

import pytest

from clinic.permissions import Role
from tests.factories import PatientFactory, UserFactory

STAFF_BACKEND = "clinic.backends.StaffBackend"
API_DOCS = "/api/docs/"


def _nav(html: str) -> str:
    return re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)


def _user(clinic, role):
    if role == "superuser without a clinic":
        return UserFactory(clinic=None, roles=[], is_staff=True, is_superuser=True)
    if role == "no role yet":
        return UserFactory(clinic=clinic, roles=[])
    return UserFactory(clinic=clinic, roles=[role])


@pytest.mark.parametrize(
    ("role", "sees_docs"),
    [
        (Role.CLINICIAN, True),
        (Role.FRONT_DESK, True),
        (Role.CLINIC_ADMIN, True),
        ("no role yet", False),
        ("superuser without a clinic", False),
    ],
)
def test_the_menu_links_the_api_docs_for_who_may_open_them(client, clinic, role, sees_docs):
    client.force_login(_user(clinic, role), backend=STAFF_BACKEND)

    nav = _nav(client.get("/").content.decode())
    docs = client.get(API_DOCS)

    assert (f'<a href="{API_DOCS}"' in nav) is sees_docs
    assert docs.status_code == (200 if sees_docs else 403)


@pytest.mark.parametrize(
    ("role", "sees_export"),
    [(Role.CLINICIAN, True), (Role.FRONT_DESK, False), (Role.CLINIC_ADMIN, False)],
)
def test_the_patient_page_links_the_fhir_export_for_who_may_read_it(client, clinic, role, sees_export):
    patient = PatientFactory(clinic=clinic)
    export = f"/fhir/Patient/{patient.pk}/$everything"
    client.force_login(_user(clinic, role), backend=STAFF_BACKEND)

    page = client.get(f"/patients/{patient.pk}/")
    response = client.get(export)

    assert page.status_code == 200
    html = page.content.decode()
    assert (f'href="{export}"' in html) is sees_export
    assert ("Export record (FHIR)" in html) is sees_export
    assert response.status_code == (200 if sees_export else 403)
    if sees_export:
        assert response.json()["resourceType"] == "Bundle"


def test_another_clinics_patient_is_neither_shown_nor_exported(client, clinic, other_clinic, clinician):
    foreign = PatientFactory(clinic=other_clinic)
    client.force_login(clinician, backend=STAFF_BACKEND)

    assert client.get(f"/patients/{foreign.pk}/").status_code == 404
    assert client.get(f"/fhir/Patient/{foreign.pk}/$everything").status_code == 404
