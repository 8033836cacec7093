"""Gunicorn's access log: minimal fields, no query string, patient-link tokens redacted."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from clinic.access_log import AccessLogger, redact_path

TOKEN = "Yx3oV0f2mS9kq7WnZ4pQe1rT8uLc5bHaJd6gKi0sMvN.Ab12Cd34Ef56Gh78Ij90KlMnOp"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "/"),
        ("/patients/42/", "/patients/42/"),
        ("/episodes/7/intake/", "/episodes/7/intake/"),
        ("/schedule/", "/schedule/"),
        ("/static/clinic.3f2a9b8c1d2e.css", "/static/clinic.3f2a9b8c1d2e.css"),
        (f"/intake/{TOKEN}/", "/intake/<token>/"),
        (f"/intake/{TOKEN}/step/running/", "/intake/<token>/step/running/"),
        (f"/intake/{TOKEN}/done/", "/intake/<token>/done/"),
        (f"/portal/{TOKEN}/programs/3/home-program.pdf", "/portal/<token>/programs/3/home-program.pdf"),
        (f"/visit/confirm/{TOKEN}/", "/visit/confirm/<token>/"),
        (f"/visit/cancel/{TOKEN}/", "/visit/cancel/<token>/"),
        (f"/reminders/stop/{TOKEN}/", "/reminders/stop/<token>/"),
        (f"/calendar/{TOKEN}.ics", "/calendar/<token>.ics"),
        (
            "/accounts/password/set/MTI/cbk9x1-0123456789abcdef0123456789abcdef/",
            "/accounts/password/set/<token>/<token>/",
        ),
        # No URL matches (the trailing slash is missing): long segments go anyway.
        (f"/intake/{TOKEN}", "/intake/<token>"),
        (f"/nowhere/{TOKEN}/x", "/nowhere/<token>/x"),
    ],
)
def test_redact_path(path, expected):
    assert redact_path(path) == expected


def test_access_log_line_has_no_query_referrer_or_cookie():
    config = Config()
    config.set("access_log_format", '%(h)s "%(r)s" %(s)s %(q)s %(f)s %({cookie}i)s %(a)s')
    logger = AccessLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/intake/{TOKEN}/step/about/?name=Sam",
        "PATH_INFO": f"/intake/{TOKEN}/step/about/",
        "QUERY_STRING": "name=Sam",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://clinic.example.com/intake/{TOKEN}/",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = SimpleNamespace(headers=[("COOKIE", "sessionid=abc")])
    atoms = logger.atoms(response, request, environ, datetime.timedelta(milliseconds=12))
    line = config.access_log_format % logger.atoms_wrapper_class(atoms)
    assert line == '127.0.0.1 "GET /intake/<token>/step/about/ HTTP/1.1" 200 - - - -'
