"""Data growth: patient search and the day view with 100,000 patients and 1,000,000
appointments in PostgreSQL, timed in-process (server time: middleware, view, queries, template).

Run by hand from the repository root (it is not part of the test suite), with PostgreSQL
answering; it takes about three minutes, most of it generating the rows:

    .venv/bin/python bench/data_growth.py
    .venv/bin/python bench/data_growth.py --repeat 50 --keep \\
        --database postgres://postgres@127.0.0.1:5432/bench_growth

It drops and creates the ``--database`` database, migrates it and generates, with
``INSERT ... SELECT generate_series`` in PostgreSQL, one synthetic clinic of 20 clinicians
and a front desk, 100,000 patients (synthetic names from short lists, so a common surname
matches some 500 patients), one episode of care each (30 % open) and 1,000,000 appointments:
each clinician 16 half-hour visits a day, every day for 3,125 days (about 7 years back and
1.5 years ahead), so no two visits of a clinician overlap (the exclusion constraint of
``scheduling/0003`` is dropped for the load and added back, which checks every row).

Then, signed in as the front desk with Django's test client, it requests each page
``--repeat`` times (after 3 warm-up requests) and prints the median and 95th percentile of
the server time, the number of queries, and, for the slowest query of each page, the
execution time PostgreSQL reports under ``EXPLAIN ANALYZE`` with the plan's top line. The
whole plans go to ``test-artifacts/bench/data_growth_plans.txt``, the report to
``test-artifacts/bench/data_growth.txt``. The target is 100 ms for each page. The database
is dropped at the end unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import json
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
PATIENTS = 100_000
CLINICIANS = 20
VISITS_PER_DAY = 16
DAYS = 3_125  # 20 clinicians x 16 visits x 3,125 days = 1,000,000 appointments
DAYS_BACK = 2_500
TARGET_MS = 100
FIRST_NAMES = (  # noqa: SIM905 - a line of names reads better than a list of quoted ones
    "Alex Ana Ben Carla Chris Dana Eli Emma Finn Gina Hugo Ida Jack Jo Kai Lena Leo Lila Luca Maya Mia Nora Omar "
    "Pia Quinn Rosa Sam Sara Tom Uma Vera Will Xena Yara Zoe Aiden Bea Cole Dora Evan Faye Gus Hana Ivan Jade Kurt "
    "Lars Mona Nils Olga"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Garcia Smith Johnson Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson Thompson White "
    "Lopez Lee Gonzalez Harris Clark Lewis Robinson Walker Perez Hall Young Allen Sanchez Wright King Scott Green "
    "Baker Adams Nelson Hill Ramirez Campbell Mitchell Roberts Carter Phillips Evans Turner Torres Parker Collins "
    "Edwards Stewart Flores Morris Nguyen Murphy Rivera Cook Rogers Morgan Peterson Cooper Reed Bailey Bell Gomez "
    "Kelly Howard Ward Cox Diaz Richardson Wood Watson Brooks Bennett Gray James Reyes Cruz Hughes Price Myers Long "
    "Foster Sanders Ross Morales Powell Sullivan Russell Ortiz Jenkins Gutierrez Perry Butler Barnes Fisher Henderson "
    "Coleman Simmons Patterson Jordan Reynolds Hamilton Graham Kim Gonzales Alexander Ramos Wallace Griffin West Cole "
    "Hayes Chavez Gibson Bryant Ellis Stevens Murray Ford Marshall Owens McDonald Harrison Ruiz Kennedy Wells Alvarez "
    "Woods Mendoza Castillo Olson Webb Washington Tucker Freeman Burns Henry Vasquez Snyder Simpson Crawford Jimenez "
    "Porter Mason Shaw Gordon Wagner Hunter Romero Hicks Dixon Hunt Palmer Robertson Black Holmes Stone Meyer Boyd "
    "Mills Warren Fox Rose Rice Moreno Schmidt Patel Ferguson Nichols Herrera Medina Ryan Fernandez Weaver Daniels "
    "Stephens Gardner Payne Kelley Dunn Pierce Arnold Tran Spencer Peters Hawkins Grant Hansen Castro Hoffman Hart "
    "Elliott Cunningham Knight Bradley"
).split()


def _people() -> dict:
    """The clinic and its staff, through the ORM; the patients and visits, in SQL."""
    from django.contrib.auth.models import Group

    from clinic.models import Clinic, User
    from clinic.permissions import Role
    from clinic.scheduling.models import WorkingHours

    clinic = Clinic.objects.create(name="Growth Running Clinic", time_zone="America/Chicago", phone="+13125550100")
    clinicians = User.objects.bulk_create(
        User(email=f"clinician{n}@growth.example.test", full_name=f"Clinician {n:02d}", clinic=clinic)
        for n in range(CLINICIANS)
    )
    Group.objects.get(name=Role.CLINICIAN.value).user_set.add(*clinicians)
    WorkingHours.objects.bulk_create(
        WorkingHours(clinician=user, weekday=day, start=datetime.time(8), end=datetime.time(18))
        for user in clinicians
        for day in range(7)
    )
    desk = User.objects.create(email="desk@growth.example.test", full_name="Front Desk", clinic=clinic)
    desk.groups.set(Group.objects.filter(name=Role.FRONT_DESK.value))
    return {"clinic": clinic, "clinicians": clinicians, "desk": desk}


def _generate(clinic, clinicians, today: datetime.date) -> dict[str, float]:
    from django.db import connection

    from clinic.scheduling import last_attended

    seconds = {}
    first_day = today - datetime.timedelta(days=DAYS_BACK)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            """
            INSERT INTO clinic_patient (clinic_id, first_name, last_name, date_of_birth, sex, email, mobile_phone,
                preferred_contact_channel, contact_consent, created_at, updated_at)
            SELECT %(clinic)s,
                   (%(first)s::text[])[1 + (g * 7) %% array_length(%(first)s::text[], 1)],
                   (%(last)s::text[])[1 + (g * 13) %% array_length(%(last)s::text[], 1)],
                   date '1950-01-01' + ((g * 7919) %% 20000)::int,
                   (ARRAY['female', 'male', 'other', 'unknown'])[1 + g %% 4],
                   'patient' || g || '@growth.example.test',
                   CASE WHEN g %% 10 < 7 THEN '+1312' || lpad((5000000 + g)::text, 7, '0') ELSE '' END,
                   'email', g %% 5 > 0, now(), now()
            FROM generate_series(1, %(patients)s) AS g
            """,
            {"clinic": clinic.pk, "first": FIRST_NAMES, "last": LAST_NAMES, "patients": PATIENTS},
        )
        cursor.execute(
            """
            INSERT INTO clinic_episodeofcare (patient_id, presenting_complaint, status, lead_clinician_id,
                opened_on, closed_on, created_at, updated_at)
            SELECT p.id, 'Hip pain after long runs',
                   CASE WHEN p.id %% 10 < 3 THEN 'open' ELSE 'discharged' END,
                   (%(clinicians)s::bigint[])[1 + p.id %% %(count)s],
                   %(first_day)s::date + (p.id %% %(days)s)::int,
                   CASE WHEN p.id %% 10 < 3 THEN NULL ELSE %(first_day)s::date + (p.id %% %(days)s)::int + 60 END,
                   now(), now()
            FROM clinic_patient p WHERE p.clinic_id = %(clinic)s
            """,
            {
                "clinic": clinic.pk,
                "clinicians": [user.pk for user in clinicians],
                "count": len(clinicians),
                "first_day": first_day,
                "days": DAYS,
            },
        )
        seconds["patients and episodes"] = time.perf_counter() - started

        started = time.perf_counter()
        # Loaded without the exclusion constraint, then it is added back: adding it checks every row.
        cursor.execute("ALTER TABLE scheduling_appointment DROP CONSTRAINT appointment_no_double_booking")
        cursor.execute(
            """
            INSERT INTO scheduling_appointment (episode_id, clinician_id, kind, starts_at, ends_at, status,
                cancel_reason, override_reason, created_at, updated_at, sequence, notified_sequence)
            SELECT e.first_id + (g::bigint * 7919) %% %(patients)s,
                   (%(clinicians)s::bigint[])[1 + g / (%(days)s * %(per_day)s)],
                   CASE WHEN g %% 8 = 0 THEN 'reassessment' ELSE 'follow_up' END,
                   v.starts_at, v.starts_at + interval '30 minutes',
                   CASE WHEN v.starts_at > now() THEN 'booked'
                        WHEN g %% 20 = 0 THEN 'cancelled' WHEN g %% 20 = 1 THEN 'no_show' ELSE 'completed' END,
                   CASE WHEN v.starts_at <= now() AND g %% 20 = 0 THEN 'Patient called' ELSE '' END,
                   '', now(), now(), 1, 1
            FROM generate_series(0, %(visits)s - 1) AS g
            CROSS JOIN (SELECT min(id) AS first_id FROM clinic_episodeofcare) AS e
            CROSS JOIN LATERAL (
                SELECT ((%(first_day)s::date + ((g %% (%(days)s * %(per_day)s)) / %(per_day)s)::int) + time '08:00'
                        + (g %% %(per_day)s) * interval '30 minutes') AT TIME ZONE %(zone)s AS starts_at
            ) AS v
            """,
            {
                "patients": PATIENTS,
                "clinicians": [user.pk for user in clinicians],
                "days": DAYS,
                "per_day": VISITS_PER_DAY,
                "visits": CLINICIANS * DAYS * VISITS_PER_DAY,
                "first_day": first_day,
                "zone": clinic.time_zone,
            },
        )
        seconds["appointments"] = time.perf_counter() - started
        started = time.perf_counter()
        # Raw SQL sends no signals: each episode's latest attended visit is stored after, in one UPDATE.
        last_attended.refresh()
        seconds["episodes' last attended visit"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute(
            """
            ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_double_booking
                EXCLUDE USING gist (clinician_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
                WHERE (status <> 'cancelled')
            """
        )
        seconds["exclusion constraint added back"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        seconds["vacuum analyze"] = time.perf_counter() - started
    return seconds


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def _explain(sql: str) -> tuple[float, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        text = "\n".join(row[0] for row in cursor.fetchall())
    if isinstance(plan, str):
        plan = json.loads(plan)
    return plan[0]["Execution Time"], text


def _measure(client, label: str, call, repeat: int, check, profile: bool = False) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        check(call())
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [check(call()) for _ in range(repeat)])
        print(f"== profile: {label}, {repeat} requests")
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(40)
    timings, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.thread_time()
        response = call()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
        check(response)
    with CaptureQueriesContext(connection) as queries:
        check(call())
    slowest = max(queries.captured_queries, key=lambda query: float(query["time"]), default={"sql": "", "time": 0})
    explain_ms, plan = _explain(slowest["sql"]) if slowest["sql"].lstrip().startswith("SELECT") else (0.0, "-")
    return {
        "sql_ms": sum(float(query["time"]) for query in queries.captured_queries) * 1000,
        "label": label,
        "median": statistics.median(timings),
        "cpu": statistics.median(cpu),
        "p95": _percentile(timings, 0.95),
        "queries": len(queries.captured_queries),
        "slowest_sql": slowest["sql"],
        "explain_ms": explain_ms,
        "plan": plan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed requests of each page (default 30)")
    add_database_arguments(parser, "bench_growth")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept with --keep (migrated, not regenerated)"
    )
    parser.add_argument("--only", default="", help="measure only the pages whose label contains this text")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the measured pages' timed requests with cProfile (top 40 by own time, per page)",
    )
    options = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-growth-"))
    try:
        if not options.reuse:
            recreate_database(options.database)
        for variable in ("REDIS_URL", "STATIC_MANIFEST", "EMAIL_URL"):
            os.environ.pop(variable, None)
        # Production settings, except that the test client speaks plain HTTP.
        os.environ.update(
            DJANGO_SETTINGS_MODULE="clinic.settings",
            DATABASE_URL=options.database,
            VAR_DIR=str(var_dir),
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="testserver",
            SECURE_SSL_REDIRECT="false",
            STATIC_MANIFEST="false",
            CELERY_TASK_ALWAYS_EAGER="true",
            LOG_LEVEL="WARNING",
        )
        sys.path.insert(0, str(REPOSITORY))
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client
        from django.utils import timezone

        from clinic.models import EpisodeOfCare, Patient
        from clinic.scheduling.models import Appointment

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrate_seconds = time.perf_counter() - started
        if options.reuse:
            from clinic.models import Clinic, User

            clinic = Clinic.objects.get(name="Growth Running Clinic")
            clinicians = list(User.objects.filter(email__startswith="clinician").order_by("email"))
            clinicians.sort(key=lambda user: int(user.email.removeprefix("clinician").split("@")[0]))
            desk = User.objects.get(email="desk@growth.example.test")
            today = timezone.localdate(timezone=clinic.zone)
            generated = {"nothing (reused)": 0.0}
        else:
            people = _people()
            clinic, clinicians, desk = people["clinic"], people["clinicians"], people["desk"]
            today = timezone.localdate(timezone=clinic.zone)
            generated = _generate(clinic, clinicians, today)
        counts = {
            "patients": Patient.objects.count(),
            "episodes": EpisodeOfCare.objects.count(),
            "appointments": Appointment.objects.count(),
        }

        client, anonymous = Client(), Client()
        client.force_login(desk)
        sample = Patient.objects.filter(mobile_phone__gt="").order_by("id")[5000]
        clinician = clinicians[3]
        slot = datetime.datetime.combine(today + datetime.timedelta(days=2), datetime.time(9), tzinfo=clinic.zone)
        book_url = f"/schedule/book/?clinician={clinician.pk}&start={slot.isoformat()}"
        past_day = (today - datetime.timedelta(days=400)).isoformat()

        def html_ok(response):
            assert response.status_code == 200, response.status_code

        def search(query: str):
            return lambda: client.post("/patients/", {"q": query})

        def api_search(query: str):
            return lambda: client.post("/api/patients/search/", {"q": query}, content_type="application/json")

        pages = [
            # What a request costs on this machine when it does nothing: the rest is the page's own.
            ("baseline: /healthz (no session)", lambda: anonymous.get("/healthz")),
            ("baseline: patient page (1 patient)", lambda: client.get(f"/patients/{sample.pk}/")),
            ("patient list, no query (GET /patients/)", lambda: client.get("/patients/")),
            ("HTML search: surname 'Garcia'", search("Garcia")),
            ("HTML search: 'Mia Garcia'", search("Mia Garcia")),
            ("HTML search: prefix 'Ga'", search("Ga")),
            ("HTML search: one letter 'M'", search("M")),
            ("HTML search: birth date", search(sample.date_of_birth.isoformat())),
            ("HTML search: mobile number", search(str(sample.mobile_phone))),
            ("booking search: 'Garcia'", lambda: client.post(book_url, {"q": "Garcia", "kind": "follow_up"})),
            ("API search: 'Garcia'", api_search("Garcia")),
            ("API search: one letter 'M'", api_search("M")),
            ("front-desk dashboard (next 20 visits)", lambda: client.get("/")),
            ("day view, today (5 clinicians, 80 visits)", lambda: client.get("/schedule/")),
            ("day view, a day 400 days ago", lambda: client.get(f"/schedule/?day={past_day}")),
            ("day view, today, one clinician (16)", lambda: client.get(f"/schedule/?clinician={clinician.pk}")),
            ("week view (5 clinicians, 560 visits)", lambda: client.get("/schedule/week/")),
            ("week view, one clinician (112)", lambda: client.get(f"/schedule/week/?clinician={clinician.pk}")),
            (
                "availability API, one clinician",
                lambda: client.get(
                    f"/api/appointments/availability/?clinician={clinician.pk}&day={today + datetime.timedelta(days=2)}"
                ),
            ),
        ]
        with open("/proc/loadavg") as load:
            load_before = " ".join(load.read().split()[:3])
        pages = [(label, call) for label, call in pages if options.only in label]
        results = [_measure(client, label, call, options.repeat, html_ok, options.profile) for label, call in pages]

        with open("/proc/loadavg") as load:
            load_average = " ".join(load.read().split()[:3])
        load_average = f"{load_before} before the timed requests, {load_average} after"
        lines = [
            f"Data growth benchmark: {counts['patients']:,} patients, {counts['episodes']:,} episodes, "
            f"{counts['appointments']:,} appointments in PostgreSQL; {options.repeat} timed requests per page",
            f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"load average {load_average}",
            f"  generated in: migrate {migrate_seconds:.0f} s, "
            + ", ".join(f"{what} {seconds:.0f} s" for what, seconds in generated.items()),
            "  server time = Django test client, in-process, signed in as the front desk (middleware, view,",
            "  queries, template), production settings (DEBUG off, cached templates)",
            "  SQL = the time of all the page's queries in one request; slowest query = the page's slowest,",
            "  re-run under EXPLAIN ANALYZE (execution time and the plan's top node; whole plans in the file below)",
            "  CPU = this process's CPU time per request (median): the Python side without waiting for a core",
            f"  {'page':<44} {'median':>8} {'p95':>8} {'CPU':>8} {'SQL':>8} {'queries':>7}  slowest query",
        ]
        for result in results:
            verdict = "ok" if result["p95"] < TARGET_MS else f"OVER {TARGET_MS} ms"
            top_node = result["plan"].splitlines()[0].strip()[:48]
            lines.append(
                f"  {result['label']:<44} {result['median']:>6.1f}ms {result['p95']:>6.1f}ms {result['cpu']:>6.1f}ms "
                f"{result['sql_ms']:>6.1f}ms {result['queries']:>7}  "
                f"{result['explain_ms']:.1f} ms: {top_node}  [{verdict}]"
            )
        report = "\n".join(lines)
        print(report)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "data_growth.txt").write_text(report + "\n")
        (ARTIFACTS / "data_growth_plans.txt").write_text(
            "\n\n".join(f"== {result['label']}\n{result['slowest_sql']}\n\n{result['plan']}" for result in results)
            + "\n"
        )
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not (options.keep or options.reuse):
            drop_database(options.database)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
