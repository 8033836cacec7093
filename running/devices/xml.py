"""The XML formats' first line of defence: a hostile file (entities, a document type that
pulls in other files or expands without end) is refused before any parser sees it."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from running.devices.activity import DeviceFileError

NOT_XML = "This file could not be read: it is damaged or is not a {kind} file. Export it again from your watch's app."


def safe_tree(data: bytes, kind: str) -> Element:
    """The file's XML tree, or ``DeviceFileError``: no DTD, no entities, well-formed."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise DeviceFileError(
            f"This {kind} file contains XML features that are not allowed, so it was not read."
        ) from error
    except (ParseError, ValueError) as error:
        raise DeviceFileError(NOT_XML.format(kind=kind)) from error


def local_name(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
