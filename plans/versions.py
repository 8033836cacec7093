"""What changed between two signed versions of a plan: one pure function, ``diff``.

Pure Python (no Django). A plan body is the mapping stored when a version is signed:

    {"items": [{"intervention", "name", "prong", "dosage" (text), "instructions", "side_note"}, ...],
     "visits_per_week", "weeks", "running_advice": [str], "goals": [str],
     "missing_prong_reasons": {prong: reason} (or [{"prong", "reason"}])}

Items are matched by intervention key, or by name when an item has no key (a free-text item). Missing
fields read as empty. The result lists, in this order: removed items, added items, changed item fields,
"Order" (only when the items both versions share appear in a different order), then the top-level fields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from plans.library import PRONG_LABELS

Kind = Literal["added", "removed", "changed"]

# Item fields compared for an item in both versions, with the word used in the subject.
_ITEM_FIELDS = (
    ("name", "name"),
    ("prong", "prong"),
    ("dosage", "dosage"),
    ("instructions", "instructions"),
    ("side_note", "side"),
)


@dataclass(frozen=True)
class Change:
    kind: Kind
    subject: str  # an item name, "<item name> – dosage", "Order", "Visits per week", "Goal", ...
    before: str
    after: str


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _field(item: Mapping, name: str) -> str:
    value = _text(item.get(name))
    return PRONG_LABELS.get(value, value) if name == "prong" else value


def _keyed(items: Iterable[Mapping]) -> dict[tuple[str, str, int], Mapping]:
    """Items by (kind, key, occurrence): the intervention key, or the name for an item without one."""
    keyed: dict[tuple[str, str, int], Mapping] = {}
    seen: Counter[tuple[str, str]] = Counter()
    for item in items:
        base = ("key", _text(item.get("intervention"))) if item.get("intervention") else ("name", _field(item, "name"))
        keyed[(*base, seen[base])] = item
        seen[base] += 1
    return keyed


def _item_changes(previous: Iterable[Mapping], current: Iterable[Mapping]) -> list[Change]:
    before = _keyed(previous)
    after = _keyed(current)
    changes = [
        Change("removed", _field(item, "name"), _field(item, "dosage"), "")
        for key, item in before.items()
        if key not in after
    ]
    changes += [
        Change("added", _field(item, "name"), "", _field(item, "dosage"))
        for key, item in after.items()
        if key not in before
    ]
    for key, item in after.items():
        if key not in before:
            continue
        name = _field(item, "name")
        for field, word in _ITEM_FIELDS:
            old, new = _field(before[key], field), _field(item, field)
            if old != new:
                changes.append(Change("changed", f"{name} – {word}", old, new))
    shared_before = [key for key in before if key in after]
    shared_after = [key for key in after if key in before]
    if shared_before != shared_after:
        changes.append(
            Change(
                "changed",
                "Order",
                ", ".join(_field(before[key], "name") for key in shared_before),
                ", ".join(_field(after[key], "name") for key in shared_after),
            )
        )
    return changes


def _list_changes(subject: str, previous: Iterable[object] | None, current: Iterable[object] | None) -> list[Change]:
    """Entries removed (in previous order) then added (in current order); duplicates are counted."""
    old = [_text(value) for value in previous or ()]
    new = [_text(value) for value in current or ()]

    def missing_from(values: list[str], other: list[str]) -> list[str]:
        remaining = Counter(other)
        result = []
        for value in values:
            if remaining[value]:
                remaining[value] -= 1
            else:
                result.append(value)
        return result

    return [Change("removed", subject, value, "") for value in missing_from(old, new)] + [
        Change("added", subject, "", value) for value in missing_from(new, old)
    ]


def _reasons(value: object) -> dict[str, str]:
    if not value:
        return {}
    if isinstance(value, Mapping):
        return {_text(prong): _text(reason) for prong, reason in value.items()}
    return {_text(entry.get("prong")): _text(entry.get("reason")) for entry in value}  # [{"prong", "reason"}]


def _reason_changes(previous: object, current: object) -> list[Change]:
    old, new = _reasons(previous), _reasons(current)
    changes = []
    for prong in [*old, *(prong for prong in new if prong not in old)]:
        subject = f"Reason for leaving out: {PRONG_LABELS.get(prong, prong)}"
        if prong not in new:
            changes.append(Change("removed", subject, old[prong], ""))
        elif prong not in old:
            changes.append(Change("added", subject, "", new[prong]))
        elif old[prong] != new[prong]:
            changes.append(Change("changed", subject, old[prong], new[prong]))
    return changes


def diff(previous: Mapping, current: Mapping) -> list[Change]:
    """Changes from ``previous`` to ``current`` (two signed plan bodies); [] when they say the same."""
    changes = _item_changes(previous.get("items") or (), current.get("items") or ())
    for field, subject in (("visits_per_week", "Visits per week"), ("weeks", "Weeks")):
        old, new = _text(previous.get(field)), _text(current.get(field))
        if old != new:
            changes.append(Change("changed", subject, old, new))
    changes += _list_changes("Goal", previous.get("goals"), current.get("goals"))
    changes += _list_changes("Running advice", previous.get("running_advice"), current.get("running_advice"))
    changes += _reason_changes(previous.get("missing_prong_reasons"), current.get("missing_prong_reasons"))
    old, new = _program(previous.get("return_to_run")), _program(current.get("return_to_run"))
    if old != new:
        changes.append(Change("changed", "Return-to-run program", old, new))
    return changes


def _program(value: object) -> str:
    """A signed walk-run program as its name and version (empty when there is none)."""
    if not isinstance(value, Mapping):
        return ""
    return f"{_text(value.get('name'))} (version {_text(value.get('version'))})"
