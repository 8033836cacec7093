"""The authenticator key as a QR code, drawn on the server as inline SVG (no image request,
no third-party service ever sees the key)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str, *, label: str) -> SafeString:
    # Loaded when someone sets up an authenticator app, not by every web worker (8 MiB).
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, border=4)
    svg = image.to_string(encoding="unicode")
    # The library writes only numbers and fixed attributes; ``label`` is the one text put in.
    return mark_safe(svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{escape(label)}" ', 1))  # noqa: S308
