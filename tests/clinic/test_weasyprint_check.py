"""The system check that names the system libraries WeasyPrint is missing, without importing
WeasyPrint: every process that runs the checks (each Celery worker as it starts) would otherwise
carry it, though only a handout's render needs it."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
from pathlib import Path

from clinic.checks import WEASYPRINT_PACKAGES, weasyprint_libraries

ROOT = Path(__file__).resolve().parents[2]


def test_nothing_is_reported_when_the_libraries_are_installed():
    assert weasyprint_libraries(None) == []


def test_a_missing_library_is_named_with_the_packages_to_install(monkeypatch):
    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "pango-1.0" else real(name))
    [error] = weasyprint_libraries(None)
    assert error.id == "clinic.E001"
    assert "(pango-1.0)" in error.msg
    assert WEASYPRINT_PACKAGES in error.hint


def test_running_the_checks_leaves_weasyprint_unimported():
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", "VAR_DIR": "var/test"}
    script = (
        "import sys, django; django.setup(); from django.core.checks import run_checks; run_checks(); "
        "print('weasyprint' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
