"""Benchmark: server time of the patient's intake steps (GET and valid POST), against a bare view,
in one process, and where that time goes.

Run by hand from the repository root (it is not part of the test suite), with PostgreSQL
answering:

    .venv/bin/python bench/intake_step.py                  # 300 requests of each kind
    .venv/bin/python bench/intake_step.py --profile        # also cProfile 120 steps of each kind

It drops and creates the ``--database`` database, migrates it and seeds it as the load test does
(``bench/load.py``: a clinic, its clinicians, patients with open episodes and live intake links).
Then, alternately and in one process, Django's test client (the whole middleware stack,
production settings: DEBUG off, cached templates) asks for an intake step page round the links
and steps, posts a step's valid answers (a 302 to the next step), and asks for ``/healthz``
without a session (the anchor). It prints each kind's median and mean in ms, this process's CPU
per request, the statements of one request, and the ratio of the bare view's time to each. With
``--profile`` it also prints the share of the step pages' time in their parts (the link's
lookup, the view's writes, the form and template rendering, the read's audit row, the
middleware), from cProfile's cumulative times; the whole profiles go to
``test-artifacts/bench/intake_step_profile.txt``. The database is dropped at the end unless
``--keep``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import os
import platform
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import episode_page
import load
from databases import add_database_arguments, drop_database, recreate_database

ARTIFACTS = episode_page.ARTIFACTS
# The parts of a step's time, as (label, file suffix, function name) of the function whose
# cumulative time is the part's.
PARTS = [
    ("the link's lookup (signature, query, row checks)", "clinic/link_pages.py", "open_link"),
    ("the step's save (POST)", "intake/services.py", "step_save"),
    ("the form and the page's template", "django/shortcuts.py", "render"),
    ("the audit row of the read", "clinic/audit.py", "finish_response"),
    ("the session", "django/contrib/sessions/middleware.py", "process_response"),
    ("the CSRF check and cookie", "django/middleware/csrf.py", "process_view"),
]


def _shares(profiler: cProfile.Profile, requests: int) -> list[str]:
    stats = pstats.Stats(profiler).stats
    total = sum(tt for (_, _, tt, _, _) in stats.values())
    lines = [f"    all: {total / requests * 1000:.1f} ms a request under the profiler"]
    for label, suffix, name in PARTS:
        cumulative = sum(
            ct
            for (filename, _, function), (_, _, _, ct, _) in stats.items()
            if filename.endswith(suffix) and function == name
        )
        if cumulative:
            lines.append(f"    {label}: {cumulative / requests * 1000:.1f} ms ({cumulative / total:.0%})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="requests of each kind (default 300)")
    parser.add_argument("--profile", action="store_true", help="cProfile 120 steps of each kind")
    add_database_arguments(parser, "bench_intake")
    arguments = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-intake-"))
    recreate_database(arguments.database)
    try:
        episode_page._setup(arguments.database, var_dir)
        from django.db import connection
        from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        # Enough links that every post saves a step not saved before (a patient each).
        links = (arguments.count + 200) // 6 + 10
        plan = load._seed(links, links)
        steps = plan["steps"]
        gets = itertools.cycle([(link, step["code"]) for link in plan["links"][:50] for step in steps])
        posts = iter([(link, step) for link in plan["links"] for step in steps])
        patient, anonymous = Client(enforce_csrf_checks=True), Client()
        secret = _get_new_csrf_string()
        patient.cookies["csrftoken"] = secret

        def step_page() -> None:
            link, code = next(gets)
            response = patient.get(f"/intake/{link}/step/{code}/")
            assert response.status_code == 200, response.status_code

        def step_answers() -> None:
            link, step = next(posts)
            response = patient.post(
                f"/intake/{link}/step/{step['code']}/",
                {"csrfmiddlewaretoken": _mask_cipher_secret(secret), **step["answers"]},
            )
            assert response.status_code == 302, (response.status_code, response.content[:300])

        def bare() -> None:
            assert anonymous.get("/healthz").status_code == 200

        kinds = {"GET": step_page, "POST": step_answers, "bare": bare}
        for _ in range(5):  # imports, template loading, first connection
            for request in kinds.values():
                request()
        timings: dict[str, list[float]] = {name: [] for name in kinds}
        cpu: dict[str, list[float]] = {name: [] for name in kinds}
        for _ in range(arguments.count):
            for name, request in kinds.items():
                started, cpu_started = time.perf_counter(), time.thread_time()
                request()
                timings[name].append((time.perf_counter() - started) * 1000)
                cpu[name].append((time.thread_time() - cpu_started) * 1000)
        statements = {}
        for name in ("GET", "POST"):
            with CaptureQueriesContext(connection) as captured:
                kinds[name]()
            statements[name] = [query["sql"].split(None, 1)[0] for query in captured.captured_queries]
        with open("/proc/loadavg") as load_file:
            load_average = " ".join(load_file.read().split()[:3])
        lines = [
            f"Intake step benchmark: {arguments.count} requests of each kind, interleaved, Django's test client",
            f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load_average}; PostgreSQL",
        ]
        labels = {"GET": "step page (GET)", "POST": "step answers (POST)", "bare": "bare view (/healthz)"}
        for name, label in labels.items():
            values = timings[name]
            lines.append(
                f"  {label + ':':<22} median {statistics.median(values):6.2f} ms, "
                f"mean {statistics.fmean(values):6.2f} ms; "
                f"this process's CPU: mean {statistics.fmean(cpu[name]):.2f} ms"
                + (f"; statements: {' '.join(statements[name])}" if name in statements else "")
            )
        for name in ("GET", "POST"):
            lines.append(
                f"  ratio bare view / {labels[name]} (goal >= 0.25): "
                f"{statistics.fmean(timings['bare']) / statistics.fmean(timings[name]):.3f} wall clock, "
                f"{statistics.fmean(cpu['bare']) / statistics.fmean(cpu[name]):.3f} CPU"
            )
        if arguments.profile:
            profiles = []
            for name in ("GET", "POST"):
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(120):
                    kinds[name]()
                profiler.disable()
                lines.append(f"  where a {labels[name]}'s time goes (120 requests under cProfile):")
                lines += _shares(profiler, 120)
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("cumulative").print_stats(50)
                stats.sort_stats("tottime").print_stats(25)
                profiles.append(f"== {labels[name]}\n{out.getvalue()}")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "intake_step_profile.txt").write_text("\n".join(profiles))
        report = "\n".join(lines)
        print(report)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "intake_step.txt").write_text(report + "\n")
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not arguments.keep:
            drop_database(arguments.database)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
