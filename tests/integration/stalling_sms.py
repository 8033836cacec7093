"""A text-message backend for a worker process under test: it hands the message over (a file
in ``$STALL_SMS_DIR``, as a provider accepting it) and then hangs, holding the worker at the
moment after the provider took the message and before the outcome is recorded."""

from __future__ import annotations

import os
import time
from pathlib import Path

STALL_SECONDS = 300


class SendThenStall:
    def send(self, *, to: str, body: str) -> None:
        folder = Path(os.environ["STALL_SMS_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{time.time_ns()}.txt").write_text(f"To: {to}\n\n{body}\n", encoding="utf-8")
        time.sleep(STALL_SECONDS)
