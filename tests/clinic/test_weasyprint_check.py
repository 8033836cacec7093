"""The system check that names the system libraries WeasyPrint is missing, without importing
WeasyPrint: every process that runs the checks (each Celery worker as it starts) would otherwise
carry it, though only a handout's render needs it (``test_process_imports`` starts a worker, checks
included, and finds WeasyPrint not imported)."""

from __future__ import annotations

import ctypes.util

from clinic.checks import WEASYPRINT_PACKAGES, weasyprint_libraries


def test_nothing_is_reported_when_the_libraries_are_installed():
    assert weasyprint_libraries(None) == []


def test_a_missing_library_is_named_with_the_packages_to_install(monkeypatch):
    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "pango-1.0" else real(name))
    [error] = weasyprint_libraries(None)
    assert error.id == "clinic.E001"
    assert "(pango-1.0)" in error.msg
    assert WEASYPRINT_PACKAGES in error.hint
