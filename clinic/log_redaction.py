"""No patient-link token in any log, and no database error detail either.

A patient's link token (intake, portal, reminder actions, calendar feed, password set) opens
their records: anyone reading a log must not be able to follow it. ``redact_path`` is the one
rule, shared by gunicorn's access log (``clinic/access_log.py``) and the ``RedactPatientLinks``
filter that ``settings.LOGGING`` puts on every handler, that gunicorn's own handlers get in
``AccessLogger.setup`` and that Celery's handlers get when the worker sets up its logging
(``clinic/celery.py``). The filter rewrites each record before any formatter sees it: the
message with its arguments, the traceback, the stack and the ``request`` that Django's loggers
attach.

Tracebacks are written as Python writes them (no local variables), except that a database
error shows its class, SQLSTATE and the names of the constraint, table and column involved,
not its message: PostgreSQL's message quotes the values it refused ("Failing row contains
(...)", "JSON data, line 1: ..."), which are a patient's answers.

Django's error report (the technical 500 page, an e-mail to ADMINS) shows local variables, the
request's body, query, cookies and headers: with DEBUG off, ``PhiFreeExceptionReporterFilter``
and ``PhiFreeExceptionReporter`` (settings ``DEFAULT_EXCEPTION_REPORTER_FILTER`` and
``DEFAULT_EXCEPTION_REPORTER``) withhold all of them. LOGGING attaches no e-mail handler.
"""

from __future__ import annotations

import logging
import re
import traceback

from django.urls import Resolver404, resolve
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

SECRET_ARGUMENTS = frozenset({"token", "uidb64"})
# Our own segments (ids, slugs, hashed static file names) are shorter than any token.
LONG_SEGMENT = 32
REDACTED = "<token>"
# A run of text that may be a path: from a slash up to whitespace, a quote, a bracket or the
# start of a query string (whose values are searched for paths of their own).
_PATH = re.compile(r"/[^\s'\"<>()\[\]{},;?#]*")


def _long_segments_redacted(path: str) -> str:
    return "/".join(REDACTED if len(segment) >= LONG_SEGMENT else segment for segment in path.split("/"))


def redact_path(path: str) -> str:
    """The path with the secret arguments of the URL it names replaced by ``<token>``; a path
    no URL matches has every long segment replaced instead (a token with a character cut off)."""
    try:
        match = resolve(path)
    except Resolver404:
        return _long_segments_redacted(path)
    except Exception:  # a URLconf not loaded yet (a record logged while starting)
        return _long_segments_redacted(path)
    for name, value in match.kwargs.items():
        if name in SECRET_ARGUMENTS and value:
            path = path.replace(str(value), REDACTED)
    return path


def redact_text(text: str) -> str:
    """Every path in a free text (a message, a traceback, a full address) redacted."""
    return _PATH.sub(lambda found: redact_path(found.group(0)), text)


def _database_error_types() -> tuple[type[BaseException], ...]:
    from django.db import Error as DjangoDatabaseError

    types: list[type[BaseException]] = [DjangoDatabaseError]
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a requirement; SQLite runs need no driver
        pass
    else:
        types.append(psycopg.Error)
    import sqlite3

    types.append(sqlite3.Error)
    return tuple(types)


def _database_error_summary(error: BaseException) -> str:
    """What a database error may say in a log: no values, only names."""
    cause = error.__cause__ if error.__cause__ is not None else error
    parts = []
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        parts.append(f"SQLSTATE {sqlstate}")
    diag = getattr(cause, "diag", None)
    for label in ("constraint_name", "table_name", "column_name"):
        name = getattr(diag, label, None) if diag is not None else None
        if name:
            parts.append(f"{label.replace('_', ' ')} {name}")
    return "; ".join(parts) or "(message withheld: it may quote the values refused)"


class _SafeTracebackException(traceback.TracebackException):
    """A traceback as Python prints it, with each database error's message replaced by its
    summary. (``_str`` is where ``TracebackException`` keeps the message it prints.)"""

    def __init__(self, exc_type, exc_value, exc_traceback, **kwargs):
        super().__init__(exc_type, exc_value, exc_traceback, **kwargs)
        database_errors = _database_error_types()
        seen = set()
        pending = [(self, exc_value)]
        while pending:
            node, value = pending.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(value, database_errors):
                node._str = _database_error_summary(value)
            if value is not None:
                pending.append((node.__cause__, value.__cause__))
                pending.append((node.__context__, value.__context__))


def format_exception(exc_info) -> str:
    exc_type, exc_value, exc_traceback = exc_info
    return "".join(_SafeTracebackException(exc_type, exc_value, exc_traceback).format()).rstrip("\n")


class _RedactedRequest:
    """A request as a log record carries it: the real one for everything but its address,
    which is shown with the patient-link token redacted."""

    def __init__(self, request) -> None:
        self._request = request

    def __getattr__(self, name):
        return getattr(self._request, name)

    @property
    def path(self) -> str:
        return redact_path(self._request.path)

    @property
    def path_info(self) -> str:
        return redact_path(self._request.path_info)

    @property
    def META(self) -> dict:
        meta = self._request.META
        return {key: redact_text(value) if isinstance(value, str) else value for key, value in meta.items()}

    def get_full_path(self, *args, **kwargs) -> str:
        return redact_text(self._request.get_full_path(*args, **kwargs))

    def get_full_path_info(self, *args, **kwargs) -> str:
        return redact_text(self._request.get_full_path_info(*args, **kwargs))

    def build_absolute_uri(self, *args, **kwargs) -> str:
        return redact_text(self._request.build_absolute_uri(*args, **kwargs))

    def __repr__(self) -> str:
        return f"<{type(self._request).__name__}: {self._request.method} {self.get_full_path()!r}>"

    __str__ = __repr__


class RedactPatientLinks(logging.Filter):
    """Put on a handler, rewrites every record it handles; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit: the handler would print them raw
            message = f"{record.msg} (the arguments did not fit this message and are not shown)"
        record.msg, record.args = redact_text(str(message)), ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact_text(format_exception(record.exc_info))
            # Formatters print exc_text; no later handler can render the raw exception again.
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "get_full_path") and not isinstance(request, _RedactedRequest):
            record.request = _RedactedRequest(request)
        return True


def every_handler() -> list[logging.Handler]:
    loggers = [logging.getLogger()]
    loggers += [each for each in logging.root.manager.loggerDict.values() if isinstance(each, logging.Logger)]
    handlers: list[logging.Handler] = []
    for each in loggers:
        handlers += [handler for handler in each.handlers if handler not in handlers]
    return handlers


def protect_every_handler() -> None:
    """Put the filter on every handler of every logger that does not have it yet: for the
    handlers a library sets up itself (Celery's worker, gunicorn)."""
    for handler in every_handler():
        if not any(isinstance(each, RedactPatientLinks) for each in handler.filters):
            handler.addFilter(RedactPatientLinks())


def _database_error(error: BaseException | None) -> bool:
    return error is not None and isinstance(error, _database_error_types())


class PhiFreeExceptionReporterFilter(SafeExceptionReporterFilter):
    """With DEBUG off, an error report withholds every local variable, posted value, cookie and
    header (Django's own filter hides only those whose names look secret)."""

    SHOWN_META = frozenset({"REQUEST_METHOD", "CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_PROTOCOL"})

    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_safe_request_meta(self, request):
        if not self.is_active(request):
            return super().get_safe_request_meta(request)
        return {
            key: (
                value
                if key in self.SHOWN_META
                else redact_path(value)
                if key == "PATH_INFO"
                else self.cleansed_substitute
            )
            for key, value in request.META.items()
        }

    def get_safe_cookies(self, request):
        if not self.is_active(request):
            return super().get_safe_cookies(request)
        return dict.fromkeys(request.COOKIES, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]


class PhiFreeExceptionReporter(ExceptionReporter):
    """With DEBUG off, an error report shows no query, file name or address with a token, and a
    database error's names instead of the values its message quotes."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if not self.filter.is_active(self.request):
            return data
        data["unicode_hint"] = ""
        if self.request is not None:
            data["request"] = _RedactedRequest(self.request)
            data["request_GET_items"] = [(key, self.filter.cleansed_substitute) for key in self.request.GET]
            data["request_FILES_items"] = [(key, self.filter.cleansed_substitute) for key in self.request.FILES]
            data["request_insecure_uri"] = redact_text(data["request_insecure_uri"].partition("?")[0])
        if _database_error(self.exc_value):
            data["exception_value"] = _database_error_summary(self.exc_value)
        for frame in data["frames"]:
            if _database_error(frame.get("exc_cause")):
                frame["exc_cause"] = _database_error_summary(frame["exc_cause"])
        return data
