"""Benchmark: how long the production processes take to make good lost background work and
killed processes, with the production intervals and thresholds of the sweeps.

Run by hand from the repository root (it is not part of the test suite), with PostgreSQL
answering and ``redis-server`` installed; about 7 minutes, most of it waiting for the sweeps:

    .venv/bin/python bench/recovery.py
    .venv/bin/python bench/recovery.py --scenarios killed-processes --keep \\
        --database postgres://postgres@127.0.0.1:5432/bench_recovery

It drops and creates the ``--database`` database, migrates it, starts a private ``redis-server``
(no persistence) and supervisord running web, worker and beat as production does
(``deploy/supervisord.conf``, through ``tests/integration/stack.py``), with the production
defaults of the recovery settings (``FAST_RECOVERY``'s names, as ``clinic/settings.py`` reads
them from an environment without them). Text messages go through a backend that takes 0.1 s
each and writes a file, so that what each patient received can be counted. Then, in one stack:

  lost-messages     the worker stopped (``supervisorctl stop``), ``--notices`` visits booked so
                    that their notices wait in Redis, Redis killed and started again empty, the
                    worker started: seconds from the loss until every notice is sent, against
                    OUTBOX_REQUEUE_AFTER_SECONDS + OUTBOX_DISPATCH_EVERY_SECONDS;
  stranded-handout  a long plan signed (every home exercise of the library, 30 weeks) and the
                    worker's process group SIGKILLed while it renders the handout, supervisord
                    restarting it: seconds from the kill until the handout is ready, against
                    HANDOUT_REQUEUE_AFTER_SECONDS + HANDOUT_SWEEP_EVERY_SECONDS;
  killed-processes  web, worker and beat each SIGKILLed in turn: seconds until supervisord has
                    started it again, and until it works again: /healthz answers 200; a notice
                    booked after the kill is sent; the worker's heartbeat is newer than the kill
                    (beat is killed just after a heartbeat, against WORKER_HEARTBEAT_EVERY_SECONDS).

Beat runs the dispatch and the sweep on one 60-second clock from its start, so where a scenario
falls on it decides the figure: lost messages, queued a few seconds after the stack starts, are
taken up at the tick after their threshold (about 125 s of 150); the handout, rendering a few
seconds after a tick (the stack's start, or the dispatch that ended lost-messages), waits nearly
the whole bound (about 148 s of 150 with the defaults), the worst case.

It prints a table (scenario, measured seconds, bound, measured / bound), the restarts against a
bare interpreter start (``python -c pass``, the anchor, measured in the same run) and whether
every notice was sent exactly once; the report goes to ``test-artifacts/bench/recovery.txt``
and supervisord's log to ``recovery-stack.log`` beside it. The database is dropped at the end
unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from databases import add_database_arguments, drop_database, recreate_database

REPOSITORY = Path(__file__).resolve().parent.parent
ARTIFACTS = REPOSITORY / "test-artifacts" / "bench"
SCENARIOS = ("lost-messages", "stranded-handout", "killed-processes")
POLL_SECONDS = 0.1
# Past its bound, a scenario is given this long before it is reported as not recovered.
GRACE_SECONDS = 120.0
RESTART_LIMIT_SECONDS = 60.0
ANCHOR_RUNS = 5


@dataclass(frozen=True)
class Row:
    scenario: str
    seconds: float | None  # None: not recovered within the bound and the grace
    bound: float | None = None
    limit: float = 0.0
    process: str = ""  # a restart, compared with the anchor

    def line(self) -> str:
        measured = f"{self.seconds:7.1f} s" if self.seconds is not None else f"> {self.limit:.0f} s (NOT RECOVERED)"
        if self.bound is None:
            return f"  {self.scenario:<58} {measured:>9} {'-':>7} {'-':>6}"
        ratio = f"{self.seconds / self.bound:.2f}" if self.seconds is not None else "-"
        return f"  {self.scenario:<58} {measured:>9} {self.bound:>5.0f} s {ratio:>6}"


def _seconds_until(condition: Callable[[], object], *, since: float, limit: float) -> float | None:
    """Seconds from ``since`` (``time.monotonic()``) until ``condition`` holds; None past ``limit``."""
    while not condition():
        if time.monotonic() - since > limit:
            return None
        time.sleep(POLL_SECONDS)
    return time.monotonic() - since


def _bare_start_seconds() -> float:
    """The anchor: how long this machine takes, right now, to start and end a bare interpreter."""
    timings = []
    for _ in range(ANCHOR_RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


class Bookings:
    """Visits booked through the scheduling service, each for a new patient who prefers text
    messages, half an hour apart so that none overlaps another."""

    def __init__(self) -> None:
        from django.utils import timezone

        from clinic.permissions import Role
        from tests.factories import ClinicFactory, UserFactory

        # No quiet hours: the bench measures recovery whatever the time of day it runs at.
        self.clinic = ClinicFactory(quiet_hours_start=datetime.time(0), quiet_hours_end=datetime.time(0))
        self.front_desk = UserFactory(clinic=self.clinic, roles=[Role.FRONT_DESK])
        self.clinician = UserFactory(clinic=self.clinic, roles=[Role.CLINICIAN])
        self.starts_at = (timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
        self.visits: list[int] = []

    def episodes(self, count: int) -> list:
        from tests.factories import EpisodeFactory

        return [
            EpisodeFactory(
                patient__clinic=self.clinic, patient__preferred_contact_channel="sms", lead_clinician=self.clinician
            )
            for _ in range(count)
        ]

    def book(self, episodes) -> list[int]:
        from clinic.scheduling import services as scheduling

        visits = []
        for episode in episodes:
            visit = scheduling.appointment_book(
                actor=self.front_desk,
                episode=episode,
                clinician=self.clinician,
                starts_at=self.starts_at,
                override_reason="Recovery bench",
            )
            self.starts_at += datetime.timedelta(minutes=30)
            visits.append(visit.pk)
        self.visits += visits
        return visits


def _notices(visits: list[int]):
    from clinic.outbox.models import MessageKind, PatientMessage

    return PatientMessage.objects.filter(kind=MessageKind.VISIT_NOTICE, subject_id__in=visits)


def _all_sent(visits: list[int]) -> bool:
    from clinic.outbox.models import MessageStatus

    return _notices(visits).filter(status=MessageStatus.SENT).count() == len(visits)


def lost_messages(stack, redis, bookings: Bookings, recovery: dict[str, float], count: int) -> list[Row]:
    import redis as redis_client

    episodes = bookings.episodes(count)
    stack.control("stop", "worker")
    visits = bookings.book(episodes)
    waiting = redis_client.Redis(port=redis.port).llen("celery")
    if waiting < count:
        raise SystemExit(f"only {waiting} of the {count} notices were waiting in Redis: nothing to lose")
    redis.stop()
    lost_at = time.monotonic()
    redis.start()
    stack.control("start", "worker")
    bound = recovery["OUTBOX_REQUEUE_AFTER_SECONDS"] + recovery["OUTBOX_DISPATCH_EVERY_SECONDS"]
    limit = bound + GRACE_SECONDS
    seconds = _seconds_until(lambda: _all_sent(visits), since=lost_at, limit=limit)
    return [Row(f"lost-messages: all {count} notices lost by Redis sent", seconds, bound, limit)]


def _sign_long_plan(bookings: Bookings):
    from tests.integration.plans import sign_every_home_exercise

    (episode,) = bookings.episodes(1)
    return sign_every_home_exercise(episode, bookings.clinician, weeks=30)


def stranded_handout(stack, bookings: Bookings, recovery: dict[str, float]) -> list[Row]:
    from plans.models import Handout, HandoutStatus
    from tests.integration.broker import wait_for

    handout = Handout.objects.filter(version=_sign_long_plan(bookings))

    def state() -> tuple[str, datetime.datetime]:
        return handout.values_list("status", "updated_at").get()

    if not wait_for(lambda: state()[0] == HandoutStatus.RENDERING, seconds=RESTART_LIMIT_SECONDS):
        raise SystemExit(f"the worker never started rendering the handout:\n{stack.output()}")
    stack.kill("worker")
    killed_at = time.monotonic()
    stranded = state()
    if stranded[0] != HandoutStatus.RENDERING:
        raise SystemExit("the handout was rendered before the kill: make the plan longer")
    bound = recovery["HANDOUT_REQUEUE_AFTER_SECONDS"] + recovery["HANDOUT_SWEEP_EVERY_SECONDS"]
    limit = bound + GRACE_SECONDS
    # A render started again rewrites the row: the sweep queued it and the new worker took it.
    taken_up = _seconds_until(lambda: state() != stranded, since=killed_at, limit=limit)
    ready = _seconds_until(lambda: state()[0] == HandoutStatus.READY, since=killed_at, limit=limit)
    return [
        Row("stranded-handout: rendering again after the kill", taken_up, bound, limit),
        Row("stranded-handout: handout ready after the kill", ready, bound, limit),
    ]


def _kill(stack, name: str, *, meanwhile: Callable[[], object] = lambda: None) -> tuple[float, Row]:
    """SIGKILL the program and run ``meanwhile``; returns when it was killed
    (``time.monotonic()``) and the row of its restart."""
    old = stack.pid(name)
    killed_at = time.monotonic()
    stack.kill(name)
    meanwhile()

    def restarted() -> bool:
        pid = stack.pid(name)
        return pid is not None and pid != old

    seconds = _seconds_until(restarted, since=killed_at, limit=RESTART_LIMIT_SECONDS)
    row = Row(f"killed-processes: {name} started again (new pid)", seconds, limit=RESTART_LIMIT_SECONDS, process=name)
    return killed_at, row


def _web_killed(stack) -> list[Row]:
    killed_at, restart = _kill(stack, "web")
    answers = _seconds_until(
        lambda: (response := stack.get("/healthz")) is not None and response.ok,
        since=killed_at,
        limit=RESTART_LIMIT_SECONDS,
    )
    return [restart, Row("killed-processes: web answers /healthz 200", answers, limit=RESTART_LIMIT_SECONDS)]


def _worker_killed(stack, bookings: Bookings) -> list[Row]:
    episodes = bookings.episodes(1)
    visits: list[int] = []
    # Booked while no worker runs: its send waits in Redis for the restarted worker.
    killed_at, restart = _kill(stack, "worker", meanwhile=lambda: visits.extend(bookings.book(episodes)))
    sent = _seconds_until(lambda: _all_sent(visits), since=killed_at, limit=RESTART_LIMIT_SECONDS)
    return [restart, Row("killed-processes: worker sent a notice booked after it", sent, limit=RESTART_LIMIT_SECONDS)]


def _beat_killed(stack, recovery: dict[str, float]) -> list[Row]:
    from django.utils import timezone

    from clinic.models import WorkerHeartbeat

    heartbeat = WorkerHeartbeat.objects.filter(pk=1).values_list("ran_at", flat=True)
    every = recovery["WORKER_HEARTBEAT_EVERY_SECONDS"]
    # Killed just after a heartbeat: the next one can only come from the restarted beat.
    last = heartbeat.first()
    if _seconds_until(lambda: heartbeat.first() != last, since=time.monotonic(), limit=2 * every) is None:
        raise SystemExit(f"no worker heartbeat before killing beat:\n{stack.output()}")
    killed_when = timezone.now()
    killed_at, restart = _kill(stack, "beat")
    limit = every + GRACE_SECONDS
    fresh = _seconds_until(lambda: heartbeat.first() > killed_when, since=killed_at, limit=limit)
    return [restart, Row("killed-processes: beat's heartbeat ran again", fresh, every, limit)]


def killed_processes(stack, bookings: Bookings, recovery: dict[str, float]) -> list[Row]:
    return [*_web_killed(stack), *_worker_killed(stack, bookings), *_beat_killed(stack, recovery)]


def _production_recovery() -> dict[str, float]:
    """The production defaults of the settings the integration tests shorten."""
    from django.conf import settings

    from tests.integration.stack import FAST_RECOVERY

    return {name: float(getattr(settings, name)) for name in FAST_RECOVERY}


def _sent_once(stack, visits: list[int]) -> str:
    from clinic.outbox.models import MessageStatus

    received = collections.Counter(stack.sms_recipients())
    sent = _notices(visits).filter(status=MessageStatus.SENT).count()
    doubled = sum(1 for times in received.values() if times > 1)
    verdict = "yes" if doubled == 0 else f"NO: {doubled} patients received a text twice"
    texts = f"{sum(received.values())} texts to {len(received)} patients, a handout's message included"
    return f"{verdict} ({sent} of {len(visits)} visit notices sent; {texts})"


def _load_average() -> str:
    with open("/proc/loadavg") as load:
        return " ".join(load.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS), help="the scenarios to run (default all)"
    )
    parser.add_argument("--notices", type=int, default=20, help="notices lost with Redis (default 20)")
    add_database_arguments(parser, "bench_recovery", made="create and drop")
    options = parser.parse_args()

    sys.path.insert(0, str(REPOSITORY))
    from tests.integration.broker import RedisServer
    from tests.integration.stack import FAST_RECOVERY

    folder = Path(tempfile.mkdtemp(prefix="stride-bench-recovery-"))
    redis = RedisServer()
    stack = None
    try:
        recreate_database(options.database)
        redis.start()
        # The settings' own defaults are the production values measured here.
        for variable in (*FAST_RECOVERY, "EMAIL_URL"):
            os.environ.pop(variable, None)
        os.environ.update(
            DJANGO_SETTINGS_MODULE="clinic.settings",
            DATABASE_URL=options.database,
            REDIS_URL=redis.url,
            VAR_DIR=str(folder / "bench"),
            MEDIA_ROOT=str(folder / "bench" / "media"),
            DEBUG="true",
            CELERY_TASK_ALWAYS_EAGER="false",
            LOG_LEVEL="WARNING",
        )
        import django

        django.setup()
        from django.core.management import call_command

        from tests.integration.stack import Stack

        call_command("migrate", verbosity=0)
        recovery = _production_recovery()
        bookings = Bookings()
        anchor = _bare_start_seconds()
        environment = {name: f"{value:g}" for name, value in recovery.items()}
        stack = Stack(
            programs={"web", "worker", "beat"},
            broker_url=redis.url,
            folder=folder / "stack",
            env={**environment, "LOG_LEVEL": "INFO"},
        )
        load_before = _load_average()
        rows: list[Row] = []
        if "lost-messages" in options.scenarios:
            rows += lost_messages(stack, redis, bookings, recovery, options.notices)
        if "stranded-handout" in options.scenarios:
            rows += stranded_handout(stack, bookings, recovery)
        if "killed-processes" in options.scenarios:
            rows += killed_processes(stack, bookings, recovery)

        lines = [
            "Recovery benchmark: supervisord (web, worker, beat), PostgreSQL, private Redis; production intervals:",
            f"  outbox requeue after {recovery['OUTBOX_REQUEUE_AFTER_SECONDS']:g} s, "
            f"dispatch every {recovery['OUTBOX_DISPATCH_EVERY_SECONDS']:g} s; "
            f"handouts requeue after {recovery['HANDOUT_REQUEUE_AFTER_SECONDS']:g} s, "
            f"sweep every {recovery['HANDOUT_SWEEP_EVERY_SECONDS']:g} s; "
            f"heartbeat every {recovery['WORKER_HEARTBEAT_EVERY_SECONDS']:g} s",
            f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"load average {load_before} before the scenarios, {_load_average()} after",
            "  bound = the configured threshold + interval (beat: the heartbeat interval); ratio = measured / bound;",
            "  a handout's bound is for taking it up again: its render (seconds, for this long plan) comes on top",
            f"  {'scenario':<58} {'measured':>9} {'bound':>7} {'ratio':>6}",
            *(row.line() for row in rows),
        ]
        if restarts := [row for row in rows if row.process]:
            lines.append(
                f"  anchor: a bare interpreter start (python -c pass, median of {ANCHOR_RUNS}) {anchor:.2f} s; "
                "restarts (polled through supervisorctl, itself such a start) / anchor: "
                + ", ".join(
                    f"{row.process} {row.seconds / anchor:.0f}x" if row.seconds is not None else f"{row.process} -"
                    for row in restarts
                )
            )
        lines.append(f"  each notice sent exactly once: {_sent_once(stack, bookings.visits)}")
        report = "\n".join(lines)
        print(report)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "recovery.txt").write_text(report + "\n")
    finally:
        if stack is not None:
            stack.stop()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stack.log, ARTIFACTS / "recovery-stack.log")
        redis.stop()
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not options.keep:
            drop_database(options.database)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
