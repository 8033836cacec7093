"""A file field for pictures staff upload: every form built from it (pages and the Django
admin alike) accepts only what ``clinic.images.clean_image`` accepts, and stores its result:
the rebuilt SVG, or the checked raster image, named after the kind its content is."""

from __future__ import annotations

import os
import secrets

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from clinic import images


class PictureFormField(forms.FileField):
    default_error_messages = {
        "too_large": f"The file is larger than {images.MAX_BYTES // (1024 * 1024)} MB; use a smaller picture.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "A PNG, JPEG, WebP or SVG picture, at most 2 MB.")
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/png,image/jpeg,image/webp,image/svg+xml")

    max_bytes = images.MAX_BYTES

    @staticmethod
    def clean_picture(content: bytes) -> images.CleanImage:
        return images.clean_image(content)

    def file_stem(self, uploaded) -> str:
        return os.path.splitext(os.path.basename(uploaded.name))[0][:60] or "picture"

    def to_python(self, data):
        uploaded = super().to_python(data)
        if uploaded is None:
            return None
        if uploaded.size is not None and uploaded.size > self.max_bytes:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        uploaded.seek(0)
        try:
            picture = self.clean_picture(uploaded.read(self.max_bytes + 1))
        except images.RefusedImage as refused:
            raise forms.ValidationError(str(refused), code="refused_picture") from None
        return SimpleUploadedFile(self.file_stem(uploaded) + picture.extension, picture.content, picture.content_type)


class PictureField(models.FileField):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PictureFormField, **kwargs})


class LogoFormField(PictureFormField):
    default_error_messages = {
        "too_large": f"The file is larger than {images.LOGO_MAX_BYTES // 1024} KB; use a smaller picture.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            f"A PNG or JPEG picture, at most {images.LOGO_MAX_BYTES // 1024} KB and "
            f"{images.LOGO_MAX_SIDE} × {images.LOGO_MAX_SIDE} pixels.",
        )
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = "image/png,image/jpeg"

    max_bytes = images.LOGO_MAX_BYTES

    @staticmethod
    def clean_picture(content: bytes) -> images.CleanImage:
        return images.clean_logo(content)

    def file_stem(self, uploaded) -> str:
        return "logo"


def logo_path(instance, filename: str) -> str:
    # A random name: a logo's address says nothing of the clinic and cannot be guessed from
    # another clinic's.
    return f"clinic-logos/{secrets.token_urlsafe(18)}{os.path.splitext(filename)[1].lower()}"


class LogoField(PictureField):
    """The clinic's logo: a small PNG or JPEG (``clinic.images.clean_logo``) under a random name."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": LogoFormField, **kwargs})
