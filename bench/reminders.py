"""Benchmark: due reminders sent end to end (dispatcher, Redis, Celery worker, PostgreSQL) against
a no-op Celery task on the same worker, interleaved in the same run; and the worker's memory
against a bare Celery worker's.

Run by hand from the repository root (it is not part of the test suite), with PostgreSQL
answering and ``redis-server`` installed:

    .venv/bin/python bench/reminders.py                       # 3 rounds of 2,000 reminders, 2 worker processes
    .venv/bin/python bench/reminders.py --reminders 5000 --rounds 5 --concurrency 4 \\
        --postgres postgres://postgres@127.0.0.1:5432 --database bench_reminders

It creates (and at the end drops) the PostgreSQL database ``--database`` on the ``--postgres``
server, migrates it and bulk-inserts ``--rounds`` x ``--reminders`` booked visits, each with one
reminder, not yet due; starts a private ``redis-server`` on a free port (no persistence, stopped
at the end) and ``celery -A clinic worker`` (prefork, ``--concurrency`` processes, the project's
Celery settings: late acknowledgement, prefetch 1) with e-mail going to Django's in-memory
(locmem) backend.

Then, round after round, it times from the first publish to the last acknowledgement:
  1. ``--reminders`` no-op tasks (Celery's built-in ``celery.accumulate``), published from this process;
  2. one round's reminders, made due: the outbox's ``dispatch.dispatch_due()`` called until
     nothing is due (what beat's ``dispatch_patient_messages`` does once a minute), the worker
     running the batches of sends, until every row of the round is sent;
and the no-op tasks once more at the end, so that each round of reminders is measured between
two of no-op tasks. It prints each round's reminders per second over the mean of the no-op
rates either side (the goal is at least 0.5) and their median, with the load average; checks
that each reminder was sent exactly once (one attempt per row); then measures the resident
memory (RSS, and USS: the pages no other process shares) of the worker's main and pool
processes against those of a bare Celery worker (a Celery app with one no-op task and no Django,
the same pool and concurrency) after the same number of no-op tasks (the goal is at most 2x).
The report also goes to ``test-artifacts/bench/reminders.txt``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
ARTIFACTS = REPOSITORY / "test-artifacts" / "bench"
VISITS_PER_CLINICIAN = 500
NOT_YET = datetime.timedelta(days=30)
# A Celery app with one no-op task and nothing else: the anchor for the worker's memory.
BARE_APP = """
import os

from celery import Celery

app = Celery("bare", broker=os.environ["BARE_BROKER_URL"])
app.conf.update(task_acks_late=True, worker_prefetch_multiplier=1, task_ignore_result=True)


@app.task(name="bare.noop")
def noop():
    return None
"""


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


def _recreate_database(server: str, database: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')


def _drop_database(server: str, database: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _reminders(count: int) -> None:
    """``count`` booked visits in the coming weeks, each owing one reminder, not yet due."""
    from django.utils import timezone

    from clinic.models import Clinic, EpisodeOfCare, Patient, User
    from clinic.outbox.models import MessageKind, PatientMessage
    from clinic.scheduling import last_attended
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
    # bulk_create sends no signals: the episodes' latest attended visits are stored here, as the app would.
    last_attended.refresh(episode_ids=[episode.pk for episode in episodes])
    due = timezone.now() + NOT_YET
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


def _start_worker(app: str, concurrency: int, log: Path, cwd: Path, env: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", app, "worker", "--pool", "prefork"]
    command += ["--concurrency", str(concurrency), "--without-heartbeat", "--without-mingle", "--without-gossip"]
    command += ["--loglevel", "warning"]
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT
        )


def _stop(worker: subprocess.Popen | None) -> None:
    if worker is None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()


def _no_op_rate(app, broker: Broker, count: int, task: str = "celery.accumulate", args=(1,)) -> float:
    started = time.perf_counter()
    for _ in range(count):
        app.send_task(task, args=args)
    _wait_for(broker.idle, 600, "the no-op tasks")
    return count / (time.perf_counter() - started)


def _memory(worker: subprocess.Popen) -> dict[str, float]:
    """RSS and USS (MiB) of the worker's main process and of its largest pool process."""
    import psutil

    main = psutil.Process(worker.pid)
    pool = max(main.children(), key=lambda child: child.memory_info().rss)
    figures = {}
    for name, process in (("main", main), ("pool", pool)):
        info = process.memory_full_info()
        figures[f"{name}_rss"], figures[f"{name}_uss"] = info.rss / 2**20, info.uss / 2**20
    return figures


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=2_000, help="due reminders a round (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of reminders (default 3)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432",
        help="PostgreSQL server, without a database name (default postgres://postgres@127.0.0.1:5432)",
    )
    parser.add_argument("--database", default="bench_reminders", help="database to create and drop")
    options = parser.parse_args()
    server = options.postgres.rstrip("/")
    count = options.reminders

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-reminders-"))
    broker = Broker()
    worker = bare = None
    try:
        _recreate_database(server, options.database)
        os.environ.update(
            DJANGO_SETTINGS_MODULE="clinic.settings",
            DATABASE_URL=f"{server}/{options.database}",
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
        _reminders(count * options.rounds)

        from django.conf import settings
        from django.db.models import Sum
        from django.utils import timezone

        from clinic.celery import app
        from clinic.outbox import dispatch
        from clinic.outbox.models import MessageStatus, PatientMessage

        rounds = list(PatientMessage.objects.order_by("pk").values_list("pk", flat=True))
        rounds = [rounds[n * count : (n + 1) * count] for n in range(options.rounds)]

        worker = _start_worker("clinic", options.concurrency, var_dir / "worker.log", REPOSITORY, os.environ.copy())
        _wait_for(lambda: app.control.ping(timeout=0.5), 60, "the worker to answer")
        _no_op_rate(app, broker, 200)  # warm-up: the pool processes' first tasks

        no_op = [_no_op_rate(app, broker, count)]
        results = []
        for ids in rounds:
            load = _load()
            PatientMessage.objects.filter(pk__in=ids).update(due_at=timezone.now() - datetime.timedelta(minutes=1))
            sent = PatientMessage.objects.filter(pk__in=ids, status=MessageStatus.SENT)
            started = time.perf_counter()
            while dispatch.dispatch_due():
                pass
            dispatched = time.perf_counter() - started
            _wait_for(
                lambda sent=sent, ids=ids: sent.count() == len(ids), 1800, "every reminder of the round to be sent"
            )
            _wait_for(broker.idle, 60, "the queue to empty")
            elapsed = time.perf_counter() - started
            no_op.append(_no_op_rate(app, broker, count))
            rate = count / elapsed
            results.append((rate, (no_op[-2] + no_op[-1]) / 2, elapsed, dispatched, load))
        stride_memory = _memory(worker)
        _stop(worker)
        worker = None

        total = count * options.rounds
        sent_rows = PatientMessage.objects.filter(status=MessageStatus.SENT).count()
        attempts = PatientMessage.objects.aggregate(total=Sum("attempts"))["total"]

        (var_dir / "bare_celery.py").write_text(BARE_APP)
        bare_env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
        bare_env["BARE_BROKER_URL"] = broker.url
        bare = _start_worker("bare_celery", options.concurrency, var_dir / "bare.log", var_dir, bare_env)
        from celery import Celery

        bare_app = Celery("bare", broker=broker.url)
        _wait_for(lambda: bare_app.control.ping(timeout=0.5), 60, "the bare worker to answer")
        bare_rate = _no_op_rate(bare_app, broker, count, task="bare.noop", args=())
        bare_memory = _memory(bare)

        ratios = [rate / no_op_rate for rate, no_op_rate, *_ in results]
        report: list[str] = []
        report.append(
            f"Reminder benchmark: {options.rounds} rounds of {count} due reminders, "
            f"worker prefork x{options.concurrency}, sends in batches of {settings.OUTBOX_SEND_BATCH}"
        )
        report.append(f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        for number, (rate, no_op_rate, elapsed, dispatched, load) in enumerate(results, 1):
            report.append(
                f"  round {number}: reminders {rate:.0f}/s ({elapsed:.1f} s, of which claiming and publishing "
                f"{dispatched:.1f} s), no-op {no_op_rate:.0f}/s either side: ratio {rate / no_op_rate:.2f} "
                f"(load average {load})"
            )
        ratio = statistics.median(ratios)
        report.append(
            f"  reminders / no-op task throughput, median: {ratio:.2f} "
            f"(goal >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})"
        )
        report.append(f"  sent exactly once: {sent_rows} of {total} rows sent, {attempts} attempts")
        memory_ratio = stride_memory["pool_rss"] / bare_memory["pool_rss"]
        for name, figures in (("Stride worker", stride_memory), ("bare Celery worker", bare_memory)):
            report.append(
                f"  {name + ':':<20} pool process RSS {figures['pool_rss']:.0f} MiB (USS {figures['pool_uss']:.0f}), "
                f"main process RSS {figures['main_rss']:.0f} MiB (USS {figures['main_uss']:.0f})"
            )
        report.append(
            f"  one worker process's RSS over a bare Celery worker's: {memory_ratio:.2f}x "
            f"(goal <= 2x: {'met' if memory_ratio <= 2 else 'NOT met'}); bare no-op rate {bare_rate:.0f}/s"
        )
        print("\n".join(report))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "reminders.txt").write_text("\n".join(report) + "\n")
    finally:
        _stop(worker)
        _stop(bare)
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        broker.stop()
        _drop_database(server, options.database)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
