"""Gunicorn's access log, kept minimal: method, path, status, size, time. No query string,
no referrer, no user agent, no headers, and the secret part of a patient's link (intake,
portal, reminder actions, calendar feed, password set) replaced by ``<token>``.

Addresses carry ids only, never patient details, but a link token opens a patient's
records: anyone reading the log must not be able to follow it. Any URL argument named in
``SECRET_ARGUMENTS`` is redacted, so a new kind of link is covered by naming its argument
``token``. A path no URL matches has every long segment redacted instead (a token with a
character cut off, say).
"""

from __future__ import annotations

from django.urls import Resolver404, resolve
from gunicorn.glogging import Logger

SECRET_ARGUMENTS = frozenset({"token", "uidb64"})
# Our own segments (ids, slugs, hashed static file names) are shorter than any token.
LONG_SEGMENT = 32
REDACTED = "<token>"


def redact_path(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return "/".join(REDACTED if len(segment) >= LONG_SEGMENT else segment for segment in path.split("/"))
    for name, value in match.kwargs.items():
        if name in SECRET_ARGUMENTS and value:
            path = path.replace(str(value), REDACTED)
    return path


# The atoms a format may use; any other (headers, cookies, environment, query) logs "-".
KEPT_ATOMS = ("h", "t", "m", "s", "B", "b", "T", "D", "M", "L", "p", "H")


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        every = super().atoms(resp, req, environ, request_time)
        kept = {name: every[name] for name in KEPT_ATOMS}
        path = redact_path(environ.get("PATH_INFO") or "/")
        kept["U"] = path
        kept["r"] = f"{every['m']} {path} {every['H']}"
        return kept
