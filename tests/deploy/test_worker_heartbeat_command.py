"""``manage.py worker_heartbeat``, the beat container's health check: the line /readyz/worker
answers, exit status 1 when no worker is consuming."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from clinic import health, heartbeat


def _run() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("worker_heartbeat", stdout=out)
    except SystemExit as stopped:
        return stopped.code, out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("seconds_ago", "exit_status", "expected"),
    [
        (None, 1, "worker: not consuming (no heartbeat yet)"),
        (300, 1, "worker: not consuming (last heartbeat 300 s ago)"),
        (121, 1, "worker: not consuming (last heartbeat 121 s ago)"),
        (119, 0, "worker: consuming (last heartbeat 119 s ago)"),
        (0, 0, "worker: consuming (last heartbeat 0 s ago)"),
    ],
)
def test_exit_status_and_line_follow_the_heartbeat(client, seconds_ago, exit_status, expected):
    now = timezone.now()
    if seconds_ago is not None:
        heartbeat.record(now=now - datetime.timedelta(seconds=seconds_ago))
    with time_machine.travel(now, tick=False):
        status, output = _run()
        worker = client.get("/readyz/worker")
    assert (status, output) == (exit_status, expected + "\n")
    # The same line as the monitor's endpoint.
    assert worker.content.decode() == expected


@pytest.mark.django_db
def test_fails_when_the_database_does_not_answer(monkeypatch):
    heartbeat.record()
    monkeypatch.setattr(health, "_database_answers", lambda: False)
    assert _run() == (1, "worker: unknown (the database does not answer)\n")
