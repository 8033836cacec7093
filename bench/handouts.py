"""Benchmark: rendering a typical home-program handout, per page, against bare WeasyPrint.

Run by hand from the repository root (it is not part of the test suite):

    .venv/bin/python bench/handouts.py            # 20 renders of each kind
    .venv/bin/python bench/handouts.py --count 50

It sets itself up in a temporary directory (SQLite database, media files), migrates it, signs a
typical plan (three home exercises, two clinic treatments, six weeks) through
``plans.services.plan_sign`` and then, interleaved in the same run, renders ``--count`` times each:

  1. the handout through the project's render path (``plans.handouts.render``: row lock,
     template, WeasyPrint, storage);
  2. the same HTML with bare ``weasyprint.HTML(string=..., base_url=...,
     url_fetcher=LocalFilesFetcher()).write_pdf()`` (the project's fetcher, which every render
     uses, so that both read the same files the same way): what our own code adds;
  3. the anchor: a plain two-page sheet of text and a table with bare ``HTML(string=...).write_pdf()``.

It prints the median and spread of each, the handout's time per page over the anchor's (the
goal is at most 1.5), the process's RSS before and after the renders (ru_maxrss and the current
resident set), the peak Python allocation of one render of each kind (tracemalloc) and the load
average, and deletes the temporary directory at the end.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import platform
import resource
import shutil
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import embedded

REPOSITORY = Path(__file__).resolve().parent.parent
ARTIFACTS = REPOSITORY / "test-artifacts" / "bench"
HOME_EXERCISES = ("glute-bridge", "clamshell", "hip-flexor-stretch")
# The anchor: a plain sheet that WeasyPrint lays out on exactly two pages (checked at the start).
SHEET = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Sheet</title>"
    "<style>body { font-family: 'DejaVu Sans', sans-serif; font-size: 10.5pt; line-height: 1.4 }"
    " td, th { border: 1px solid #888; padding: 3pt }</style></head><body><h1>A two-page sheet</h1>"
    + "".join(
        f"<h2>Section {n}</h2><p>{'Plain running text that fills the page in the usual way. ' * 9}</p>"
        for n in range(1, 9)
    )
    + "<table><tr><th>Day</th><th>Note</th></tr>"
    + "".join(f"<tr><td>Day {n}</td><td>Something to write down</td></tr>" for n in range(1, 8))
    + "</table></body></html>"
)
CLINIC_TREATMENTS = ("lumbopelvic-thrust", "gluteal-piriformis-release")


def _signed_handout():
    """A typical plan signed through the plan service; signing renders it once (eager Celery)."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from assessments.models import Assessment, AssessmentStatus
    from clinic.models import Clinic, ClinicianProfile, EpisodeOfCare, Patient, User
    from clinic.permissions import Role
    from plans import services
    from plans.models import Handout, Intervention, TreatmentPlan

    clinic = Clinic.objects.create(name="Bench Running Clinic", time_zone="America/Chicago", phone="+13125550100")
    clinician = User.objects.create(email="bench.clinician@example.test", full_name="Dana Lead", clinic=clinic)
    clinician.groups.set(Group.objects.filter(name=Role.CLINICIAN.value))
    ClinicianProfile.objects.create(user=clinician, credentials="DC")
    patient = Patient.objects.create(
        clinic=clinic,
        first_name="Sam",
        last_name="Runner",
        date_of_birth=datetime.date(1990, 4, 2),
        sex="female",
        email="sam.runner@example.test",
    )
    episode = EpisodeOfCare.objects.create(
        patient=patient, presenting_complaint="Hip pain after long runs", lead_clinician=clinician
    )
    assessment = Assessment.objects.create(
        episode=episode, clinician=clinician, status=AssessmentStatus.COMPLETED, completed_at=timezone.now()
    )
    services.library_seed(clinic=clinic)
    plan = TreatmentPlan.objects.create(
        episode=episode,
        assessment=assessment,
        created_by=clinician,
        weeks=6,
        running_advice=["Take slightly shorter steps when you run.", "Add no more than 10% to your week."],
    )
    for key in CLINIC_TREATMENTS + HOME_EXERCISES:
        services.item_add(actor=clinician, plan=plan, intervention=Intervention.objects.get(clinic=clinic, key=key))
    version = services.plan_sign(actor=clinician, plan=plan)
    return Handout.objects.get(version=version)


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _resident_mib() -> float:
    """The process's resident set now (not its peak), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20, help="renders of each kind (default 20)")
    count = parser.parse_args().count

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-handouts-"))
    try:
        embedded.setup(var_dir)
        from weasyprint import HTML
        from weasyprint import __version__ as weasyprint_version

        from clinic.pdf import LocalFilesFetcher
        from plans import handouts
        from plans.models import Handout, HandoutDelivery, HandoutStatus

        handout = _signed_handout()
        assert handout.status == HandoutStatus.READY, handout.error
        html = handouts.html(handout.version)

        def ours() -> None:
            # A ready handout is never rendered again; putting it back in the queue (and its
            # message back to waiting) is what a retry does, so each call below is a full render.
            Handout.objects.filter(pk=handout.pk).update(
                status=HandoutStatus.QUEUED, delivery=HandoutDelivery.WAITING, delivered_at=None, delivery_channel=""
            )
            assert handouts.render(handout_id=handout.pk)

        def bare() -> None:
            # The same base URL and fetcher as the project's render, so both read the same files.
            HTML(
                string=html, base_url=(REPOSITORY / "static").as_uri() + "/", url_fetcher=LocalFilesFetcher()
            ).write_pdf()

        def sheet() -> bytes:
            return HTML(string=SHEET).write_pdf()

        sheet_pages = _pages(sheet())
        assert sheet_pages == 2, f"the anchor sheet came out on {sheet_pages} pages"
        ours()
        handout.refresh_from_db()
        with handout.file.open("rb") as pdf:
            handout_pages = _pages(pdf.read())

        rss_before, peak_before = _resident_mib(), _peak_mib()
        load_before = _load()
        kinds = (("ours", ours), ("bare", bare), ("sheet", sheet))
        timings: dict[str, list[float]] = {name: [] for name, _ in kinds}
        for _ in range(count):
            for name, render in kinds:
                started = time.perf_counter()
                render()
                timings[name].append((time.perf_counter() - started) * 1000)
        rss_after, peak_after = _resident_mib(), _peak_mib()

        peaks = {}
        for name, render in kinds:
            tracemalloc.start()
            render()
            peaks[name] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

        handout.refresh_from_db()
        medians = {name: statistics.median(values) for name, values in timings.items()}
        per_page = {"ours": medians["ours"] / handout_pages, "sheet": medians["sheet"] / sheet_pages}
        ratio = per_page["ours"] / per_page["sheet"]
        report: list[str] = []
        report.append(f"Handout benchmark: {count} renders of each kind, interleaved")
        report.append(
            f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"WeasyPrint {weasyprint_version}; load average {load_before} before, {_load()} after"
        )
        report.append(
            f"  handout: {handout_pages} pages, {handout.file.size / 1024:.0f} KiB, HTML {len(html) / 1024:.0f} KiB"
        )
        labels = (
            ("ours", "project render path"),
            ("bare", "bare WeasyPrint, same HTML"),
            ("sheet", f"anchor: {sheet_pages}-page sheet"),
        )
        for name, label in labels:
            values = timings[name]
            report.append(
                f"  {label + ':':<30} median {medians[name]:.0f} ms "
                f"(min {min(values):.0f}, max {max(values):.0f}); tracemalloc peak {peaks[name] / 2**20:.1f} MiB"
            )
        report.append(
            f"  time per page: handout {per_page['ours']:.0f} ms, anchor sheet {per_page['sheet']:.0f} ms; "
            f"ratio {ratio:.2f}x (goal <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})"
        )
        report.append(f"  our code over bare WeasyPrint on the same HTML: {medians['ours'] / medians['bare']:.2f}")
        report.append(
            f"  RSS: {rss_before:.0f} MiB before the timed renders, {rss_after:.0f} MiB after "
            f"(peak {peak_before:.0f} -> {peak_after:.0f} MiB)"
        )
        print("\n".join(report))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "handouts.txt").write_text("\n".join(report) + "\n")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
