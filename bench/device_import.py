"""Benchmark: importing a runner's 2-hour FIT file (one record a second) against bare fitdecode.

Run by hand from the repository root (it is not part of the test suite):

    .venv/bin/python bench/device_import.py            # 10 pairs
    .venv/bin/python bench/device_import.py --count 20

It sets itself up in a temporary directory (SQLite database, media files, Celery eager), makes a
clinic, a clinician and a runner's open episode, and then, interleaved in the same run, for
``--count`` files (each a 2-hour run on its own day, so none is a duplicate of another):

  1. the bare parser: ``fitdecode.FitReader`` over the file's bytes, every frame read, CRCs
     checked (the floor any import pays);
  2. the full import of the same bytes: ``running.services.uploads.receive_file`` (checks, SHA-256,
     storage, row, audit) and the queued task run eagerly on commit (``parse_run_file``: parse,
     metrics, duplicate search, the run's row).

It prints the file's size, the median and spread of each, the import's time over the bare parse
(the ratio), the peak Python allocation of one of each (tracemalloc), the process's RSS before and
after, and the load average; and deletes the temporary directory at the end.
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
TWO_HOURS = 2 * 60 * 60
FIRST_DAY = datetime.datetime(2026, 6, 1, 6, 30, tzinfo=datetime.UTC)


def _episode():
    from django.contrib.auth.models import Group

    from clinic.models import Clinic, EpisodeOfCare, Patient, User
    from clinic.permissions import Role

    clinic = Clinic.objects.create(name="Bench Running Clinic", time_zone="Europe/London", phone="+441615550100")
    clinician = User.objects.create(email="bench.clinician@example.test", full_name="Dana Lead", clinic=clinic)
    clinician.groups.set(Group.objects.filter(name=Role.CLINICIAN.value))
    patient = Patient.objects.create(
        clinic=clinic,
        first_name="Sam",
        last_name="Runner",
        date_of_birth=datetime.date(1990, 4, 2),
        sex="female",
        email="sam.runner@example.test",
    )
    return EpisodeOfCare.objects.create(patient=patient, presenting_complaint="Hip pain", lead_clinician=clinician)


def _file(index: int) -> bytes:
    from running.devices.fit_writer import run_fit

    return run_fit(
        start=FIRST_DAY + datetime.timedelta(days=index),
        seconds=TWO_HOURS,
        speed_m_s=2.9,
        serial=1_000 + index,
        pause=(3600, 90),
    )


def _resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _size(size: int) -> str:
    return f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{size / 1024:.0f} KiB"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10, help="files, each parsed bare and imported (default 10)")
    count = parser.parse_args().count

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-device-import-"))
    try:
        embedded.setup(var_dir)
        import fitdecode
        from django.core.files.uploadedfile import SimpleUploadedFile

        from running.models import Run, RunFile, RunFileStatus
        from running.services import uploads

        episode = _episode()
        files = [_file(index) for index in range(count + 2)]

        def bare(data: bytes) -> None:
            with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
                for _ in reader:
                    pass

        def ours(data: bytes) -> None:
            row = uploads.receive_file(episode, SimpleUploadedFile("run.fit", data))
            row.refresh_from_db()
            assert row.status == RunFileStatus.PARSED, (row.status, row.error)

        rss_before, peak_before, load_before = _resident_mib(), _peak_mib(), _load()
        timings: dict[str, list[float]] = {"bare": [], "ours": []}
        for data in files[:count]:
            for name, work in (("bare", bare), ("ours", ours)):
                started = time.perf_counter()
                work(data)
                timings[name].append((time.perf_counter() - started) * 1000)
        rss_after, peak_after = _resident_mib(), _peak_mib()

        peaks = {}
        for name, work, data in (("bare", bare, files[count]), ("ours", ours, files[count + 1])):
            tracemalloc.start()
            work(data)
            peaks[name] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

        run = Run.objects.order_by("-id").first()
        medians = {name: statistics.median(values) for name, values in timings.items()}
        report = [
            f"Device import benchmark: {count} two-hour FIT files at 1 Hz, each parsed bare then imported, interleaved",
            f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"fitdecode {fitdecode.__version__}, SQLite; load average {load_before} before, {_load()} after",
            f"  file: {len(files[0]) / 1024:.0f} KiB, {TWO_HOURS} records; last run {run.distance_m} m, "
            f"{run.moving_s} s moving, {run.elapsed_s} s elapsed, step rate {run.step_rate}",
        ]
        for name, label in (("bare", "bare fitdecode parse"), ("ours", "full import (service + task)")):
            values = timings[name]
            report.append(
                f"  {label + ':':<32} median {medians[name]:.0f} ms (min {min(values):.0f}, max {max(values):.0f}); "
                f"tracemalloc peak {_size(peaks[name])}"
            )
        report.append(
            # The bare parser streams frames (a few KiB at most): a ratio of peaks would say little.
            f"  full import over bare parse: {medians['ours'] / medians['bare']:.2f}x time; peak allocation "
            f"{_size(peaks['ours'])} against {_size(peaks['bare'])}"
        )
        report.append(
            f"  RSS: {rss_before:.0f} MiB before the timed work, {rss_after:.0f} MiB after "
            f"(peak {peak_before:.0f} -> {peak_after:.0f} MiB); files stored: {RunFile.objects.count()}"
        )
        print("\n".join(report))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "device_import.txt").write_text("\n".join(report) + "\n")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
