"""Beat starts on a fresh checkout with the production settings: nothing else has made the
folder its schedule file lives in (collectstatic, the SQLite database) on a machine that runs
beat alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.broker import private_redis, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


def test_beat_runs_with_a_var_folder_nobody_made(tmp_path):
    var = tmp_path / "fresh" / "var"
    with private_redis() as redis:
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "clinic.example",
            "REDIS_URL": redis.url,
            "VAR_DIR": str(var),
        }
        beat = subprocess.Popen(
            [Path(sys.executable).with_name("celery"), "-A", "clinic", "beat", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            # Beat writes its schedule file once it has started ticking.
            started = wait_for(lambda: any(var.glob("celerybeat-schedule*")) or beat.poll() is not None, seconds=30)
            time.sleep(1)
            alive = beat.poll() is None
        finally:
            beat.terminate()
            output, _ = beat.communicate(timeout=30)
    assert started, output[-2000:]
    assert alive, output[-2000:]
    assert any(var.glob("celerybeat-schedule*"))
