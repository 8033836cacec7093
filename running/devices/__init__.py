"""Runners' own device files (DOMAIN B11): what each format says, read by a maintained parser.

``parse(kind, data)`` reads a FIT, GPX or TCX file's bytes into one ``ParsedActivity``; the
formats' own quirks stay in ``fit``, ``gpx`` and ``tcx``, and what the product makes of an
activity (distance, moving time, the day it counts towards) is in ``metrics``. Nothing here
touches the database.
"""

from __future__ import annotations

import importlib

from running.devices.activity import MAX_POINTS, DeviceFileError, FileKind, ParsedActivity, Point, sniff

UNREADABLE = (
    "This {kind} file could not be read: it is damaged or not a file of a run. Export it again from your watch's app."
)


def parse(kind: str, data: bytes) -> ParsedActivity:
    """The activity in ``data``, a file of ``kind``; ``DeviceFileError`` (a message for the
    runner) for anything that is not a readable activity of that kind."""
    try:
        # Each format's module (with its parser library, fitdecode or gpxpy) is imported when a
        # file of that kind is first read: the web processes, which only store uploads, never are.
        return importlib.import_module(f"running.devices.{FileKind(kind).value}").parse(data)
    except DeviceFileError:
        raise
    except Exception as error:
        # A hostile or damaged file can make a third-party parser fail in any way it likes (an
        # index, a struct, a recursion error); every such failure is a file we cannot read.
        raise DeviceFileError(UNREADABLE.format(kind=kind.upper())) from error


__all__ = ["MAX_POINTS", "DeviceFileError", "FileKind", "ParsedActivity", "Point", "parse", "sniff"]
