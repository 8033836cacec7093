"""The test suite's settings: the application's own, except that each pytest-xdist worker
process (``PYTEST_XDIST_WORKER``: gw0, gw1, ...) keeps its files (mail, SMS, media, queue
folders) in a folder of its own and uses a Redis database of its own, so workers running
side by side never flush each other's cache or read each other's mail. PostgreSQL needs
nothing here: pytest-django gives each worker its own test database.

The environment is changed rather than the settings, so the processes a test starts (a
Celery worker, ``manage.py check``) see the same folder and Redis database; the marker
variable keeps those processes, which import this module too, from moving them again.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16


def _worker_redis_url(url: str, index: int) -> str:
    """The Redis URL with the database number moved by the worker's index, kept in 0-15."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    database = base + index if base + index < REDIS_DATABASES else base - index
    return urlunsplit(parts._replace(path=f"/{database}"))


_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and os.environ.get("STRIDE_TEST_WORKER") != _worker:
    os.environ["STRIDE_TEST_WORKER"] = _worker
    os.environ["VAR_DIR"] = os.path.join(os.environ.get("VAR_DIR", "var/test"), _worker)
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = _worker_redis_url(os.environ["REDIS_URL"], int(_worker.removeprefix("gw")))

from clinic.settings import *  # noqa: E402, F403
