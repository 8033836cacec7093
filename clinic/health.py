"""Health endpoints for the load balancer and the process supervisor.

``/healthz`` answers as soon as the process can serve a request: no database, no cache, no
session (a probe sends no cookie, so nothing is loaded). ``/readyz`` also checks what a
request needs: PostgreSQL (or SQLite) and the cache (Redis in production). Neither says
more than which dependency is down, and both are exempt from the HTTPS redirect, since
probes usually call the process directly over plain HTTP.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

PROBE_KEY = "readyz-probe"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


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


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    down = [name for name, answers in (("database", _database_answers), ("cache", _cache_answers)) if not answers()]
    if down:
        return HttpResponse("unavailable: " + ", ".join(down), content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")
