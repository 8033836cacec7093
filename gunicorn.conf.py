"""Gunicorn settings for production (``gunicorn -c gunicorn.conf.py clinic.wsgi``; gunicorn
also reads this file by itself when started from the repository root).

Every value can be set from the environment; the README's Configuration table lists them.
Sync workers, one request each at a time: put a buffering reverse proxy (nginx, a load
balancer) in front, so a slow client never holds a worker.
"""

import gc
import multiprocessing
import os

wsgi_app = "clinic.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:" + os.environ.get("PORT", "8000"))
# Gunicorn's own advice: two workers per core, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Longer than the slowest page (a PDF is rendered by the Celery worker, never in a request).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# The app is loaded once, in the master, and the workers are forked from it: a replaced worker
# serves within milliseconds and shares the loaded code's memory with the others. Loading it in
# each worker took a second or more of CPU per worker; under load all of them reached
# max_requests together and the site stopped for seconds while they loaded. A code change
# needs a restart of the master (HUP reloads the workers, not the code).
preload_app = True
# A worker is replaced after this many requests: a slow leak in a library cannot grow without
# bound. The wide jitter keeps workers that started together from being replaced together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 2
# The proxy's X-Forwarded-* headers are trusted from these addresses only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log on stdout: address, time, method, path (patient-link tokens redacted, no
# query string), status, bytes, milliseconds. Nothing from headers or the body.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms'
logger_class = "clinic.access_log.AccessLogger"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def when_ready(server):
    """The URL configuration (which imports every view) and the template engines are loaded
    in the master too, once: a worker replaced under load then serves its first request at
    once instead of spending its first second importing them while requests queue for it."""
    if not preload_app:
        return
    from django.template import engines
    from django.urls import get_resolver

    patterns = get_resolver().url_patterns
    engines.all()
    server.log.debug("Loaded %d URL patterns and the template engines before forking", len(patterns))


def pre_fork(server, worker):
    """Nothing the master opened while loading the app is handed to a worker: two processes
    talking over one database connection would mix their queries."""
    from django.db import connections

    connections.close_all()
    # What the master loaded is left out of the workers' garbage collections: a collection
    # walking it would write to every object and so copy every shared page into the worker.
    gc.freeze()
