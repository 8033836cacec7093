"""A text-message backend for worker processes under test: each message takes a while to hand
over (as a provider's API call does) and is then written to a file in ``$SLOW_SMS_DIR``, so that
a test can keep a worker busy and count what each patient received."""

from __future__ import annotations

import os
import time
from pathlib import Path

HANDOVER_SECONDS = 0.1


class SlowFileSms:
    def send(self, *, to: str, body: str) -> None:
        time.sleep(HANDOVER_SECONDS)
        folder = Path(os.environ["SLOW_SMS_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{time.time_ns()}-{os.getpid()}.txt").write_text(f"To: {to}\n\n{body}\n", encoding="utf-8")
