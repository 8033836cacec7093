"""Benchmark: server time of an episode's progress page, against a bare Django view.

Run by hand from the repository root (it is not part of the test suite):

    .venv/bin/python bench/progress_page.py             # 30 requests of each kind
    .venv/bin/python bench/progress_page.py --count 50
    .venv/bin/python bench/progress_page.py --profile   # also cProfile one request (project functions)

It sets itself up in a temporary directory (SQLite database), migrates it and seeds one episode as a
clinic would have it after six visits: an intake with NPRS, ODI and LEFS scored, then six completed
assessments (a baseline and five re-assessments, every measurement recorded, ODI and LEFS re-scored
at each visit). Then, alternately and in one process, it asks Django's test client (the whole
middleware stack, a signed-in clinician) ``--count`` times for the progress page and ``--count``
times for ``/healthz`` (a bare view: no database, no template), the anchor, and draws the page's
three charts ``--count`` times from the same series (``assessments.charts`` alone). It prints the
median and spread of each in ms, the page's query count and the ratio of the page to the bare view;
the target is a progress page under 300 ms. The report also goes to
``test-artifacts/bench/progress_page.txt``. It deletes the temporary directory at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import os
import platform
import pstats
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import embedded

REPOSITORY = Path(__file__).resolve().parent.parent
VISITS = 6
ARTIFACTS = REPOSITORY / "test-artifacts" / "bench"


def _seeded_episode():
    """An intake (NPRS, ODI and LEFS scored) and six completed assessments, made through the services."""
    from decimal import Decimal

    from django.utils import timezone

    from intake import instruments
    from intake.models import Intake, IntakeStatus, QuestionnaireScore
    from tests.factories import AssessmentFactory, EpisodeFactory

    episode = EpisodeFactory()
    first_visit = timezone.localdate() - datetime.timedelta(days=7 * VISITS)
    intake = Intake.objects.create(
        episode=episode,
        status=IntakeStatus.SUBMITTED,
        submitted_at=timezone.now() - datetime.timedelta(days=7 * VISITS + 2),
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
    for visit in range(VISITS):
        outcomes = {f"outcome_odi_{item.code}": min(visit, 4) for item in instruments.ODI.items if not item.optional}
        outcomes |= {f"outcome_lefs_{item.code}": min(2 + visit // 2, 4) for item in instruments.LEFS.items}
        AssessmentFactory(
            episode=episode,
            kind="initial" if visit == 0 else "reassessment",
            assessed_on=first_visit + datetime.timedelta(days=7 * visit),
            exam={
                "rom_flexion_left": 110 + 3 * visit,
                "rom_flexion_right": 118,
                "rom_internal_rotation_left": 30 + visit,
                "pain_today": max(6 - visit, 0),
                "fms_deep_squat": 2 + visit // 3,
                **outcomes,
            },
        )
    return episode


def _profile(label: str, request) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    request()
    profiler.disable()
    out = io.StringIO()
    # The project's own functions, where a change can be made.
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(r"/(assessments|clinic|intake)/", 25)
    print(f"\n--- cProfile, {label} (the project's functions, top 25 by cumulative time) ---")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30, help="requests of each kind (default 30)")
    parser.add_argument("--profile", action="store_true", help="cProfile one progress request")
    arguments = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-progress-"))
    try:
        embedded.setup(var_dir, ALLOWED_HOSTS="testserver")
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from assessments import charts, selectors

        episode = _seeded_episode()
        client = Client()
        client.force_login(episode.lead_clinician)
        url = f"/episodes/{episode.pk}/progress/"

        def progress() -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            assert b"<svg" in response.content

        def bare() -> None:
            assert client.get("/healthz").status_code == 200

        series = selectors.chart_series(episode)

        def draw() -> None:
            charts.rom_chart(series["rom"])
            charts.outcome_chart(series["outcomes"])
            charts.fms_profile_chart(series["fms"])

        for request in (progress, bare):  # imports, template loading, first connection
            request()
        timings: dict[str, list[float]] = {"page": [], "bare": [], "charts": []}
        for _ in range(arguments.count):
            for name, request in (("page", progress), ("bare", bare), ("charts", draw)):
                started = time.perf_counter()
                request()
                timings[name].append((time.perf_counter() - started) * 1000)

        with CaptureQueriesContext(connection) as queries:
            progress()
        medians = {name: statistics.median(values) for name, values in timings.items()}
        labels = {"page": "progress page", "bare": "bare view (/healthz)", "charts": "the three charts alone"}
        lines = [
            f"Progress page benchmark: {arguments.count} requests of each kind, interleaved",
            f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.1f}",
            f"  episode: intake (NPRS, ODI, LEFS) and {VISITS} completed assessments; SQLite",
            f"  queries per progress page: {len(queries.captured_queries)}",
        ]
        for name, label in labels.items():
            values = timings[name]
            lines.append(
                f"  {label + ':':<25} median {medians[name]:7.1f} ms (min {min(values):.1f}, max {max(values):.1f})"
            )
        lines.append(f"  ratio progress page / bare view: {medians['page'] / medians['bare']:.1f}")
        report = "\n".join(lines)
        print(report)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "progress_page.txt").write_text(report + "\n")
        if arguments.profile:
            _profile("progress page", progress)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
