"""Plumbing of the reliability tests: a private Redis server that a test may stop and start,
pointing the in-process Celery app at a broker, worker threads and worker processes.

The machine's shared Redis (``REDIS_URL``) is never stopped: other test runs use it.
"""

from __future__ import annotations

import contextlib
import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connection, connections

from clinic.celery import app

POLL_SECONDS = 0.05


def wait_for(condition: Callable[[], object], *, seconds: float = 30.0) -> bool:
    """Poll ``condition`` until it is true or ``seconds`` have passed; True when it became true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(POLL_SECONDS)
    return bool(condition())


class RedisServer:
    """A throwaway ``redis-server`` on a free port, without persistence: stopping it loses
    every message it held, as a crashed broker without an append-only file does."""

    def __init__(self) -> None:
        executable = shutil.which("redis-server")
        assert executable, "redis-server is needed for the broker-outage tests (apt-get install redis-server)"
        self.executable = executable
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self.answers, seconds=10), f"redis-server did not start on port {self.port}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.ConnectionError:
            return False


@contextlib.contextmanager
def private_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _forget_broker_connections() -> None:
    # The app caches its connection and producer pools; after the URL changes, publishing must
    # take them from kombu's per-URL pools again instead of using those of the previous broker.
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def celery_on(broker_url: str) -> Iterator[None]:
    """Publish to ``broker_url`` with eager mode off, as the web process does; restore after."""
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = broker_url, False
    _forget_broker_connections()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        _forget_broker_connections()


def _close_connections(**kwargs) -> None:
    connections.close_all()


@contextlib.contextmanager
def worker_thread(*, pool: str = "solo", concurrency: int = 1) -> Iterator[None]:
    """A worker consuming from the app's current broker inside this process (it shares the
    locmem e-mail outbox). Each task closes its database connections so that the test
    database can be flushed and dropped."""
    app.control.purge()
    task_postrun.connect(_close_connections, dispatch_uid="integration-worker-close-db")
    try:
        with start_worker(app, pool=pool, concurrency=concurrency, perform_ping_check=False, shutdown_timeout=15):
            yield
    finally:
        task_postrun.disconnect(dispatch_uid="integration-worker-close-db")


def drain(*, seconds: float = 30.0) -> None:
    """Wait until a solo worker thread has run everything published before this call.

    The queue is first in, first out and a solo worker runs one task at a time, so once a probe
    published now has run, so has every message published earlier. The probe asks for the
    message to a patient with id 0, which never exists: it sends nothing.
    """
    from clinic.outbox.tasks import send_patient_message

    probe_id = str(uuid.uuid4())
    ran = threading.Event()

    def seen(task_id=None, **kwargs):
        if task_id == probe_id:
            ran.set()

    task_postrun.connect(seen, weak=False, dispatch_uid=probe_id)
    try:
        send_patient_message.apply_async((0,), task_id=probe_id)
        assert ran.wait(seconds), "the worker did not reach the probe: it is not consuming"
    finally:
        task_postrun.disconnect(dispatch_uid=probe_id)


def shared_database_url() -> str:
    """The URL of the database this test run uses (``test_<name>`` under pytest-django)."""
    db = connection.settings_dict
    assert connection.vendor == "postgresql", "a worker process needs a database it can share: PostgreSQL"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """``celery -A clinic worker`` in its own process group, as production runs it: prefork,
    one child, on the given broker and the test database."""

    def __init__(
        self, *, broker_url: str, database_url: str, media_root: Path, log: Path, env: dict[str, str] | None = None
    ) -> None:
        env = {
            **os.environ,
            "REDIS_URL": broker_url,
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(media_root),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            **(env or {}),
        }
        self.log = log
        command = [sys.executable, "-m", "celery", "-A", "clinic", "worker", "--pool", "prefork", "--concurrency", "1"]
        command += ["--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel", "info"]
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def children(self) -> list[int]:
        """The pool's child processes (the ones that run tasks)."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill_child(self) -> int:
        """SIGKILL the process running the task; the worker's main process stays up."""
        children = self.children()
        assert len(children) == 1, f"expected one pool child, found {children}"
        os.kill(children[0], signal.SIGKILL)
        return children[0]

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool child), as a machine losing power does."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def pause(self) -> None:
        """SIGSTOP the whole worker: whatever task it is in stays where it is until ``resume``."""
        os.killpg(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.pid, signal.SIGCONT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


class BeatProcess:
    """``celery -A clinic beat`` in its own process group, as ``bin/process beat`` runs it, with
    its schedule file in ``schedule`` so that several beats never share one."""

    def __init__(self, *, broker_url: str, schedule: Path, log: Path, env: dict[str, str] | None = None) -> None:
        env = {**os.environ, "REDIS_URL": broker_url, "CELERY_TASK_ALWAYS_EAGER": "false", **(env or {})}
        self.log = log
        command = [sys.executable, "-m", "celery", "-A", "clinic", "beat", "--schedule", str(schedule)]
        command += ["--loglevel", "info"]
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def mail_folder_env(folder: Path) -> dict[str, str]:
    """The environment that makes a worker process write its e-mails into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return {"EMAIL_URL": f"filemail:///{folder.resolve()}"}


def mails_in(folder: Path) -> list[email.message.Message]:
    """Every e-mail Django's file backend wrote into ``folder``: it appends the messages of one
    connection to one file, each followed by a line of 79 dashes."""
    separator = b"\n" + b"-" * 79 + b"\n"
    found = []
    for path in sorted(folder.glob("*.log")) if folder.exists() else []:
        for chunk in path.read_bytes().split(separator):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk.strip(b"\n")))
    return found
