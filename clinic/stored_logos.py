"""Logos stored before the logo checks existed (any picture Pillow opened, of any size, under
the name it was uploaded with) are checked again once, when the clinic app migrates: one that
passes is moved under a random name, one that does not is removed, so every logo a handout or
the portal shows is one the settings page would accept today."""

from __future__ import annotations

import logging
import re

from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from clinic import images
from clinic.picture_fields import logo_path

log = logging.getLogger(__name__)

# What ``logo_path`` names a file: 18 random bytes, URL-safe, and the checked kind's extension.
_RANDOM_NAME = re.compile(r"^clinic-logos/[A-Za-z0-9_-]{24}\.(png|jpg)$")


def rechecked(name: str, storage: Storage) -> str:
    """The name the logo stored under ``name`` keeps, or "" when it is gone or refused (and removed)."""
    if not name:
        return ""
    if not storage.exists(name):
        return ""
    with storage.open(name, "rb") as stored:
        content = stored.read(images.LOGO_MAX_BYTES + 1)
    try:
        checked = images.clean_logo(content)
    except images.RefusedImage:
        storage.delete(name)
        # No clinic or file name: only that the check removed one.
        log.warning("A stored clinic logo failed the logo checks and was removed.")
        return ""
    if _RANDOM_NAME.match(name) and name.endswith(checked.extension):
        return name
    new_name = storage.save(logo_path(None, "logo" + checked.extension), ContentFile(checked.content))
    storage.delete(name)
    return new_name
