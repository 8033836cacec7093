"""Load test: the production run (bin/production: gunicorn, Celery worker and beat, on
PostgreSQL and Redis) under 50 concurrent users, with locust, on the loopback only.

Run by hand from the repository root (it is not part of the test suite), with PostgreSQL and
Redis answering; it takes about two and a half minutes:

    .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --users 50 --run-time 60 --phase-time 20 \\
        --database postgres://postgres@127.0.0.1:5432/bench_load --redis redis://127.0.0.1:6379/5

It drops and creates the ``--database`` database, empties the ``--redis`` database, and starts
``bin/production`` (migrate, collectstatic, ``check --deploy --fail-level WARNING``, then web,
worker and beat under supervisord) with a production environment: DEBUG off, a random secret key,
HTTPS hardening on behind a TLS proxy (the load client sends what the proxy would), hashed and
compressed static files. It seeds one synthetic clinic: clinicians and front-desk staff with
working hours, ``--patients`` patients with an open episode each, a live intake link for
each of ``--links`` of them and a day of visits for every clinician. Then it runs
``bench/locustfile.py`` headless (``--users`` users, 10 a second) three times:

  1. bare view: every user on /healthz, ``--phase-time`` seconds;
  2. mixed, the figures asked for: half the users patients filling in intake steps, a fifth
     clinicians opening patient and episode pages, a fifth front desk on the day view, a
     tenth on /healthz, ``--run-time`` seconds;
  3. intake only: every user a patient filling in intake steps, ``--phase-time`` seconds;

and prints, per user class and overall, requests per second, p50/p95/p99 latency and errors,
then the ratio of the intake-step throughput (phase 3) to the bare view's (phase 1), both with
every user on them, so the ratio compares what one request of each costs the server. The
report also goes to ``test-artifacts/bench/load.txt``. At the end it stops the server, drops
the database and empties the Redis database.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from databases import drop_database, recreate_database

REPOSITORY = Path(__file__).resolve().parent.parent
REPORT = REPOSITORY / "test-artifacts" / "bench" / "load.txt"
# Kept after the run: what the server printed (supervisord: web, worker, beat).
SERVER_LOG = REPOSITORY / "test-artifacts" / "bench" / "load-server.log"
# gunicorn.conf.py's access log line: ... "GET /path HTTP/1.1" 200 1234 12ms
ACCESS_STATUS = re.compile(r'" (\d{3}) \S+ \d+ms')
PASSWORD = "bench-load-" + secrets.token_urlsafe(12)
CLINICIANS = 10
FRONT_DESK = 5
VISITS_PER_CLINICIAN = 12
# The steps a virtual patient goes round: each posted with answers that pass its form.
STEP_ANSWERS = {
    "about": {"email": "runner@bench.example.test", "preferred_contact_channel": "email"},
    # Signed by a parent: the patient's own signature must match each patient's name.
    "consent": {"agree": "on", "signer": "guardian", "relationship": "Parent", "signature": "Bench Parent"},
    "complaint": {
        "regions": ["hip_side_left", "low_back_left"],
        "began": "1_to_6_weeks",
        "onset": "gradual",
        "pain_now": "4",
        "pain_least": "2",
        "pain_worst": "6",
        "worse_with": ["running", "stairs"],
        "pattern": "varies",
        "night_pain": "no",
    },
    "running": {
        "years_running": "6",
        "runs_per_week": "4",
        "distance_unit": "km",
        "weekly_now": "40",
        "weekly_2_weeks_ago": "38",
        "weekly_4_weeks_ago": "35",
        "longest_last_7_days": "14",
        "longest_prior_30_days": "16",
        "surfaces": ["road", "trail"],
    },
    "daily": {"sitting_hours": "7", "sleep_hours": "7.5"},
    "history": {"medications": "None"},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback URL
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait_for(condition, seconds: float, what: str, server: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if server is not None and server.poll() is not None:
            raise SystemExit(f"The server stopped (exit {server.returncode}) before {what}; see its log")
        if time.monotonic() > deadline:
            raise SystemExit(f"Gave up waiting for {what} after {seconds:.0f} s")
        time.sleep(0.2)


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def _static_check(host: str, var_dir: Path) -> str:
    """One hashed stylesheet fetched from the app itself, as WhiteNoise serves it in production."""
    manifest = json.loads((var_dir / "static" / "staticfiles.json").read_text())["paths"]
    name = next(path for path in sorted(manifest) if path.startswith("css/") and path.endswith(".css"))
    request = urllib.request.Request(  # noqa: S310 - our own loopback URL
        f"{host}/static/{manifest[name]}", headers={"Accept-Encoding": "gzip", "X-Forwarded-Proto": "https"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return (
            f"Static files (WhiteNoise, compressed manifest): /static/{manifest[name]} answered {response.status}, "
            f"Content-Encoding {response.headers.get('Content-Encoding', 'none')}, "
            f"Cache-Control {response.headers.get('Cache-Control', 'none')}"
        )


def _production_environment(options, var_dir: Path, port: int) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CELERY_"))}
    environment.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="https://127.0.0.1",
        DATABASE_URL=options.database,
        REDIS_URL=options.redis,
        BEHIND_TLS_PROXY="true",
        VAR_DIR=str(var_dir),
        PORT=str(port),
        LOG_LEVEL="WARNING",
        PATH=f"{REPOSITORY / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
    )
    for variable in ("STATIC_MANIFEST", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "EMAIL_URL", "SMS_BACKEND"):
        environment.pop(variable, None)
    if options.workers:
        environment["WEB_CONCURRENCY"] = str(options.workers)
    return environment


def _seed(patients: int, links: int) -> dict:
    """The synthetic clinic the users work in, and what the locustfile needs to know of it."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.http import QueryDict
    from django.utils import timezone

    from clinic.models import Clinic, ClinicianProfile, EpisodeOfCare, Patient, User
    from clinic.permissions import Role
    from clinic.scheduling import last_attended
    from clinic.scheduling.models import Appointment, WorkingHours
    from intake import steps, tokens
    from intake.models import Intake, IntakeInvitation, IntakeStatus

    clinic = Clinic.objects.create(name="Bench Running Clinic", time_zone="America/Chicago", phone="+13125550100")
    password = make_password(PASSWORD)
    clinicians = User.objects.bulk_create(
        User(email=f"clinician{n}@bench.example.test", full_name=f"Clinician {n:02d}", clinic=clinic, password=password)
        for n in range(CLINICIANS)
    )
    front_desk = User.objects.bulk_create(
        User(email=f"desk{n}@bench.example.test", full_name=f"Front Desk {n}", clinic=clinic, password=password)
        for n in range(FRONT_DESK)
    )
    Group.objects.get(name=Role.CLINICIAN.value).user_set.add(*clinicians)
    Group.objects.get(name=Role.FRONT_DESK.value).user_set.add(*front_desk)
    ClinicianProfile.objects.bulk_create(ClinicianProfile(user=user, credentials="DC") for user in clinicians)
    WorkingHours.objects.bulk_create(
        WorkingHours(clinician=user, weekday=day, start=datetime.time(8), end=datetime.time(18))
        for user in clinicians
        for day in range(7)
    )
    people = Patient.objects.bulk_create(
        Patient(
            clinic=clinic,
            first_name=f"Runner{n}",
            last_name=f"Bench{n % 997}",
            date_of_birth=datetime.date(1960, 1, 1) + datetime.timedelta(days=n % 15000),
            sex="female" if n % 2 else "male",
            email=f"runner{n}@bench.example.test",
            contact_consent=True,
        )
        for n in range(patients)
    )
    episodes = EpisodeOfCare.objects.bulk_create(
        EpisodeOfCare(
            patient=person, presenting_complaint="Hip pain after long runs", lead_clinician=clinicians[n % CLINICIANS]
        )
        for n, person in enumerate(people)
    )
    zone = clinic.zone
    today = timezone.localdate(timezone=zone)
    opening = datetime.datetime.combine(today, datetime.time(8), tzinfo=zone)
    Appointment.objects.bulk_create(
        Appointment(
            episode=episodes[(c * VISITS_PER_CLINICIAN + v) % len(episodes)],
            clinician=clinician,
            starts_at=opening + datetime.timedelta(minutes=45 * v),
            ends_at=opening + datetime.timedelta(minutes=45 * v + 30),
            sequence=1,
            notified_sequence=1,
        )
        for c, clinician in enumerate(clinicians)
        for v in range(VISITS_PER_CLINICIAN)
    )
    # bulk_create sends no signals: the episodes' latest attended visits are stored here, as the app would.
    last_attended.refresh(episode_ids=[episode.pk for episode in episodes])
    now = timezone.now()
    intakes = Intake.objects.bulk_create(Intake(episode=episode) for episode in episodes[:links])
    raw_links = []
    invitations = []
    for intake in intakes:
        link_token, token_hash = tokens.new_link_token()
        raw_links.append(link_token)
        invitations.append(
            IntakeInvitation(
                intake=intake,
                channel="email",
                token_hash=token_hash,
                created_by=front_desk[0],
                created_at=now,
                sent_at=now,
                expires_at=now + datetime.timedelta(days=14),
            )
        )
    IntakeInvitation.objects.bulk_create(invitations)

    # The answers must pass the real forms, or the bench would measure error pages.
    order = [step.code for step in steps.STEPS]
    plan_steps = []
    for code, answers in STEP_ANSWERS.items():
        data = QueryDict(mutable=True)
        for name, value in answers.items():
            data.setlist(name, value if isinstance(value, list) else [value])
        form = steps.build_form(steps.BY_CODE[code], intakes[0], data=data)
        if not form.is_valid():
            raise SystemExit(f"The bench's answers to the {code} step no longer pass its form: {form.errors}")
        plan_steps.append({"code": code, "answers": answers, "next": order[order.index(code) + 1]})
    assert Intake.objects.filter(status=IntakeStatus.NOT_STARTED).count() == links
    return {
        "password": PASSWORD,
        "clinicians": [user.email for user in clinicians],
        "front_desk": [user.email for user in front_desk],
        "patients": [[episode.patient_id, episode.pk] for episode in episodes],
        "links": raw_links,
        "steps": plan_steps,
        "tomorrow": (today + datetime.timedelta(days=1)).isoformat(),
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def _row(label: str, samples: list, seconds: float) -> str:
    times = [sample[2] for sample in samples]
    errors = sum(1 for sample in samples if sample[3])
    if not times:
        return f"  {label:<28} no requests"
    return (
        f"  {label:<28} {len(times):>7} req {len(times) / seconds:>7.1f} req/s  "
        f"p50 {_percentile(times, 0.50):>6.0f}  p95 {_percentile(times, 0.95):>6.0f}  "
        f"p99 {_percentile(times, 0.99):>6.0f} ms  errors {errors}"
    )


class Phase:
    def __init__(self, name: str, classes: dict[str, int], seconds: int) -> None:
        self.name, self.classes, self.seconds = name, classes, seconds

    def run(self, options, host: str, var_dir: Path, environment: dict[str, str]) -> dict:
        samples_file = var_dir / f"samples-{self.name}.json"
        users = sum(self.classes.values())
        # Exact numbers of each class: locust's fixed_count, set through the environment.
        env = {**environment, "STRIDE_LOAD_SAMPLES": str(samples_file)}
        env.update({f"STRIDE_USERS_{name.upper()}": str(count) for name, count in self.classes.items()})
        command = [sys.executable, "-m", "locust", "-f", str(REPOSITORY / "bench" / "locustfile.py")]
        command += ["--headless", "--host", host, "--users", str(users), "--spawn-rate", str(options.spawn_rate)]
        command += ["--run-time", f"{self.seconds}s", "--only-summary", "--loglevel", "WARNING"]
        command += ["--exit-code-on-error", "0", *self.classes]
        with (var_dir / f"locust-{self.name}.log").open("w") as log:
            subprocess.run(command, cwd=REPOSITORY, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)  # noqa: S603
        result = json.loads(samples_file.read_text())
        result["seconds"] = result["stopped"] - result["started"]
        result["users"] = self.classes
        return result


def _report(options, phases: dict[str, dict], load_before: str, load_after: str, server_log: Path) -> str:
    lines = [
        f"Load benchmark: production run (bin/production: gunicorn -c gunicorn.conf.py, Celery worker "
        f"and beat) on PostgreSQL and Redis, {options.users} concurrent users, no think time",
        f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"gunicorn workers: {options.workers or 'WEB_CONCURRENCY default (2 x cores + 1)'}",
        f"  load average before: {load_before}",
        f"  load average after:  {load_after}",
        "  latency = time to the last byte as locust measures it, in ms; errors = any unexpected status,",
        "  redirect target or page content, or a connection problem",
    ]
    for key, title in (
        ("mixed", "Mixed run"),
        ("bare", "Bare view only"),
        ("intake", "Intake steps only"),
    ):
        phase = phases[key]
        seconds = phase["seconds"]
        samples = phase["samples"]
        who = ", ".join(f"{count} {name}" for name, count in phase["users"].items())
        lines.append(f"{title}: {seconds:.0f} s ({who})")
        for user_class in phase["users"]:
            lines.append(_row(user_class, [sample for sample in samples if sample[0] == user_class], seconds))
        for name in sorted({sample[1] for sample in samples}):
            lines.append(_row("  " + name, [sample for sample in samples if sample[1] == name], seconds))
        lines.append(_row("overall", samples, seconds))
    intake_steps = [sample for sample in phases["intake"]["samples"] if sample[1].startswith("intake: step")]
    bare = [sample for sample in phases["bare"]["samples"] if sample[1].startswith("bare view")]
    intake_rate = len(intake_steps) / phases["intake"]["seconds"]
    bare_rate = len(bare) / phases["bare"]["seconds"]
    posts = sum(1 for sample in intake_steps if sample[1] == "intake: step answers")
    lines.append(
        f"Intake-step throughput / bare view throughput: {intake_rate:.1f} / {bare_rate:.1f} req/s = "
        f"{intake_rate / bare_rate:.2f} ({posts / phases['intake']['seconds']:.1f} steps saved per second)"
    )
    errors = sum(1 for phase in phases.values() for sample in phase["samples"] if sample[3])
    log = server_log.read_text(errors="replace")
    statuses = [int(status) for status in ACCESS_STATUS.findall(log)]
    server_errors = sum(1 for status in statuses if status >= 500)
    tracebacks = log.count("Traceback")
    lines.append(
        f"Errors: {errors} failed requests in all phases; server access log: {len(statuses)} requests, "
        f"{server_errors} with status 5xx; {tracebacks} tracebacks in the server log"
    )
    reasons = Counter((sample[1], sample[5]) for phase in phases.values() for sample in phase["samples"] if sample[3])
    lines += [f"  {count} x {name}: {reason}" for (name, reason), count in reasons.most_common()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    parser.add_argument("--spawn-rate", type=int, default=10, help="users started per second (default 10)")
    parser.add_argument("--run-time", type=int, default=60, help="seconds of the mixed run (default 60)")
    parser.add_argument("--phase-time", type=int, default=20, help="seconds of each single-class run (default 20)")
    parser.add_argument("--patients", type=int, default=2000, help="patients seeded (default 2000)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/bench_load",
        help="PostgreSQL database to create, use and drop (default postgres://postgres@127.0.0.1:5432/bench_load)",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5", help="Redis database to use and empty")
    options = parser.parse_args()
    users = options.users
    # Each virtual patient has its own link, in every phase.
    links = users * 3

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-load-"))
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    environment = _production_environment(options, var_dir, port)
    server = None
    try:
        server = start_production(options, var_dir, environment)
        _wait_for(lambda: _answers(f"{host}/readyz"), 300, "the production run to answer /readyz", server)
        static_line = _static_check(host, var_dir)

        os.environ.update(environment)
        os.environ["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
        sys.path.insert(0, str(REPOSITORY))
        import django

        django.setup()
        plan = _seed(options.patients, links)
        from django.db import connections

        connections.close_all()
        plan_file = var_dir / "plan.json"
        plan_file.write_text(json.dumps(plan))
        environment["STRIDE_LOAD_PLAN"] = str(plan_file)

        share = {"PatientIntake": users // 2, "Clinician": users // 5, "FrontDesk": users // 5}
        share["BareView"] = users - sum(share.values())
        load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        phases = {}
        for phase in (
            Phase("bare", {"BareView": users}, options.phase_time),
            Phase("mixed", share, options.run_time),
            Phase("intake", {"PatientIntake": users}, options.phase_time),
        ):
            # Each phase's patients start on links no earlier phase used.
            environment["STRIDE_LINK_OFFSET"] = str(len(phases) * users)
            phases[phase.name] = phase.run(options, host, var_dir, environment)
        load_after = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        report = _report(options, phases, load_before, load_after, var_dir / "server.log") + "\n" + static_line
        print(report)
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(report + "\n")
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        clean_up(options, var_dir, SERVER_LOG)


def start_production(options, var_dir: Path, environment: dict[str, str]) -> subprocess.Popen:
    """A fresh database and Redis, then ``bin/production`` started, its output in ``var_dir``."""
    recreate_database(options.database)
    _flush_redis(options.redis)
    with (var_dir / "server.log").open("ab") as output:
        return subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            [str(REPOSITORY / "bin" / "production")],
            cwd=REPOSITORY,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def clean_up(options, var_dir: Path, server_log: Path) -> None:
    """After a run: drop the database, empty Redis, keep the server's log, remove its files."""
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()
    drop_database(options.database)
    _flush_redis(options.redis)
    if (var_dir / "server.log").exists():
        server_log.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(var_dir / "server.log", server_log)
    shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
