"""Celery work queued after the transaction commits, without failing when the broker is down.

The database row records what is still to do; the broker only carries the message. So when
the broker cannot be reached, the user's request still succeeds: the row stays owed and its
periodic sweep queues it again. The log names the task and the ids, never patient details.
"""

from __future__ import annotations

import logging

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)


def publish(task, *ids) -> bool:
    """Queue ``task(*ids)`` now; False when the broker could not be reached."""
    try:
        task.delay(*ids)
    except BrokerUnavailable:
        logger.warning("Broker unreachable: %s %s left for its sweep", task.name, ids)
        return False
    return True


def after_commit(task, *ids) -> None:
    """Queue ``task(*ids)`` once the current transaction commits (never if it rolls back)."""
    transaction.on_commit(lambda: publish(task, *ids))
