"""How a number is written in a rule's explanation."""

from __future__ import annotations

from decimal import Decimal


def plain(value: int | Decimal) -> str:
    """A number without trailing zeros or an exponent: Decimal("28.0") -> "28", Decimal("2.50") -> "2.5"."""
    if isinstance(value, int):
        return str(value)
    return format(value.normalize(), "f")
