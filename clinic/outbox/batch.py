"""What the messages of one batch share, loaded once for the batch rather than once a message.

The dispatcher prepares a batch of messages in one transaction (``dispatch.deliver_many``).
Inside it, a clinic's settings (its thresholds, its wording, its visit types) are read once per
clinic with ``once``; a kind's ``load(messages)`` reads the subjects of all its messages in one
query and leaves them with ``remember``; and the single-use links the messages carry are
gathered with ``stage`` and written together before any message goes. Outside a batch (a page,
a test calling a kind's ``prepare`` itself) each call reads or writes at once, as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import models

T = TypeVar("T")


@dataclass
class _Batch:
    memo: dict = field(default_factory=dict)
    staged: list[models.Model] = field(default_factory=list)


_current: ContextVar[_Batch | None] = ContextVar("outbox_batch", default=None)


@contextlib.contextmanager
def preparing() -> Iterator[_Batch]:
    """A batch's scope: what ``once`` loads lives until it ends; the caller writes ``staged``."""
    batch = _Batch()
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)


def once(key: tuple, load: Callable[[], T]) -> T:
    """``load()``, called once per batch for ``key`` (every call outside a batch)."""
    batch = _current.get()
    if batch is None:
        return load()
    if key not in batch.memo:
        batch.memo[key] = load()
    return batch.memo[key]


def remember(values: dict[tuple, object]) -> None:
    """Leave what a kind's ``load`` read for ``once`` to find (nothing outside a batch)."""
    batch = _current.get()
    if batch is not None:
        batch.memo.update(values)


def stage(row: models.Model) -> None:
    """A new row the message carries (a link's hash): written with the batch's others before
    any message of the batch goes, or at once outside a batch."""
    batch = _current.get()
    if batch is None:
        row.save()
    else:
        batch.staged.append(row)


def write_staged(batch: _Batch) -> None:
    """One insert per model for what the batch staged."""
    by_model: dict[type, list[models.Model]] = {}
    for row in batch.staged:
        by_model.setdefault(type(row), []).append(row)
    for model, rows in by_model.items():
        model.objects.bulk_create(rows)
    batch.staged.clear()
