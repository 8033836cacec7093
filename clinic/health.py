"""Health endpoints for the load balancer and the process supervisor.

``/healthz`` answers as soon as the process can serve a request: no database, no cache, no
session (a probe sends no cookie, so nothing is loaded). ``/readyz`` also checks what a
request needs: PostgreSQL (or SQLite) and the cache (Redis in production), and reports on a
second line whether background work is being consumed (the worker's heartbeat). A stopped
worker does not make a web process unready, since pages still work and their messages wait in
the outbox; ``/readyz/worker`` answers 503 for it, for the monitor. None says more than which
part is down, and all are exempt from the HTTPS redirect, since probes usually call the process
directly over plain HTTP.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from clinic import heartbeat

logger = logging.getLogger(__name__)

PROBE_KEY = "readyz-probe"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


class LivenessProbeMiddleware:
    """Answers ``/healthz`` first, before the rest of the stack: the probe asks only whether the
    process serves requests, and the policy headers, session, CSRF, messages, user, audit and
    time zone of a page (four fifths of its cost) tell it nothing, and a probe calling the
    process by its own address need not be in ALLOWED_HOSTS. The view is the one the URL names,
    so its answer and its refusal of anything but GET and HEAD stay the same."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    # Any driver error means "not ready". Only its class is logged: a message can hold the
    # connection string.
    except Exception as error:
        logger.warning("readyz: the database does not answer (%s)", type(error).__name__)
        return False


def _cache_answers() -> bool:
    try:
        cache.set(PROBE_KEY, "1", timeout=10)
        return cache.get(PROBE_KEY) == "1"
    except Exception as error:
        logger.warning("readyz: the cache does not answer (%s)", type(error).__name__)
        return False


def _worker_state(database_answers: bool) -> tuple[bool, str]:
    if not database_answers:
        return False, "worker: unknown (the database does not answer)"
    seconds = heartbeat.seconds_since_last()
    if seconds is None:
        return False, "worker: not consuming (no heartbeat yet)"
    if not heartbeat.is_consuming(seconds):
        return False, f"worker: not consuming (last heartbeat {seconds:.0f} s ago)"
    return True, f"worker: consuming (last heartbeat {seconds:.0f} s ago)"


def worker_report() -> tuple[bool, str]:
    """Whether a worker is consuming, and the line saying so: ``/readyz/worker`` and
    ``manage.py worker_heartbeat`` (the beat container's health check) both answer with it."""
    return _worker_state(_database_answers())


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    database = _database_answers()
    down = [name for name, answers in (("database", database), ("cache", _cache_answers())) if not answers]
    _, worker = _worker_state(database)
    if down:
        return HttpResponse(f"unavailable: {', '.join(down)}\n{worker}", content_type="text/plain", status=503)
    return HttpResponse(f"ok\n{worker}", content_type="text/plain")


@never_cache
@require_safe
def worker_readyz(request: HttpRequest) -> HttpResponse:
    consuming, worker = worker_report()
    return HttpResponse(worker, content_type="text/plain", status=200 if consuming else 503)
