"""Illustrations stored before uploads were checked: each made safe in place.

An SVG is rebuilt by ``clinic.images.sanitise_svg`` and written back under the same name, so
the signed versions that name it keep their picture. A file that is no picture Stride accepts
(or an SVG that cannot be made safe) is deleted and the intervention falls back to its shipped
drawing. Run by migration ``plans.0007`` with the historical model, and by the command
``manage.py sanitise_illustrations``, which also audits each change; running it again changes
nothing.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from clinic import images


class Outcome(StrEnum):
    SANITISED = "sanitised"
    REMOVED = "removed"


def sanitise_stored(intervention_model) -> list[tuple[int, Outcome]]:
    """Make every stored illustration safe; returns the ids changed and how."""
    changed = []
    for row in intervention_model.objects.exclude(illustration="").order_by("pk"):
        name = row.illustration.name
        if not default_storage.exists(name):
            continue
        with default_storage.open(name, "rb") as file:
            content = file.read(images.MAX_BYTES + 1)
        try:
            picture = images.clean_image(content)
        except images.RefusedImage:
            default_storage.delete(name)
            intervention_model.objects.filter(pk=row.pk).update(illustration="")
            changed.append((row.pk, Outcome.REMOVED))
            continue
        if picture.content != content:
            default_storage.delete(name)
            saved = default_storage.save(name, ContentFile(picture.content))
            if saved != name:
                intervention_model.objects.filter(pk=row.pk).update(illustration=saved)
            changed.append((row.pk, Outcome.SANITISED))
    return changed
