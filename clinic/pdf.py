"""Rendering HTML to PDF with WeasyPrint, reading only the app's own files.

WeasyPrint fetches whatever a document names: images, stylesheets, fonts, and inside an SVG
its ``<image>``, ``<use>`` and CSS ``url()``/``@import``. Its default fetcher follows
``http(s)://`` and ``file://`` anywhere, which in the worker means requests to the services
next to it and any file the worker may read. ``LocalFilesFetcher`` answers only:

- ``data:`` URLs (the content is in the document already);
- ``file:`` URLs whose path, with every symbolic link and ``..`` resolved, lies inside
  ``STATIC_ROOT``, a ``STATICFILES_DIRS`` entry or ``MEDIA_ROOT``; read straight from disk.

Everything else raises, and WeasyPrint leaves that resource out. An SVG read from disk is
passed through ``clinic.images.sanitise_svg`` first, so a drawing stored before uploads were
checked cannot fetch anything either. Every WeasyPrint render goes through ``render``.
"""

from __future__ import annotations

import contextlib
import gc
import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from weasyprint.urls import URLFetcher, URLFetcherResponse

from clinic import images

MAX_FILE_BYTES = 20 * 1024 * 1024


class RefusedURL(ValueError):
    """A document named something outside the app's own files."""


def allowed_roots() -> list[Path]:
    """The folders a rendered document may read from, symbolic links resolved."""
    folders = [settings.STATIC_ROOT, settings.MEDIA_ROOT]
    folders += [entry[1] if isinstance(entry, list | tuple) else entry for entry in settings.STATICFILES_DIRS]
    return [Path(os.path.realpath(folder)) for folder in folders if folder]


def local_path(url: str) -> Path:
    """The file a ``file:`` URL names, if it lies inside ``allowed_roots``; else ``RefusedURL``."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedURL("Only the app's own files may be read.")
    path = unquote(parts.path)
    if "\x00" in path or not path.startswith("/"):
        raise RefusedURL("Not a file path.")
    resolved = Path(os.path.realpath(path))
    if not any(resolved.is_relative_to(root) for root in allowed_roots()):
        raise RefusedURL("The file is outside the app's static and media folders.")
    if not resolved.is_file():
        raise RefusedURL("No such file.")
    return resolved


class LocalFilesFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that never uses the network (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, fail_on_errors=False)

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        path = local_path(url)
        # Opened by the resolved path, without following a link swapped in since the check.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(descriptor, "rb") as file:
            content = file.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise RefusedURL("The file is too large to render.")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type == "image/svg+xml" or _looks_like_xml(content):
            content, content_type = images.sanitise_svg(content), "image/svg+xml"
        return URLFetcherResponse(path.as_uri(), content, {"Content-Type": content_type})


def _looks_like_xml(content: bytes) -> bool:
    # A drawing stored under another name (logo.png holding SVG) is still treated as SVG.
    return content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def render(html: str) -> bytes:
    """The PDF of ``html``; relative URLs resolve inside the static folder, and only the app's
    own files and ``data:`` URLs are read.

    Every PDF is tagged (PDF/UA-1): patients read handouts with screen readers, which need the
    structure tree, the language, the title and the pictures' alternative text that the variant
    writes from the HTML's ``lang``, ``<title>``, headings and ``alt``."""
    from weasyprint import HTML

    base = Path(settings.STATICFILES_DIRS[0] if settings.STATICFILES_DIRS else settings.STATIC_ROOT)
    with _collector_paused():
        return HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=LocalFilesFetcher()).write_pdf(
            pdf_variant="pdf/ua-1"
        )


@contextlib.contextmanager
def _collector_paused():
    """A render allocates a great many short-lived objects, and the collector's passes over
    them (and over the whole app's heap) took about a quarter of the time. What the render
    leaves in reference cycles is collected by the first pass after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # Another thread's render may have paused it first: only the one that paused it resumes it.
        if was_enabled:
            gc.enable()
