"""/healthz answers without touching anything; /readyz says whether the database and the
cache answer and whether a worker is consuming; /readyz/worker answers 503 when none is; all skip
the HTTPS redirect that every other page gets."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from clinic import health, heartbeat


def test_healthz_answers_ok_without_a_query(client):
    # No django_db mark: any query, even one from a middleware, would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_answered_before_the_rest_of_the_middleware(client, monkeypatch):
    """Session, CSRF, messages, policy headers: nothing of a page's stack runs for the probe."""
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.middleware.csrf import CsrfViewMiddleware

    def fail(*args, **kwargs):
        raise AssertionError("a page's middleware ran for /healthz")

    monkeypatch.setattr(SessionMiddleware, "process_request", fail)
    monkeypatch.setattr(CsrfViewMiddleware, "process_view", fail)
    response = client.get("/healthz", HTTP_HOST="10.0.0.5")
    assert (response.status_code, response.content) == (200, b"ok")
    assert "no-store" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_answers_ok_when_database_and_cache_answer(client):
    heartbeat.record()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content.startswith(b"ok\nworker: consuming (last heartbeat ")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("seconds_ago", "status", "expected"),
    [
        (None, 503, b"worker: not consuming (no heartbeat yet)"),
        (300, 503, b"worker: not consuming (last heartbeat 300 s ago)"),
        (121, 503, b"worker: not consuming (last heartbeat 121 s ago)"),
        (119, 200, b"worker: consuming (last heartbeat 119 s ago)"),
    ],
)
def test_a_worker_not_consuming_is_reported_without_making_the_web_unready(client, seconds_ago, status, expected):
    now = timezone.now()
    if seconds_ago is not None:
        heartbeat.record(now=now - datetime.timedelta(seconds=seconds_ago))
    with time_machine.travel(now, tick=False):
        ready = client.get("/readyz")
        worker = client.get("/readyz/worker")
    assert ready.status_code == 200
    assert ready.content.splitlines()[1] == expected
    assert (worker.status_code, worker.content) == (status, expected)


@pytest.mark.django_db
def test_the_heartbeat_task_is_queued_by_beat_and_stamps_one_row(settings):
    from clinic.celery import app
    from clinic.models import WorkerHeartbeat
    from clinic.tasks import record_worker_heartbeat

    schedule = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    entry = schedule["clinic.tasks.record_worker_heartbeat"]
    assert entry["schedule"] == settings.WORKER_HEARTBEAT_EVERY_SECONDS
    assert entry["options"]["expires"] == settings.WORKER_HEARTBEAT_EVERY_SECONDS
    record_worker_heartbeat.delay()
    record_worker_heartbeat.delay()
    assert WorkerHeartbeat.objects.count() == 1
    assert heartbeat.seconds_since_last() < 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("_database_answers", b"unavailable: database\nworker: unknown (the database does not answer)"),
        ("_cache_answers", b"unavailable: cache\nworker: not consuming (no heartbeat yet)"),
    ],
)
def test_readyz_names_what_does_not_answer(client, monkeypatch, broken, expected):
    monkeypatch.setattr(health, broken, lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == expected


@pytest.mark.django_db
def test_readyz_logs_only_the_error_class_when_the_cache_fails(client, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise ConnectionError("redis://:secret-password@cache:6379/0 refused")

    monkeypatch.setattr(health.cache, "set", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "ConnectionError" in caplog.text
    assert "secret-password" not in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/readyz/worker"])
def test_probes_are_not_redirected_to_https(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    heartbeat.record()
    assert client.get(path).status_code == 200
    # Every other page still is.
    assert client.get("/accounts/login/").status_code == 301


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/readyz/worker"])
def test_probes_refuse_writes(client, path):
    assert client.post(path, data=b"\x00" * 10_000, content_type="application/json").status_code == 405
