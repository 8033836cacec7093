"""The embedded default (SQLite, what ``bin/demo`` runs on) answers every page: the suite runs on
PostgreSQL, where a query only PostgreSQL can run (``DISTINCT ON``, its aggregates) would pass
unnoticed and the demo would answer 500. So the every-route walk of the isolation test runs again,
in a process of its own on SQLite, as each role that signs in and as a patient."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

WALK = "tests/clinic/test_isolation.py::test_no_route_shows_clinic_b_to_clinic_a"
ROLES = ("clinician", "front_desk", "clinic_admin", "patient")
# The suite's own process settings would send the walk to its database, folder and Redis database.
NOT_PASSED_ON = {"DATABASE_URL", "REDIS_URL", "VAR_DIR", "PYTEST_XDIST_WORKER", "STRIDE_TEST_WORKER", "PYTEST_ADDOPTS"}


def test_every_page_answers_on_sqlite(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in NOT_PASSED_ON}
    env["VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "0", "-q", "-p", "no:cacheprovider", *(f"{WALK}[{r}]" for r in ROLES)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert f"{len(ROLES)} passed" in result.stdout
