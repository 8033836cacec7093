"""``bin/production`` refuses to start without its configuration or with a process it does not
know, before touching the database, and names what is wrong; so does ``bin/process``."""

from __future__ import annotations

import os
import subprocess

from django.conf import settings

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "clinic.example.com",
    "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    "REDIS_URL": "redis://127.0.0.1:1/0",
}


def _run(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION}
    return subprocess.run(
        [str(settings.BASE_DIR / "bin" / "production"), *arguments],
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_names_the_missing_configuration():
    result = _run(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode == 1
    assert "bin/production needs: ALLOWED_HOSTS DATABASE_URL REDIS_URL" in result.stderr


def test_it_refuses_a_process_it_does_not_know_before_migrating():
    result = _run("web", "scheduler", **PRODUCTION)
    assert result.returncode == 2
    assert "unknown process 'scheduler' (web, worker, beat)" in result.stderr
    assert "migrat" not in result.stdout.lower()


def test_bin_process_knows_only_the_three_processes():
    result = subprocess.run(
        [str(settings.BASE_DIR / "bin" / "process"), "scheduler"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "usage: bin/process web|worker|beat" in result.stderr
