"""Pictures that staff upload (library illustrations, the clinic's logo): what is accepted and
how an SVG is made safe before anything stores, shows or renders it.

The kind is judged by the content, never by the file name: PNG, JPEG and WebP are opened with
Pillow and their size in pixels is checked; anything else must parse as an SVG document.

An SVG is rebuilt from an allow-list rather than cleaned of what is known to be bad. It is
parsed with defusedxml (no DTD entities, no external entities, so no XXE or entity bombs),
and only drawing elements and presentation attributes from the SVG namespace are copied.
Dropped: scripts, ``foreignObject``, event handlers, links to anything but a fragment of the
same drawing (``href="#id"``), ``xml:base``, CSS ``@import``/``@font-face`` and any ``url(...)``
that is not ``url(#id)``, and ``<use>`` of something that itself holds a ``<use>`` (a drawing
that multiplies itself at render time). What is left draws the same shapes and can fetch
nothing. ``sanitise_svg`` is also run by the PDF renderer on every SVG it reads from disk, so a
file stored before these checks cannot fetch anything either.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 4000  # pixels (raster) or user units (an SVG's declared width and height)
MAX_ELEMENTS = 5000

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

RASTER_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}

# The clinic's logo sits in the portal's header and on every handout: a small raster picture.
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 1000
LOGO_FORMATS = frozenset({"PNG", "JPEG"})

ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "symbol", "use", "title", "desc", "style",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "textPath",
        "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
        "image",
    }
)  # fmt: skip

ATTRIBUTES = frozenset(
    {
        "id", "class", "style", "transform", "role", "aria-label", "aria-hidden", "lang",
        "viewBox", "preserveAspectRatio", "version", "width", "height", "overflow",
        "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr",
        "d", "points", "pathLength", "dx", "dy", "rotate", "textLength", "lengthAdjust", "startOffset",
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
        "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity",
        "color", "display", "visibility", "vector-effect", "paint-order", "shape-rendering",
        "clip-path", "clip-rule", "mask", "marker-start", "marker-mid", "marker-end",
        "font-family", "font-size", "font-weight", "font-style", "font-variant", "text-anchor",
        "dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing",
        "text-decoration", "text-rendering", "writing-mode", "direction", "image-rendering",
        "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod",
        "patternUnits", "patternContentUnits", "patternTransform", "clipPathUnits",
        "maskUnits", "maskContentUnits", "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "orient",
    }
)  # fmt: skip

# An <image> may only carry an embedded raster picture; an embedded SVG would escape the rebuild.
_RASTER_DATA_URL = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*\Z")
_URL_FUNCTION = re.compile(r"url\s*\(", re.IGNORECASE)
_LOCAL_URL = re.compile(r"url\(\s*(['\"]?)#[\w.:-]+\1\s*\)", re.IGNORECASE)
_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*\Z")


class RefusedImage(ValueError):
    """The file is not a picture Stride accepts; the text says why, for the person uploading it."""


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str  # ".svg", ".png", ...: the kind the content is, whatever the name said
    content_type: str


def clean_image(content: bytes) -> CleanImage:
    """The picture to store in place of ``content``: a checked raster image as it came, or the
    rebuilt SVG. Raises ``RefusedImage`` with a message for the uploader."""
    if len(content) > MAX_BYTES:
        raise RefusedImage(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; use a smaller picture.")
    if not content.strip():
        raise RefusedImage("The file is empty.")
    raster = _raster(content)
    if raster is not None:
        return raster
    return CleanImage(content=sanitise_svg(content), extension=".svg", content_type="image/svg+xml")


def clean_logo(content: bytes) -> CleanImage:
    """The clinic's logo to store: a PNG or JPEG of at most ``LOGO_MAX_BYTES`` and
    ``LOGO_MAX_SIDE`` pixels a side, checked by Pillow. Raises ``RefusedImage``."""
    if len(content) > LOGO_MAX_BYTES:
        raise RefusedImage(f"The file is larger than {LOGO_MAX_BYTES // 1024} KB; use a smaller picture.")
    if not content.strip():
        raise RefusedImage("The file is empty.")
    try:
        raster = _raster(content, max_side=LOGO_MAX_SIDE)
    except RefusedImage as refused:
        if "pixels" in str(refused):
            raise
        raster = None
    if raster is None or raster.extension not in {RASTER_FORMATS[kind] for kind in LOGO_FORMATS}:
        raise RefusedImage("Use a PNG or JPEG picture.")
    return raster


def _raster(content: bytes, *, max_side: int = MAX_SIDE) -> CleanImage | None:
    # Pillow (some 2 MiB) is imported when a picture is first checked, not by every process
    # that loads the models.
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                kind, (width, height) = image.format, image.size
                image.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise RefusedImage(f"The picture is too large; use at most {max_side} × {max_side} pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    if kind not in RASTER_FORMATS:
        raise RefusedImage("Use a PNG, JPEG, WebP or SVG picture.")
    if width > max_side or height > max_side:
        raise RefusedImage(f"The picture is {width} × {height} pixels; use at most {max_side} × {max_side}.")
    extension = RASTER_FORMATS[kind]
    return CleanImage(content=content, extension=extension, content_type=Image.MIME[kind])


def sanitise_svg(content: bytes) -> bytes:
    """The drawing rebuilt from the allow-list; ``RefusedImage`` if it is not a usable SVG."""
    if len(content) > MAX_BYTES:
        raise RefusedImage(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; use a smaller picture.")
    try:
        root = fromstring(content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise RefusedImage(
            "The drawing declares XML entities, which are not accepted; save it again as a plain SVG."
        ) from None
    except (ElementTree.ParseError, ValueError):
        raise RefusedImage("Use a PNG, JPEG, WebP or SVG picture; this file is none of them.") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise RefusedImage("Use a PNG, JPEG, WebP or SVG picture; this file is none of them.")
    if sum(1 for _ in root.iter()) > MAX_ELEMENTS:
        raise RefusedImage(f"The drawing has more than {MAX_ELEMENTS} parts; simplify it or use a PNG.")
    for side in ("width", "height"):
        match = _LENGTH.match(root.get(side, ""))
        if match and float(match.group(1)) > MAX_SIDE:
            raise RefusedImage(f"The drawing's {side} is over {MAX_SIDE}; make it smaller.")
    clean = _copy(root)
    _drop_nested_uses(clean)
    # Unqualified names under a default namespace declaration: a plain <svg xmlns="..."> file.
    clean.set("xmlns", SVG_NS)
    return ElementTree.tostring(clean, encoding="utf-8", xml_declaration=False)


def _local_name(tag: str, namespace: str) -> str | None:
    prefix = f"{{{namespace}}}"
    return tag[len(prefix) :] if isinstance(tag, str) and tag.startswith(prefix) else None


def _safe_css(text: str) -> bool:
    """No at-rules (``@import``, ``@font-face``), no escapes that could spell them, and
    ``url(...)`` only to a fragment of the same drawing."""
    if "@" in text or "\\" in text or "<" in text:
        return False
    return len(_URL_FUNCTION.findall(text)) == len(_LOCAL_URL.findall(text))


def _copy(element: ElementTree.Element) -> ElementTree.Element | None:
    name = _local_name(element.tag, SVG_NS)
    if name not in ELEMENTS:
        return None
    clean = ElementTree.Element(name)
    for key, value in element.attrib.items():
        attribute = _attribute(name, key, value)
        if attribute:
            clean.set(*attribute)
    if name == "image" and "href" not in clean.attrib:
        return None
    if name == "style":
        text = element.text or ""
        clean.text = text if _safe_css(text) else ""
        return clean
    clean.text = element.text
    for child in element:
        copied = _copy(child)
        if copied is not None:
            copied.tail = child.tail
            clean.append(copied)
    return clean


def _attribute(element: str, key: str, value: str) -> tuple[str, str] | None:
    if key in ("href", f"{{{XLINK_NS}}}href"):
        value = value.strip()
        if value.startswith("#") or (element == "image" and _RASTER_DATA_URL.match(value)):
            return "href", value
        return None
    if key == f"{{{XML_NS}}}space":
        return key, value
    if key not in ATTRIBUTES or not _safe_css(value):
        return None
    return key, value


def _drop_nested_uses(root: ElementTree.Element) -> None:
    """Keep a ``<use>`` only when what it shows holds no ``<use>`` of its own: each use then
    draws a fixed part once, and a drawing cannot multiply itself (or itself within itself)."""
    holds_use = {
        element.get("id")
        for element in root.iter()
        if element.get("id") and any(inner.tag == "use" for inner in element.iter() if inner is not element)
    }
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == "use" and child.get("href", "#")[1:] in holds_use | {""}:
                parent.remove(child)
