"""Step-rate (cadence) retraining: the baseline from the runner's own device files and the target
the clinician prescribes over it (DOMAIN A "Cadence retraining"; B11.4).

Pure Python. The increases are the two the studies tested (+5 % and +10 %, S208, S209); the
baseline is the median of the most recent runs' step rates, and how many runs it takes is our own
choice (the sources measured a preferred rate on a treadmill, not from watch files).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

INCREASES_PCT = (5, 10)
# How many recent runs with a step rate make the baseline: a product choice, not a sourced number.
BASELINE_RUNS = 5
EVIDENCE = (
    "Reduces hip and knee loading in lab studies; evidence on injury or pain is very limited "
    "(a meta-analysis of 37 studies)."
)
# Outside these, a watch's step rate is a sensor fault, not a runner (steps per minute).
PLAUSIBLE = (100, 250)


@dataclass(frozen=True)
class Baseline:
    steps_per_min: int
    runs: int  # how many runs it rests on


def baseline(recent_rates: Sequence[int | None], *, runs: int = BASELINE_RUNS) -> Baseline | None:
    """The median step rate of the latest ``runs`` runs that have a plausible one (newest first),
    or None when no run has."""
    rates = [rate for rate in recent_rates if rate is not None and PLAUSIBLE[0] <= rate <= PLAUSIBLE[1]][:runs]
    if not rates:
        return None
    middle = Decimal(str(statistics.median(rates))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Baseline(int(middle), len(rates))


def target(baseline_steps_per_min: int, increase_pct: int) -> int:
    """The prescribed step rate: the baseline raised by ``increase_pct``, to the whole step."""
    if increase_pct not in INCREASES_PCT:
        raise ValueError(f"The increase is one of {INCREASES_PCT} %, not {increase_pct!r}.")
    raised = Decimal(baseline_steps_per_min) * (100 + increase_pct) / 100
    return int(raised.quantize(Decimal(1), rounding=ROUND_HALF_UP))
