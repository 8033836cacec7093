"""What a web or Celery process carries once it has started: a library that only one rare path
needs (a PDF, a calendar file, a runner's device file, a picture upload, a webhook secret, the
API schema) is imported on that path, not by every process. Each web worker and each Celery
pool process holds its own copy of what was imported before it served anything; these are
some 30 MiB between them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each with the path that imports it.
ON_THEIR_PATH_ONLY = [
    "weasyprint",  # a handout's render (the worker)
    "icalendar",  # a visit's calendar file or a clinician's feed
    "fitdecode",  # reading a FIT file (the worker)
    "gpxpy",  # reading a GPX file or measuring a run (the worker)
    "lxml",  # gpxpy's parser
    "PIL",  # checking an uploaded picture
    "cryptography",  # sealing or opening a webhook secret
    "qrcode",  # the two-factor set-up page
    "twilio",  # sending a text message
    "drf_spectacular.generators",  # the API schema and its docs page
    "requests",  # the text-message and webhook clients (the worker)
]

WEB = (
    # What gunicorn's master loads before it forks the workers (gunicorn.conf.py).
    "import clinic.wsgi; from django.urls import get_resolver; from django.template import engines; "
    "get_resolver().url_patterns; engines.all()"
)
WORKER = (
    # What a Celery worker loads as it starts: Django, the task modules and the system checks.
    "from clinic.celery import app; import django; django.setup(); app.loader.import_default_modules()"
)


def _loaded(start: str) -> set[str]:
    environment = {key: value for key, value in os.environ.items() if key != "CELERY_SKIP_CHECKS"}
    environment.update(DJANGO_SETTINGS_MODULE="clinic.settings", VAR_DIR="var/test")
    result = subprocess.run(
        [sys.executable, "-c", f"{start}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def _carried(start: str) -> list[str]:
    loaded = _loaded(start)
    return [name for name in ON_THEIR_PATH_ONLY if name in loaded]


@pytest.mark.parametrize("start", [WEB, WORKER], ids=["web", "worker"])
def test_a_started_process_carries_no_library_of_a_rare_path(start):
    assert _carried(start) == []


def test_the_check_sees_a_library_imported_at_start():
    assert _carried(WEB + "; import icalendar") == ["icalendar"]


def test_the_worker_start_runs_the_system_checks():
    # What the worker's case rests on: its start runs the checks (which load the URL configuration).
    assert "clinic.urls" in _loaded(WORKER)
