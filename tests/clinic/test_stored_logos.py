"""Logos stored before the logo checks are checked once when the clinic app migrates: a PNG or
JPEG within the limits moves under a random name, anything else is removed, so the handout and
the portal only ever show a logo the settings page would accept."""

from __future__ import annotations

import importlib
import io
import logging

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from PIL import Image

from clinic.models import Clinic
from clinic.stored_logos import rechecked
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db

recheck_migration = importlib.import_module("clinic.migrations.0021_recheck_stored_logos")


def picture(kind: str = "PNG", size: tuple[int, int] = (40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1d5c7a").save(buffer, kind)
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script></svg>'


@pytest.fixture
def storage(tmp_path):
    return FileSystemStorage(location=tmp_path)


@pytest.mark.parametrize(
    ("old_name", "content", "kept_as"),
    [
        ("clinic-logos/northside-physio.png", picture("PNG"), ".png"),
        ("clinic-logos/northside-physio.gif", picture("JPEG"), ".jpg"),
        ("clinic-logos/logo.png", picture("GIF"), None),
        ("clinic-logos/logo.webp", picture("WEBP"), None),
        ("clinic-logos/logo.svg", SVG, None),
        ("clinic-logos/huge.png", picture("PNG", (2400, 1200)), None),
        ("clinic-logos/padded.png", picture("PNG") + b"\0" * (600 * 1024), None),
        ("clinic-logos/empty.png", b"", None),
    ],
    ids=["png-old-name", "jpeg-named-gif", "gif", "webp", "svg", "too-wide", "too-big", "empty"],
)
def test_a_stored_logo_is_kept_under_a_random_name_or_removed(storage, old_name, content, kept_as):
    storage.save(old_name, ContentFile(content))
    name = rechecked(old_name, storage)
    assert not storage.exists(old_name)
    if kept_as is None:
        assert name == ""
    else:
        assert name.startswith("clinic-logos/")
        assert name.endswith(kept_as)
        assert "northside" not in name
        with storage.open(name, "rb") as moved:
            assert moved.read() == content


def test_a_logo_already_checked_keeps_its_name(storage):
    name = storage.save("clinic-logos/Abcdefghijklmnopqrstuvwx.png", ContentFile(picture("PNG")))
    assert rechecked(name, storage) == name
    assert storage.exists(name)


def test_a_missing_file_or_no_logo_leaves_no_logo(storage):
    assert rechecked("clinic-logos/gone.png", storage) == ""
    assert rechecked("", storage) == ""


def test_a_removed_logo_is_logged_without_its_clinic_or_name(storage, caplog):
    storage.save("clinic-logos/northside-physio.svg", ContentFile(SVG))
    with caplog.at_level(logging.WARNING, logger="clinic.stored_logos"):
        rechecked("clinic-logos/northside-physio.svg", storage)
    assert caplog.messages == ["A stored clinic logo failed the logo checks and was removed."]


def test_the_migration_updates_each_clinics_logo(settings, tmp_path, clinic):
    settings.MEDIA_ROOT = tmp_path
    other = ClinicFactory()
    default_storage.save("clinic-logos/first.png", ContentFile(picture("PNG")))
    default_storage.save("clinic-logos/second.gif", ContentFile(picture("GIF")))
    Clinic.objects.filter(pk=clinic.pk).update(logo="clinic-logos/first.png")
    Clinic.objects.filter(pk=other.pk).update(logo="clinic-logos/second.gif")

    recheck_migration.recheck_logos(apps, None)

    clinic.refresh_from_db()
    other.refresh_from_db()
    assert clinic.logo.name.endswith(".png")
    assert clinic.logo.name != "clinic-logos/first.png"
    assert default_storage.exists(clinic.logo.name)
    assert other.logo.name == ""
