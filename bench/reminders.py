"""Benchmark: due reminders sent per second by a real Celery worker on Redis, against the
throughput of a no-op task on the same worker.

Run by hand from the repository root (it is not part of the test suite), with PostgreSQL
answering and ``redis-server`` installed:

    .venv/bin/python bench/reminders.py                       # 10,000 reminders, 2 worker processes
    .venv/bin/python bench/reminders.py --reminders 2000 --concurrency 4 \\
        --postgres postgres://postgres@127.0.0.1:5432

It creates (and at the end drops) the PostgreSQL database ``clinic_bench`` on the ``--postgres``
server, migrates it and bulk-inserts ``--reminders`` booked visits, each with one reminder that is
due now; starts a private ``redis-server`` on a free port (no persistence, stopped at the end) and
``celery -A clinic worker`` (prefork, ``--concurrency`` processes, the project's Celery settings:
late acknowledgement, prefetch 1) with e-mail going to Django's in-memory (locmem) backend.

It then times, from the first publish to the last acknowledgement:
  1. as many no-op tasks (Celery's built-in ``celery.accumulate``), published from this process;
  2. the reminders: the outbox's ``dispatch.dispatch_due()`` called until nothing is due (what
     beat's ``dispatch_patient_messages`` does once a minute, 500 rows a call), the worker
     running each ``send_patient_message``, until every row is sent;
  3. the no-op tasks again;
and prints reminders per second, no-op tasks per second and their ratio, and checks that each
reminder was sent exactly once (one attempt per row).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
DATABASE = "clinic_bench"
VISITS_PER_CLINICIAN = 500


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"Gave up waiting for {what} after {seconds:.0f} s")
        time.sleep(0.05)


def _recreate_database(server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')


def _drop_database(server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def _due_reminders(count: int) -> None:
    """``count`` booked visits in the coming weeks, each owing one reminder due a minute ago."""
    from django.utils import timezone

    from clinic.models import Clinic, EpisodeOfCare, Patient, User
    from clinic.outbox.models import MessageKind, PatientMessage
    from clinic.scheduling.models import Appointment

    # No quiet hours: the bench measures sending, whatever the time of day it runs at.
    clinic = Clinic.objects.create(
        name="Bench Running Clinic",
        time_zone="America/Chicago",
        phone="+13125550100",
        quiet_hours_start=datetime.time(0),
        quiet_hours_end=datetime.time(0),
    )
    clinicians = User.objects.bulk_create(
        User(email=f"clinician{n}@bench.example.test", full_name=f"Clinician {n}", clinic=clinic)
        for n in range(-(-count // VISITS_PER_CLINICIAN))
    )
    patients = Patient.objects.bulk_create(
        Patient(
            clinic=clinic,
            first_name="Runner",
            last_name=f"Number {n}",
            date_of_birth=datetime.date(1990, 1, 1),
            sex="female",
            email=f"runner{n}@bench.example.test",
            contact_consent=True,
        )
        for n in range(count)
    )
    episodes = EpisodeOfCare.objects.bulk_create(
        EpisodeOfCare(
            patient=patient,
            presenting_complaint="Hip pain after long runs",
            lead_clinician=clinicians[n // VISITS_PER_CLINICIAN],
        )
        for n, patient in enumerate(patients)
    )
    start = (timezone.now() + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    visits = Appointment.objects.bulk_create(
        Appointment(
            episode=episode,
            clinician=episode.lead_clinician,
            starts_at=start + datetime.timedelta(hours=n % VISITS_PER_CLINICIAN),
            ends_at=start + datetime.timedelta(hours=n % VISITS_PER_CLINICIAN, minutes=45),
            sequence=1,
            notified_sequence=1,
        )
        for n, episode in enumerate(episodes)
    )
    due = timezone.now() - datetime.timedelta(minutes=1)
    PatientMessage.objects.bulk_create(
        PatientMessage(
            patient_id=visit.episode.patient_id,
            episode=visit.episode,
            kind=MessageKind.SECOND,
            subject_id=visit.pk,
            due_at=due,
        )
        for visit in visits
    )


class Broker:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        executable = shutil.which("redis-server")
        if executable is None:
            raise SystemExit("redis-server is needed (apt-get install redis-server)")
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        import redis

        self.client = redis.Redis(port=self.port)
        _wait_for(self._answers, 10, "redis-server")

    def _answers(self) -> bool:
        import redis

        try:
            return self.client.ping()
        except redis.ConnectionError:
            return False

    def idle(self) -> bool:
        """Nothing waiting in the default queue and nothing delivered but unacknowledged."""
        return self.client.llen("celery") == 0 and self.client.hlen("unacked") == 0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _start_worker(concurrency: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "clinic", "worker", "--pool", "prefork"]
    command += ["--concurrency", str(concurrency), "--without-heartbeat", "--without-mingle", "--without-gossip"]
    command += ["--loglevel", "warning"]
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            command, cwd=REPOSITORY, env=os.environ.copy(), stdout=output, stderr=subprocess.STDOUT
        )


def _no_op_rate(app, broker: Broker, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        app.send_task("celery.accumulate", args=(1,))
    _wait_for(broker.idle, 600, "the no-op tasks")
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000, help="due reminders to send (default 10000)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432",
        help="PostgreSQL server, without a database name (default postgres://postgres@127.0.0.1:5432)",
    )
    options = parser.parse_args()
    server = options.postgres.rstrip("/")

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-reminders-"))
    broker = Broker()
    worker = None
    try:
        _recreate_database(server)
        os.environ.update(
            DJANGO_SETTINGS_MODULE="clinic.settings",
            DATABASE_URL=f"{server}/{DATABASE}",
            REDIS_URL=broker.url,
            EMAIL_URL="memorymail://",
            VAR_DIR=str(var_dir),
            DEBUG="true",
            CELERY_TASK_ALWAYS_EAGER="false",
            LOG_LEVEL="WARNING",
        )
        sys.path.insert(0, str(REPOSITORY))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        _due_reminders(options.reminders)

        from django.db.models import Sum

        from clinic.celery import app
        from clinic.outbox import dispatch
        from clinic.outbox.models import MessageStatus, PatientMessage

        worker = _start_worker(options.concurrency, var_dir / "worker.log")
        _wait_for(lambda: app.control.ping(timeout=0.5), 60, "the worker to answer")

        no_op_before = _no_op_rate(app, broker, options.reminders)

        started = time.perf_counter()
        while dispatch.dispatch_due():
            pass
        dispatched = time.perf_counter() - started
        sent = PatientMessage.objects.filter(status=MessageStatus.SENT)
        _wait_for(lambda: sent.count() == options.reminders, 1800, "every reminder to be sent")
        _wait_for(broker.idle, 60, "the queue to empty")
        elapsed = time.perf_counter() - started
        reminder_rate = options.reminders / elapsed

        no_op_after = _no_op_rate(app, broker, options.reminders)
        no_op = (no_op_before + no_op_after) / 2
        attempts = PatientMessage.objects.aggregate(total=Sum("attempts"))["total"]

        print(f"Reminder benchmark: {options.reminders} due reminders, worker prefork x{options.concurrency}")
        print(f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"  reminders: {reminder_rate:.0f} per second ({elapsed:.1f} s from first claim to last send)")
        print(f"    of which claiming and publishing (dispatch_due, 500 a call): {dispatched:.1f} s")
        print(f"  no-op task: {no_op:.0f} per second (before {no_op_before:.0f}, after {no_op_after:.0f})")
        print(f"  reminders / no-op throughput: {reminder_rate / no_op:.2f}")
        print(f"  sent exactly once: {sent.count()} rows sent, {attempts} attempts")
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        broker.stop()
        _drop_database(server)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
