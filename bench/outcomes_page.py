"""The clinic outcomes page with 100,000 discharged episodes in PostgreSQL, timed in-process beside a bare view.

Run by hand from the repository root (it is not part of the test suite), with PostgreSQL answering:

    .venv/bin/python bench/outcomes_page.py
    .venv/bin/python bench/outcomes_page.py --repeat 10 --keep --database postgres://postgres@127.0.0.1:5432/bench_outcomes

It drops and creates the ``--database`` database, migrates it and generates, with ``INSERT ... SELECT
generate_series`` in PostgreSQL, the clinic and staff of ``bench/data_growth.py`` (its helpers) and, per patient,
one discharged episode: an initial and a closing assessment, each with the HOS ADL and the ODI; a coded condition
(one of the seven, in turn); a signed plan of three items, each chosen because of a finding; four attended
visits; and for half of them a follow-up that was due, three in ten of which went unanswered. Then it stores each
episode's judged outcome as the app does at discharge, through ``notes.outcome_facts.refresh_all`` (what the
migration that made the table runs for episodes discharged before it), since the page reads only those rows.

Then, signed in as a clinician, it requests ``/outcomes/`` (every episode, no filter), the same page filtered to
one clinician and one year, and the CSV, ``--repeat`` times each after 2 warm-up requests, beside ``/healthz``,
and prints the median and 95th percentile of the server time, the ratio to the bare view and the number of
queries. The target is 300 ms for the unfiltered page. The report goes to
``test-artifacts/bench/outcomes_page.txt``; the database is dropped at the end unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

from data_growth import _measure, _people
from databases import add_database_arguments, drop_database, recreate_database

REPOSITORY = Path(__file__).resolve().parent.parent
ARTIFACTS = REPOSITORY / "test-artifacts" / "bench"
EPISODES = 100_000
TARGET_MS = 300
CONDITIONS = [
    "non_specific_low_back_pain",
    "si_joint_pain",
    "lumbar_radiculopathy",
    "piriformis_syndrome",
    "gluteal_tendinopathy",
    "hip_flexor_strain",
    "itb_tfl_pain",
]
BECAUSE = ["Weak hip abductors", "Limited hip internal rotation", "Contralateral hip drop", "Overstriding"]
INSTRUCTIONS = "Lie on your side, knees bent; lift the top knee without rolling back. " * 3


def _generate(clinic, clinicians, today: datetime.date) -> dict[str, float]:
    from django.db import connection

    from clinic.scheduling import last_attended

    seconds = {}
    args = {
        "clinic": clinic.pk,
        "clinicians": [user.pk for user in clinicians],
        "count": len(clinicians),
        "episodes": EPISODES,
        "today": today,
        "conditions": CONDITIONS,
        "because": BECAUSE,
        "instructions": INSTRUCTIONS,
    }
    steps = [
        (
            "patients",
            """
            INSERT INTO clinic_patient (clinic_id, first_name, last_name, date_of_birth, sex, email, mobile_phone,
                preferred_contact_channel, contact_consent, created_at, updated_at)
            SELECT %(clinic)s, 'Runner', 'No' || g, date '1960-01-01' + (g %% 15000), 'unknown',
                   'runner' || g || '@outcomes.example.test', '', 'email', true, now(), now()
            FROM generate_series(1, %(episodes)s) AS g
            """,
        ),
        (
            "episodes",
            """
            INSERT INTO clinic_episodeofcare (patient_id, presenting_complaint, status, lead_clinician_id,
                opened_on, closed_on, created_at, updated_at)
            SELECT p.id, 'Hip pain after long runs', 'discharged', (%(clinicians)s::bigint[])[1 + p.id %% %(count)s],
                   %(today)s::date - 60 - (p.id %% 1500)::int, %(today)s::date - (p.id %% 1500)::int, now(), now()
            FROM clinic_patient p WHERE p.clinic_id = %(clinic)s
            """,
        ),
        (
            "discharges",
            """
            INSERT INTO notes_discharge (reason, reason_text, discharged_at, discharged_on, what_improved,
                home_program, when_to_come_back, referrer_name, referrer_address, letter_wanted, discharged_by_id,
                episode_id)
            SELECT 'goals_met', '', now(), e.closed_on, '', '', '', '', '', false, e.lead_clinician_id, e.id
            FROM clinic_episodeofcare e
            """,
        ),
        (
            "assessments",
            """
            INSERT INTO assessments_assessment (kind, status, assessed_on, rom_device, rom_mode, pain_today,
                overstriding, forward_lean, hip_drop, overpronation, lumbar_hyperextension, knee_valgus, form_notes,
                completed_at, created_at, updated_at, clinician_id, episode_id, fms_not_tested,
                fms_not_tested_reason, leg_length_not_tested, leg_length_not_tested_reason, rom_not_tested,
                rom_not_tested_reason, running_form_not_tested, running_form_not_tested_reason,
                special_tests_not_tested, special_tests_not_tested_reason)
            SELECT k.kind, 'completed', CASE WHEN k.kind = 'initial' THEN e.opened_on ELSE e.closed_on END,
                   'goniometer', 'passive', CASE WHEN k.kind = 'initial' THEN 6 ELSE 1 + e.id %% 5 END,
                   false, false, false, false, false, false, '', now(), now(), now(), e.lead_clinician_id, e.id,
                   true, '', true, '', true, '', true, '', true, ''
            FROM clinic_episodeofcare e CROSS JOIN (VALUES ('initial'), ('reassessment')) AS k(kind)
            """,
        ),
        (
            "conditions",
            """
            INSERT INTO assessments_finding (code, side, label, evidence, origin, reason, dismiss_reason, assessment_id)
            SELECT (%(conditions)s::text[])[1 + a.episode_id %% 7], '', 'Condition', '[]', 'added', 'Seen', '', a.id
            FROM assessments_assessment a WHERE a.kind = 'initial'
            """,
        ),
        (
            "outcome scores",
            """
            INSERT INTO assessments_outcomescore (instrument, answers, value, display, scored, assessment_id,
                detail)
            SELECT m.code, '{}',
                   CASE WHEN m.code = 'hos_adl' THEN
                            CASE WHEN a.kind = 'initial' THEN 50 ELSE 50 + a.episode_id %% 30 END
                        ELSE CASE WHEN a.kind = 'initial' THEN 40 ELSE 40 - a.episode_id %% 25 END END,
                   '', true, a.id, '{}'
            FROM assessments_assessment a CROSS JOIN (VALUES ('hos_adl'), ('odi')) AS m(code)
            """,
        ),
        (
            "signed plans",
            """
            WITH plans AS (
                INSERT INTO plans_treatmentplan (status, visits_per_week, weeks, goals, running_advice, referrals,
                    excluded, missing_prong_reasons, blocked, created_at, updated_at, assessment_id, created_by_id,
                    episode_id, clinician_notes)
                SELECT 'signed', 1, 6, '[]', '[]', '[]', '[]', '{}', false, now(), now(), a.id, a.clinician_id,
                       a.episode_id, '[]'
                FROM assessments_assessment a WHERE a.kind = 'initial'
                RETURNING id, created_by_id, episode_id
            )
            INSERT INTO plans_planversion (number, body, changes, signed_at, signed_by_id, plan_id)
            SELECT 1,
                   jsonb_build_object('weeks', 6, 'items', jsonb_build_array(
                       jsonb_build_object('name', 'Side-lying abduction', 'prong', 'exercise',
                           'instructions', %(instructions)s, 'dosage', '3 x 12',
                           'because', jsonb_build_array((%(because)s::text[])[1 + p.episode_id %% 4])),
                       jsonb_build_object('name', 'Hip mobilisation', 'prong', 'manipulation',
                           'instructions', %(instructions)s, 'dosage', '',
                           'because', jsonb_build_array((%(because)s::text[])[1 + (p.episode_id / 4) %% 4])),
                       jsonb_build_object('name', 'Gluteal release', 'prong', 'soft_tissue',
                           'instructions', %(instructions)s, 'dosage', '',
                           'because', jsonb_build_array('Gluteal tenderness')))),
                   '[]', now(), p.created_by_id, p.id
            FROM plans p
            """,
        ),
        (
            "visits",
            """
            INSERT INTO scheduling_appointment (episode_id, clinician_id, kind, starts_at, ends_at, status,
                cancel_reason, override_reason, created_at, updated_at, sequence, notified_sequence)
            SELECT e.id, e.lead_clinician_id, 'follow_up', s.starts_at, s.starts_at + interval '30 minutes',
                   'completed', '', '', now(), now(), 1, 1
            FROM clinic_episodeofcare e CROSS JOIN generate_series(0, 3) AS v
            CROSS JOIN LATERAL (
                SELECT timestamptz '2000-01-01 00:00+00' + ((e.id * 4 + v) * interval '30 minutes') AS starts_at
            ) AS s
            """,
        ),
        (
            "follow-ups",
            """
            INSERT INTO notes_followup (kind, due_on, last_error, answered_at, created_at, episode_id)
            SELECT 'follow_up', e.closed_on + 30, '', CASE WHEN e.id %% 10 < 3 THEN NULL ELSE now() END, now(), e.id
            FROM clinic_episodeofcare e WHERE e.id %% 2 = 0 AND e.closed_on + 30 < %(today)s::date
            """,
        ),
        ("vacuum analyze", "VACUUM ANALYZE"),
    ]
    with connection.cursor() as cursor:
        # Each visit is its own half hour since 2000, so no two overlap; loaded without the check, then checked.
        cursor.execute("ALTER TABLE scheduling_appointment DROP CONSTRAINT appointment_no_double_booking")
        for label, sql in steps:
            if label == "vacuum analyze":
                cursor.execute(
                    """
                    ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_double_booking
                        EXCLUDE USING gist (clinician_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
                        WHERE (status <> 'cancelled')
                    """
                )
            started = time.perf_counter()
            cursor.execute(sql, None if label == "vacuum analyze" else args)
            seconds[label] = time.perf_counter() - started
            if label == "visits":
                # Raw SQL sends no signals: each episode's latest attended visit is stored after, in one UPDATE.
                started = time.perf_counter()
                last_attended.refresh()
                seconds["episodes' last attended visit"] = time.perf_counter() - started
    return seconds


def _store_outcomes() -> float:
    from django.db import connection

    from notes import outcome_facts

    started = time.perf_counter()
    outcome_facts.refresh_all()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notes_outcomeepisode")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed requests of each page (default 15)")
    add_database_arguments(parser, "bench_outcomes")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept with --keep")
    options = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-outcomes-"))
    try:
        if not options.reuse:
            recreate_database(options.database)
        for variable in ("REDIS_URL", "STATIC_MANIFEST", "EMAIL_URL"):
            os.environ.pop(variable, None)
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

        from clinic.models import Clinic, User
        from notes.models import Discharge

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrate_seconds = time.perf_counter() - started
        if options.reuse:
            clinic = Clinic.objects.get(name="Growth Running Clinic")
            clinicians = list(User.objects.filter(email__startswith="clinician").order_by("pk"))
            generated = {"nothing (reused)": 0.0}
        else:
            people = _people()
            clinic, clinicians = people["clinic"], people["clinicians"]
            generated = _generate(clinic, clinicians, timezone.localdate(timezone=clinic.zone))
            generated["stored outcomes"] = _store_outcomes()
        today = timezone.localdate(timezone=clinic.zone)
        discharged = Discharge.objects.count()

        client, anonymous = Client(), Client()
        client.force_login(clinicians[0], backend="clinic.backends.StaffBackend")
        year = f"discharged_from={today - datetime.timedelta(days=365)}&discharged_to={today}"

        def ok(response):
            assert response.status_code == 200, response.status_code

        pages = [
            ("baseline: /healthz (no session)", lambda: anonymous.get("/healthz")),
            ("outcomes page, every episode", lambda: client.get("/outcomes/")),
            (
                "outcomes page, one clinician, one year",
                lambda: client.get(f"/outcomes/?clinician={clinicians[3].pk}&{year}"),
            ),
            ("outcomes CSV, every episode", lambda: client.get("/outcomes.csv")),
        ]
        with open("/proc/loadavg") as load:
            load_before = " ".join(load.read().split()[:3])
        results = [_measure(client, label, call, options.repeat, ok) for label, call in pages]
        with open("/proc/loadavg") as load:
            load_after = " ".join(load.read().split()[:3])
        bare = results[0]["median"]
        lines = [
            f"Outcomes page benchmark: {discharged:,} discharged episodes in PostgreSQL; "
            f"{options.repeat} timed requests per page",
            f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"load average {load_before} before the timed requests, {load_after} after",
            f"  generated in: migrate {migrate_seconds:.0f} s, "
            + ", ".join(f"{what} {seconds:.0f} s" for what, seconds in generated.items()),
            "  server time = Django test client, in-process, signed in as a clinician, production settings",
            f"  {'page':<42} {'median':>9} {'p95':>9} {'CPU':>9} {'SQL':>9} {'queries':>7} {'x bare':>7}",
        ]
        for result in results:
            verdict = (
                "" if result is results[0] else ("  [ok]" if result["p95"] < TARGET_MS else f"  [OVER {TARGET_MS} ms]")
            )
            lines.append(
                f"  {result['label']:<42} {result['median']:>7.1f}ms {result['p95']:>7.1f}ms {result['cpu']:>7.1f}ms "
                f"{result['sql_ms']:>7.1f}ms {result['queries']:>7} {result['median'] / bare:>7.0f}{verdict}"
            )
        report = "\n".join(lines)
        print(report)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "outcomes_page.txt").write_text(report + "\n")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        if not options.keep:
            from django.db import connections

            connections.close_all()
            drop_database(options.database)


if __name__ == "__main__":
    main()
