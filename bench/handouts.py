"""Benchmark: rendering a typical home-program handout, and our overhead over bare WeasyPrint.

Run by hand from the repository root (it is not part of the test suite):

    .venv/bin/python bench/handouts.py            # 20 renders of each kind
    .venv/bin/python bench/handouts.py --count 50

It sets itself up in a temporary directory (SQLite database, media files), migrates it, signs a
typical plan (three home exercises, two clinic treatments, six weeks: a three-page PDF) through
``plans.services.plan_sign`` and then, alternately, renders it ``--count`` times through the
project's render path (``plans.handouts.render``: row lock, template, WeasyPrint, storage) and
renders the same HTML ``--count`` times with bare
``weasyprint.HTML(string=..., base_url=..., url_fetcher=LocalFilesFetcher()).write_pdf()`` (the
project's fetcher, which every render uses, so that both read the same files the same way).
It prints the median and spread of each, their ratio (our overhead), the process's peak RSS
growth and the peak Python allocation of one render of each kind (tracemalloc), and deletes
the temporary directory at the end.
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
HOME_EXERCISES = ("glute-bridge", "clamshell", "hip-flexor-stretch")
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


def _pages(handout) -> int:
    from pypdf import PdfReader

    with handout.file.open("rb") as pdf:
        return len(PdfReader(io.BytesIO(pdf.read())).pages)


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

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        timings: dict[str, list[float]] = {"ours": [], "bare": []}
        for _ in range(count):
            for name, render in (("ours", ours), ("bare", bare)):
                started = time.perf_counter()
                render()
                timings[name].append((time.perf_counter() - started) * 1000)
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before

        peaks = {}
        for name, render in (("ours", ours), ("bare", bare)):
            tracemalloc.start()
            render()
            peaks[name] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

        handout.refresh_from_db()
        medians = {name: statistics.median(values) for name, values in timings.items()}
        print(f"Handout benchmark: {count} renders of each kind, alternating")
        print(
            f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"WeasyPrint {weasyprint_version}"
        )
        print(
            f"  handout: {_pages(handout)} pages, {handout.file.size / 1024:.0f} KiB, HTML {len(html) / 1024:.0f} KiB"
        )
        for name, label in (("ours", "project render path"), ("bare", "bare WeasyPrint")):
            values = timings[name]
            print(
                f"  {label + ':':<21} median {medians[name]:.0f} ms per handout "
                f"(min {min(values):.0f}, max {max(values):.0f}); tracemalloc peak {peaks[name] / 2**20:.1f} MiB"
            )
        print(f"  overhead: project path / bare WeasyPrint = {medians['ours'] / medians['bare']:.2f}")
        print(f"  peak RSS growth over the timed renders: {rss_growth / 1024:.1f} MiB (ru_maxrss)")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
