"""The portal link: signed, stored as a hash, expiring; shows only its own patient."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from clinic.portal import services
from clinic.portal.models import PortalLink
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return urlsplit(url).path


def test_link_opens_the_patients_own_portal_and_stores_only_a_hash(client, patient):
    url = services.link_issue(patient=patient)
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = PortalLink.objects.get()
    assert token not in link.token_hash
    response = client.get(_path(url))
    assert response.status_code == 200
    assert f"Hello {patient.first_name}" in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    link.refresh_from_db()
    assert link.last_opened_at is not None


def test_link_shows_nothing_of_another_patient(client, patient, clinic):
    other = PatientFactory(clinic=clinic, first_name="Unrelated")
    url = services.link_issue(patient=patient)
    assert "Unrelated" not in client.get(_path(url)).content.decode()
    assert other.first_name not in client.get(_path(url)).content.decode()


def test_link_expires_after_the_clinics_days(client, patient):
    url = services.link_issue(patient=patient)
    link = PortalLink.objects.get()
    assert abs((link.expires_at - link.created_at) - datetime.timedelta(days=30)) < datetime.timedelta(seconds=5)
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    PortalLink.objects.filter(pk=link.pk).update(
        created_at=an_hour_ago - datetime.timedelta(days=30), expires_at=an_hour_ago
    )
    response = client.get(_path(url))
    assert response.status_code == 410
    assert "expired" in response.content.decode()


@pytest.mark.parametrize("mangle", [lambda t: t + "x", lambda t: "x" + t, lambda t: t.split(".")[0] + ".forged"])
def test_forged_links_open_nothing(client, patient, mangle):
    url = services.link_issue(patient=patient)
    token = url.rstrip("/").rsplit("/", 1)[1]
    response = client.get(f"/portal/{mangle(token)}/")
    assert response.status_code == 404
    assert patient.first_name not in response.content.decode()


def test_revoked_link_answers_gone(client, patient):
    url = services.link_issue(patient=patient)
    PortalLink.objects.update(revoked_at=timezone.now())
    assert client.get(_path(url)).status_code == 410
