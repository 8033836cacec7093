"""No patient-link token in any log line: Django's request and security loggers, tracebacks,
the ``request`` a record carries, gunicorn's error log and Celery's worker log all go through
the one filter that writes ``<token>``; database errors and error reports hold no patient data."""

from __future__ import annotations

import io
import logging
import os
import sys

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from gunicorn.config import Config

from clinic.access_log import AccessLogger
from clinic.celery import app as celery_app
from clinic.log_redaction import (
    PhiFreeExceptionReporter,
    RedactPatientLinks,
    every_handler,
    format_exception,
    redact_text,
)
from tests.intake.helpers import send_invitation, token_of

pytestmark = pytest.mark.django_db

# Kept away from the lines a traceback quotes, so only a leak can put them in one.
HISTORY = "Fell at the marathon"
SEARCH = "?q=Robin+Runner"
ANSWERS = '{"pain_story": "fell at the marathon\\u0000"}'
FORGED = "Yx3oV0f2mS9kq7WnZ4pQe1rT8uLc5bHaJd6gKi0sMvN.Ab12Cd34Ef56Gh78Ij90KlMnOp"
PATIENT_LINKS = [
    f"/portal/{FORGED}/",
    f"/portal/{FORGED}/programs/3/log/",
    f"/intake/{FORGED}/step/about/",
    f"/visit/confirm/{FORGED}/",
    f"/visit/cancel/{FORGED}/",
    f"/reminders/stop/{FORGED}/",
    f"/calendar/{FORGED}.ics",
]


def _ours(handler: logging.Handler) -> bool:
    # pytest's own capturing handlers sit on the root logger while a test runs; a library's
    # NullHandler writes nothing.
    return not type(handler).__module__.startswith("_pytest") and not isinstance(handler, logging.NullHandler)


@pytest.fixture
def log_output():
    """What the configured handlers write, read back as text."""
    buffer = io.StringIO()
    streams = [handler for handler in every_handler() if _ours(handler) and isinstance(handler, logging.StreamHandler)]
    previous = [handler.setStream(buffer) for handler in streams]
    assert streams
    yield buffer
    for handler, stream in zip(streams, previous, strict=True):
        handler.setStream(stream)


def test_every_configured_handler_redacts():
    handlers = [handler for handler in every_handler() if _ours(handler)]
    assert handlers
    for handler in handlers:
        assert any(isinstance(each, RedactPatientLinks) for each in handler.filters), handler


def test_no_handler_mails_error_reports():
    from django.utils.log import AdminEmailHandler

    assert not any(isinstance(handler, AdminEmailHandler) for handler in every_handler())


@pytest.mark.parametrize("path", PATIENT_LINKS)
def test_a_404_on_a_patient_link_logs_no_token(client, log_output, path):
    response = client.get(path)
    assert response.status_code == 404
    written = log_output.getvalue()
    assert "Not Found" in written
    assert "<token>" in written
    assert FORGED not in written


def test_a_path_no_route_matches_logs_no_token(client, log_output):
    assert client.get(f"/portal/{FORGED}/nowhere/").status_code == 404
    written = log_output.getvalue()
    assert "/portal/<token>/nowhere/" in written
    assert FORGED not in written


def test_a_500_on_a_patient_link_logs_no_token_in_message_or_traceback(episode, front_desk, log_output, monkeypatch):
    link = send_invitation(episode, actor=front_desk)
    token = token_of(link)

    def broken(**kwargs):
        raise RuntimeError(f"could not open {link} (token {link})")

    monkeypatch.setattr("intake.services.intake_opened", broken)
    response = Client(raise_request_exception=False).get(link)
    assert response.status_code == 500
    written = log_output.getvalue()
    assert "Internal Server Error: /intake/<token>/" in written
    assert "RuntimeError: could not open /intake/<token>/" in written
    assert "Traceback" in written
    assert token not in written
    assert token.split(".")[0] not in written


def test_a_csrf_failure_on_a_patient_link_logs_no_token(episode, front_desk, log_output):
    link = send_invitation(episode, actor=front_desk)
    token = token_of(link)
    response = Client(enforce_csrf_checks=True).post(f"{link}step/about/", {"email": "x@example.test"})
    assert response.status_code == 403
    written = log_output.getvalue()
    assert "Forbidden (CSRF cookie not set.): /intake/<token>/step/about/" in written
    assert token not in written


def test_a_bad_host_on_a_patient_link_logs_no_token(client, log_output):
    response = client.get(f"/portal/{FORGED}/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    written = log_output.getvalue()
    assert "Invalid HTTP_HOST header" in written
    assert FORGED not in written


def test_the_request_a_record_carries_shows_no_token(rf):
    request = rf.post(f"/intake/{FORGED}/step/about/?next=/portal/{FORGED}/")
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "%s", ("x",), None)
    record.request = request
    RedactPatientLinks().filter(record)
    shown = logging.Formatter("%(message)s %(request)s").format(record)
    assert shown == "x <WSGIRequest: POST '/intake/<token>/step/about/?next=/portal/<token>/'>"
    assert record.request.path == "/intake/<token>/step/about/"
    assert FORGED not in record.request.build_absolute_uri()
    assert FORGED not in record.request.META["PATH_INFO"]
    # The real request is untouched: the view that is still running needs its token.
    assert FORGED in request.path


def test_a_message_whose_arguments_do_not_fit_is_still_redacted():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "%s and %s", (f"/portal/{FORGED}/",), None)
    RedactPatientLinks().filter(record)
    assert FORGED not in record.getMessage()


def test_free_text_paths_and_full_addresses_are_redacted():
    text = f"GET https://clinic.example.com/portal/{FORGED}/programs/3/ from /patients/42/ ok"
    assert redact_text(text) == "GET https://clinic.example.com/portal/<token>/programs/3/ from /patients/42/ ok"


def test_gunicorns_error_log_redacts():
    logger = AccessLogger(Config())
    buffer = io.StringIO()
    for handler in logger.error_log.handlers:
        handler.setStream(buffer)
    logger.error("Error handling request %s", f"/intake/{FORGED}/step/about/")
    assert "Error handling request /intake/<token>/step/about/" in buffer.getvalue()
    assert FORGED not in buffer.getvalue()


@pytest.fixture
def celery_logging_restored():
    """Celery's set-up replaces the root logger's handlers: put them back afterwards."""
    loggers = [
        logging.getLogger(),
        *(logging.getLogger(name) for name in ("celery", "celery.task", "celery.redirected")),
    ]
    saved = [(each, list(each.handlers), each.level) for each in loggers]
    environment = dict(os.environ)
    stdout, stderr = sys.stdout, sys.stderr
    yield
    for each, handlers, level in saved:
        each.handlers = handlers
        each.setLevel(level)
    os.environ.clear()
    os.environ.update(environment)
    sys.stdout, sys.stderr = stdout, stderr
    celery_app.log.already_setup = False


def test_celerys_worker_handlers_redact(celery_logging_restored):
    celery_app.log.already_setup = False
    celery_app.log.setup(loglevel="INFO", redirect_stdouts=False)
    root = logging.getLogger()
    assert root.handlers
    for handler in {*root.handlers, *logging.getLogger("celery.task").handlers}:
        assert any(isinstance(each, RedactPatientLinks) for each in handler.filters), handler
    buffer = io.StringIO()
    for handler in root.handlers:
        handler.setStream(buffer)
    logging.getLogger("clinic.tasks").warning("sent %s", f"https://clinic.example.com/intake/{FORGED}/")
    assert "/intake/<token>/" in buffer.getvalue()
    assert FORGED not in buffer.getvalue()


@pytest.mark.postgres
def test_a_database_error_in_a_traceback_does_not_quote_the_values():
    from django.db import DataError

    with pytest.raises(DataError) as raised, connection.cursor() as cursor:
        cursor.execute("SELECT %s::jsonb", [ANSWERS])
    written = format_exception((raised.type, raised.value, raised.tb))
    assert "DataError" in written
    assert "SQLSTATE" in written
    assert "marathon" not in written


def test_an_error_report_shows_no_local_variable_posted_value_or_query(settings):
    settings.DEBUG = False
    request = RequestFactory().post(f"/intake/{FORGED}/step/history/{SEARCH}", {"history_notes": HISTORY})
    request.COOKIES["sessionid"] = "a-session-id"

    def failing(history_notes):
        raise ValueError("broken")

    try:
        failing(HISTORY)
    except ValueError:
        report = PhiFreeExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert "ValueError" in report
    assert "history_notes" in report
    for secret in (HISTORY, "Robin", FORGED, "a-session-id"):
        assert secret not in report


def test_a_refused_request_logs_one_line_without_a_traceback(client, front_desk, log_output):
    client.force_login(front_desk, backend="clinic.backends.StaffBackend")

    assert client.get("/staff/").status_code == 403

    written = log_output.getvalue()
    assert "Forbidden (Permission denied): /staff/" in written
    assert "Traceback" not in written
    assert written.count("\n") == 1
