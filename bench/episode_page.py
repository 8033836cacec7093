"""Benchmark: server time of the clinician's episode page, against a bare view, in one process.

Run by hand from the repository root (it is not part of the test suite), with PostgreSQL
answering:

    .venv/bin/python bench/episode_page.py                 # 200 requests of each kind
    .venv/bin/python bench/episode_page.py --count 500
    .venv/bin/python bench/episode_page.py --profile       # also cProfile 50 episode pages
    .venv/bin/python bench/episode_page.py --database postgres://postgres@127.0.0.1:5432/bench_episode

It drops and creates the ``--database`` database, migrates it and makes, through the services the
pages call, one episode as a clinic holds it some weeks into care: a submitted intake (NPRS, ODI
and LEFS scored, the link opened, a cleared red flag), an initial evaluation and four completed
re-assessments, two signed plans and a draft, six weeks of daily home-program logs, 20 past and
6 booked visits, 2,000 audit rows about the patient, and six other clinicians in the clinic (the
wait-list form offers them).

Then, alternately and in one process, it asks Django's test client (the whole middleware stack,
production settings: DEBUG off, cached templates) ``--count`` times for the episode page, signed
in as the lead clinician, and ``--count`` times for ``/healthz`` without a session (a bare view: no
database, no template), the anchor. It prints the mean, median and spread of each in ms, the
CPU time this process spent on each (less disturbed by other work on the machine; the database
server's time is not in it), the page's statements and writes, and the ratio of the bare view's
time to the page's (the issue's figure: requests per second of the page over those of the bare
view). The report also goes to
``test-artifacts/bench/episode_page.txt``. The database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import os
import platform
import pstats
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from databases import add_database_arguments, drop_database, recreate_database

REPOSITORY = Path(__file__).resolve().parent.parent
ARTIFACTS = REPOSITORY / "test-artifacts" / "bench"
REASSESSMENTS = 4
PAST_VISITS = 20
BOOKED_VISITS = 6
LOGGED_DAYS = 42
AUDIT_ROWS = 2_000


def _setup(database: str, var_dir: Path) -> None:
    for variable in ("REDIS_URL", "STATIC_MANIFEST", "EMAIL_URL"):
        os.environ.pop(variable, None)
    # Production settings, except that the test client speaks plain HTTP.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="clinic.settings",
        DATABASE_URL=database,
        VAR_DIR=str(var_dir),
        MEDIA_ROOT=str(var_dir / "media"),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        STATIC_MANIFEST="false",
        CELERY_TASK_ALWAYS_EAGER="true",
        EMAIL_URL="memorymail://",
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(REPOSITORY))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _seeded_episode():
    """The episode described in the module's docstring, made through the services and factories."""
    from decimal import Decimal

    from django.utils import timezone

    from clinic.models import AuditEvent
    from clinic.permissions import Role
    from clinic.portal.models import HomeProgramCheckIn
    from intake.models import Intake, IntakeInvitation, IntakeStatus, QuestionnaireScore, RedFlag
    from plans import services as plan_services
    from tests.factories import AppointmentFactory, AssessmentFactory, EpisodeFactory, UserFactory

    episode = EpisodeFactory()
    clinic, clinician = episode.patient.clinic, episode.lead_clinician
    for _ in range(6):
        UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
    now = timezone.now()
    today = timezone.localdate(now, clinic.zone)
    intake = Intake.objects.create(
        episode=episode, status=IntakeStatus.SUBMITTED, submitted_at=now - datetime.timedelta(days=44)
    )
    IntakeInvitation.objects.create(
        intake=intake,
        channel="email",
        created_by=clinician,
        created_at=now - datetime.timedelta(days=46),
        expires_at=now - datetime.timedelta(days=39),
        sent_at=now - datetime.timedelta(days=46),
        opened_at=now - datetime.timedelta(days=45),
    )
    for instrument, value, display in (("nprs", 7, "7 / 10"), ("odi", 42, "42 %"), ("lefs", 38, "38 / 80")):
        QuestionnaireScore.objects.create(
            intake=intake,
            instrument=instrument,
            version="bench",
            display=display,
            value=Decimal(value),
            items_answered=1,
            items_total=1,
            complete=True,
            scored=True,
        )
    RedFlag.objects.create(
        episode=episode,
        intake=intake,
        code="night_pain",
        tier="urgent",
        label="Pain at night",
        raised_at=now - datetime.timedelta(days=44),
        cleared_at=now - datetime.timedelta(days=43),
        cleared_by=clinician,
        clearance_note="Mechanical pattern on examination.",
    )
    first = today - datetime.timedelta(days=42)
    assessments = [
        AssessmentFactory(
            episode=episode,
            kind="initial" if number == 0 else "reassessment",
            assessed_on=first + datetime.timedelta(days=10 * number),
            exam={"rom_flexion_left": 110 + 2 * number, "pain_today": max(6 - number, 0)},
        )
        for number in range(REASSESSMENTS + 1)
    ]
    for assessment in assessments[::2]:
        plan = plan_services.plan_draft(actor=clinician, assessment=assessment)
        if assessment is not assessments[-1]:
            plan_services.plan_sign(actor=clinician, plan=plan)
    check_ins = [
        HomeProgramCheckIn(
            version=version, day=today - datetime.timedelta(days=offset), done_items=[0], pain=offset % 7
        )
        for plan in episode.plans.all()
        for version in plan.versions.all()
        for offset in range(LOGGED_DAYS)
    ]
    HomeProgramCheckIn.objects.bulk_create(check_ins)
    noon = datetime.datetime.combine(today, datetime.time(12), tzinfo=clinic.zone)
    for days in [*range(-2 * PAST_VISITS, 0, 2), *range(2, 2 * BOOKED_VISITS + 1, 2)]:
        start = noon + datetime.timedelta(days=days)
        AppointmentFactory(
            episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
        )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor_id=clinician.pk,
            clinic_id=clinic.pk,
            action="episode.viewed",
            object_type="clinic.episodeofcare",
            object_id=episode.pk,
            patient_id=episode.patient_id,
        )
        for _ in range(AUDIT_ROWS)
    )
    return episode


def _profile(request, count: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        request()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="requests of each kind (default 200)")
    parser.add_argument("--profile", action="store_true", help="cProfile 50 episode pages")
    add_database_arguments(parser, "bench_episode")
    arguments = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-episode-"))
    recreate_database(arguments.database)
    try:
        _setup(arguments.database, var_dir)
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        started = time.perf_counter()
        episode = _seeded_episode()
        seeded = time.perf_counter() - started
        client, anonymous = Client(), Client()
        client.force_login(episode.lead_clinician)
        url = f"/episodes/{episode.pk}/"

        def page() -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            assert b"Home program log" in response.content

        def bare() -> None:
            assert anonymous.get("/healthz").status_code == 200

        for _ in range(5):  # imports, template loading, first connection
            page()
            bare()
        timings: dict[str, list[float]] = {"page": [], "bare": []}
        cpu: dict[str, list[float]] = {"page": [], "bare": []}
        for _ in range(arguments.count):
            for name, request in (("page", page), ("bare", bare)):
                started, cpu_started = time.perf_counter(), time.thread_time()
                request()
                timings[name].append((time.perf_counter() - started) * 1000)
                cpu[name].append((time.thread_time() - cpu_started) * 1000)
        with CaptureQueriesContext(connection) as captured:
            page()
        statements = [query["sql"] for query in captured.captured_queries]
        writes = [sql for sql in statements if sql.split(None, 1)[0] in ("INSERT", "UPDATE", "DELETE")]
        means = {name: statistics.fmean(values) for name, values in timings.items()}
        with open("/proc/loadavg") as load:
            load_average = " ".join(load.read().split()[:3])
        lines = [
            f"Episode page benchmark: {arguments.count} requests of each kind, interleaved, Django's test client",
            f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load_average}",
            f"  episode: intake, {REASSESSMENTS + 1} assessments, 2 signed plans and a draft, {LOGGED_DAYS} days "
            f"of logs, {PAST_VISITS + BOOKED_VISITS} visits, {AUDIT_ROWS:,} audit rows; PostgreSQL; "
            f"seeded in {seeded:.0f} s",
            f"  statements per page: {len(statements)} ({len(writes)} writes: "
            + ", ".join(sql.replace("INSERT INTO ", "INSERT ").split(None, 2)[1].strip('"') for sql in writes)
            + ")",
        ]
        for name, label in (("page", "episode page"), ("bare", "bare view (/healthz)")):
            values = timings[name]
            lines.append(
                f"  {label + ':':<22} mean {means[name]:6.2f} ms, median {statistics.median(values):6.2f} ms "
                f"(min {min(values):.2f}, max {max(values):.2f}); this process's CPU: mean "
                f"{statistics.fmean(cpu[name]):.2f} ms"
            )
        lines.append(
            f"  ratio bare view / episode page (goal >= 0.10): {means['bare'] / means['page']:.3f} wall clock, "
            f"{statistics.fmean(cpu['bare']) / statistics.fmean(cpu['page']):.3f} CPU"
        )
        report = "\n".join(lines)
        print(report)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "episode_page.txt").write_text(report + "\n")
        if arguments.profile:
            profile = _profile(page, 50)
            (ARTIFACTS / "episode_page_profile.txt").write_text(profile)
            print(f"\nProfile of 50 pages: {ARTIFACTS / 'episode_page_profile.txt'}")
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not arguments.keep:
            drop_database(arguments.database)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
