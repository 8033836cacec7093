"""Gunicorn's access log, kept minimal: method, path, status, size, time. No query string,
no referrer, no user agent, no headers, and the secret part of a patient's link (intake,
portal, reminder actions, calendar feed, password set) replaced by ``<token>``.

Addresses carry ids only, never patient details, but a link token opens a patient's
records: anyone reading the log must not be able to follow it. Any URL argument named in
``SECRET_ARGUMENTS`` is redacted, so a new kind of link is covered by naming its argument
``token``. A path no URL matches has every long segment redacted instead (a token with a
character cut off, say). The rule is ``clinic.log_redaction.redact_path``, which the
application's own log shares; gunicorn's error log gets the same filter.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from clinic.log_redaction import RedactPatientLinks, redact_path

# The atoms a format may use; any other (headers, cookies, environment, query) logs "-".
KEPT_ATOMS = ("h", "t", "m", "s", "B", "b", "T", "D", "M", "L", "p", "H")


class AccessLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        # "Error handling request /portal/<token>/...": gunicorn's error log names the path too.
        for handler in [*self.error_log.handlers, *self.access_log.handlers]:
            handler.addFilter(RedactPatientLinks())

    def atoms(self, resp, req, environ, request_time):
        every = super().atoms(resp, req, environ, request_time)
        kept = {name: every[name] for name in KEPT_ATOMS}
        path = redact_path(environ.get("PATH_INFO") or "/")
        kept["U"] = path
        kept["r"] = f"{every['m']} {path} {every['H']}"
        return kept
