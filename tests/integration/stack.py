"""The production processes of one machine under supervisord, as ``bin/production`` runs them
(``deploy/supervisord.conf``, each program through ``bin/process``), on a private Redis and the
test database, for tests that kill processes and the broker.

The sweep intervals and thresholds are short here (a few seconds instead of a minute or two),
so that a test can wait for recovery; ``env`` overrides them, as the bench ``bench/recovery.py``
does to measure the production values.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import requests
from django.conf import settings

from tests.integration.broker import RedisServer, celery_on, private_redis, shared_database_url, wait_for

# Short versions of the production intervals; recovery is bounded by requeue + dispatch interval.
FAST_RECOVERY = {
    "OUTBOX_DISPATCH_EVERY_SECONDS": "1",
    "OUTBOX_REQUEUE_AFTER_SECONDS": "8",
    "OUTBOX_INTERRUPTED_AFTER_SECONDS": "8",
    "HANDOUT_SWEEP_EVERY_SECONDS": "1",
    "HANDOUT_REQUEUE_AFTER_SECONDS": "8",
    "WORKER_HEARTBEAT_EVERY_SECONDS": "1",
    "WORKER_STALE_AFTER_SECONDS": "5",
}
STARTUP_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    """supervisord running the named programs; ``pid(name)`` and ``kill(name)`` act on one."""

    def __init__(self, *, programs: set[str], broker_url: str, folder: Path, env: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.port = _free_port()
        self.sms = folder / "sms"
        self.log = folder / "stack.log"
        var = folder / "var"
        var.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_hex(32),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": shared_database_url(),
            "REDIS_URL": broker_url,
            "VAR_DIR": str(var),
            "MEDIA_ROOT": str(folder / "media"),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_CONCURRENCY": "2",
            "WEB_CONCURRENCY": "1",
            "PORT": str(self.port),
            "SMS_BACKEND": "tests.integration.slow_sms.SlowFileSms",
            "SLOW_SMS_DIR": str(self.sms),
            "RUN_WEB": str("web" in programs).lower(),
            "RUN_WORKER": str("worker" in programs).lower(),
            "RUN_BEAT": str("beat" in programs).lower(),
            **FAST_RECOVERY,
            **(env or {}),
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.supervisorctl = [sys.executable, "-m", "supervisor.supervisorctl", "-c", "deploy/supervisord.conf"]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "supervisor.supervisord", "-c", "deploy/supervisord.conf"],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        for name in programs:
            assert wait_for(lambda name=name: self.pid(name), seconds=STARTUP_SECONDS), self.output()

    def pid(self, name: str) -> int | None:
        """The program's process id while supervisord reports it running, else None."""
        result = subprocess.run(
            [*self.supervisorctl, "pid", name], cwd=settings.BASE_DIR, env=self.env, capture_output=True, text=True
        )
        text = result.stdout.strip()
        return int(text) if text.isdigit() and text != "0" else None

    def kill(self, name: str) -> int:
        """SIGKILL the program's whole process group (a worker's pool children too), as a crash."""
        pid = self.pid(name)
        assert pid, f"{name} is not running"
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        return pid

    def control(self, action: str, name: str) -> None:
        """``supervisorctl start|stop name``, as an operator does: stop is a warm shutdown."""
        result = subprocess.run(
            [*self.supervisorctl, action, name], cwd=settings.BASE_DIR, env=self.env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def get(self, path: str) -> requests.Response | None:
        try:
            return requests.get(f"http://127.0.0.1:{self.port}{path}", timeout=2)
        except requests.RequestException:
            return None

    def sms_recipients(self) -> list[str]:
        """Who was sent a text message, once per message."""
        if not self.sms.exists():
            return []
        return sorted(path.read_text().splitlines()[0].removeprefix("To: ") for path in self.sms.glob("*.txt"))

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@contextlib.contextmanager
def supervised(
    *, programs: set[str], folder: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[RedisServer, Stack]]:
    """The stack on a private Redis, with this process publishing to it as the web does."""
    with private_redis() as redis, celery_on(redis.url):
        stack = Stack(programs=programs, broker_url=redis.url, folder=folder, env=env)
        try:
            yield redis, stack
        finally:
            stack.stop()
