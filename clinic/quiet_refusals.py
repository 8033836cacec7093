"""Refused requests log one line, not a traceback.

Django logs a 403 (PermissionDenied) with the exception's traceback. A refusal is the expected answer to a
wrong click or a probe, not a fault of the server: a traceback for each would bury real errors (500s keep
theirs).
"""

from __future__ import annotations

import logging


class QuietRefusals(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
