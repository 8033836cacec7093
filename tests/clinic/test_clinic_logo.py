"""The clinic's logo: a small PNG or JPEG set on the clinic settings page, stored under a random
name, placed on handouts and in the portal's header, and served only to links of its own clinic."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from clinic import images
from clinic.forms import ClinicSettingsForm
from clinic.models import Clinic
from clinic.portal import services as portal_services
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

STAFF_BACKEND = "clinic.backends.StaffBackend"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def picture(kind: str = "PNG", size: tuple[int, int] = (40, 20), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1d5c7a").save(buffer, kind, **save)
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'


@pytest.mark.parametrize(
    ("content", "refusal"),
    [
        (picture("PNG"), None),
        (picture("JPEG"), None),
        (picture("PNG", (1000, 1000)), None),
        (picture("PNG", (1001, 10)), "use at most 1000 × 1000"),
        (picture("JPEG", (10, 1001)), "use at most 1000 × 1000"),
        (picture("WEBP"), "Use a PNG or JPEG picture."),
        (picture("GIF"), "Use a PNG or JPEG picture."),
        (SVG, "Use a PNG or JPEG picture."),
        (b"not a picture", "Use a PNG or JPEG picture."),
        (b"", "The file is empty."),
        (picture("PNG", (10, 10)) + b"\0" * (512 * 1024), "larger than 512 KB"),
    ],
    ids=["png", "jpeg", "png-1000", "png-too-wide", "jpeg-too-tall", "webp", "gif", "svg", "text", "empty", "too-big"],
)
def test_what_a_logo_may_be(content, refusal):
    if refusal is None:
        assert images.clean_logo(content).content == content
    else:
        with pytest.raises(images.RefusedImage, match=refusal):
            images.clean_logo(content)


def _settings_data(clinic: Clinic) -> dict:
    form = ClinicSettingsForm(instance=clinic)
    data = {}
    for name, field in form.fields.items():
        if name == "logo":
            continue
        value = form[name].value()
        if value is None or value is False:
            continue
        formatted = field.widget.format_value(value)
        data[name] = "" if formatted is None else formatted
    return {**data, "save_clinic": ""}


def _admin_client(clinic_admin) -> Client:
    client = Client()
    client.force_login(clinic_admin, backend=STAFF_BACKEND)
    return client


def test_the_clinic_admin_sets_the_logo_on_the_settings_page(clinic_admin, clinic):
    client = _admin_client(clinic_admin)
    page = client.get(reverse("clinic_settings")).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="logo"' in page
    content = picture("PNG")
    upload = ContentFile(content, name="Our Clinic Logo.png")

    response = client.post(reverse("clinic_settings"), {**_settings_data(clinic), "logo": upload})

    assert response.status_code == 302, response.content.decode()[:2000]
    clinic.refresh_from_db()
    # Stored under a random name that says nothing of the clinic or the file it came from.
    assert clinic.logo.name.startswith("clinic-logos/")
    assert clinic.logo.name.endswith(".png")
    assert "logo" not in clinic.logo.name.removeprefix("clinic-logos/").lower()
    assert len(clinic.logo.name.removeprefix("clinic-logos/")) >= 24
    with clinic.logo.open("rb") as stored:
        assert stored.read() == content


def test_a_refused_logo_is_told_beside_the_field_and_the_rest_is_kept(clinic_admin, clinic):
    client = _admin_client(clinic_admin)
    data = {**_settings_data(clinic), "name": "Renamed Physio"}

    response = client.post(
        reverse("clinic_settings"), {**data, "logo": ContentFile(picture("PNG", (2000, 10)), name="big.png")}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_logo_errors"' in page
    assert "use at most 1000 × 1000" in page
    assert 'value="Renamed Physio"' in page
    clinic.refresh_from_db()
    assert not clinic.logo
    assert clinic.name != "Renamed Physio"


def test_the_logo_can_be_removed(clinic_admin, clinic):
    clinic.logo.save("x.png", ContentFile(picture("PNG")))
    client = _admin_client(clinic_admin)

    response = client.post(reverse("clinic_settings"), {**_settings_data(clinic), "logo-clear": "on"})

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert not clinic.logo


def _portal(patient) -> str:
    return urlsplit(portal_services.link_issue(patient=patient)).path


def test_the_portal_header_shows_the_clinics_own_logo(clinic, other_clinic):
    ours, theirs = picture("PNG", (30, 30)), picture("JPEG", (50, 20))
    clinic.logo.save("ours.png", ContentFile(ours))
    other_clinic.logo.save("theirs.jpg", ContentFile(theirs))
    portal = _portal(PatientFactory(clinic=clinic))
    client = Client()

    page = client.get(portal).content.decode()

    assert f'<img class="brand-logo" src="{portal}logo/" alt=""' in page
    response = client.get(f"{portal}logo/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == ours
    # The other clinic's patient gets the other clinic's logo through their own link.
    other = client.get(f"{_portal(PatientFactory(clinic=other_clinic))}logo/")
    assert b"".join(other.streaming_content) == theirs


def test_no_logo_without_a_valid_link_or_without_a_logo(clinic):
    portal = _portal(PatientFactory(clinic=clinic))
    client = Client()
    assert "brand-logo" not in client.get(portal).content.decode()
    assert client.get(f"{portal}logo/").status_code == 404
    clinic.logo.save("ours.png", ContentFile(picture("PNG")))
    response = client.get("/portal/not-a-real-token/logo/")
    assert not response.get("Content-Type", "").startswith("image/")
