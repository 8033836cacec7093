"""Django on its embedded default for a bench run: SQLite in a folder of the run's own, Celery eager,
mail in memory, whatever the shell's DATABASE_URL and REDIS_URL say."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def setup(var_dir: Path, **environ: str) -> None:
    """Django set up and migrated on ``var_dir``; ``environ`` adds settings of the bench's own."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="clinic.settings",
        VAR_DIR=str(var_dir),
        MEDIA_ROOT=str(var_dir / "media"),
        DEBUG="true",
        CELERY_TASK_ALWAYS_EAGER="true",
        EMAIL_URL="memorymail://",
        LOG_LEVEL="WARNING",
        **environ,
    )
    for variable in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(variable, None)
    sys.path.insert(0, str(REPOSITORY))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
