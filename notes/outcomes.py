"""The clinic's outcomes: discharged episodes grouped by condition, plan rule and prong, with how many reached
a meaningful improvement and an acceptable state on each measure, their visits and weeks, and how many were
lost to follow-up.

Pure Python (no Django): the rows are built by ``notes.outcome_selectors`` in a fixed number of queries.

- A *condition* is a coded clinician condition on the episode's completed assessments (the finding codes plan
  rules read, named after DOMAIN B7.1); an episode with several counts in each, one with none in
  ``NO_CONDITION``.
- A *rule* is a label an item of the episode's last signed plan was chosen for (the item's ``because``: the
  finding or fact that drew it), paired with the item's prong; an episode counts once per pair, and an
  episode without a signed plan in ``NO_PLAN``.
- Every figure carries the number of episodes it rests on; below the clinic's minimum group size
  (``outcomes_min_group``, a product default) it is not given, only "too few to judge".
- A share's base is the episodes the figure can be known for: the MCID share those with two readings of the
  measure and an MCID, the PASS share those with a last reading and a published PASS, the share lost to
  follow-up those a follow-up was due for.
"""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

NO_CONDITION = ""
NO_PLAN = ("", "")
TOO_FEW = "too few to judge"


@dataclass(frozen=True)
class MeasureOutcome:
    """One measure of one episode: its first and last reading, judged."""

    measure: str
    first: Decimal
    last: Decimal
    mcid_reached: bool | None  # None with a single reading or no MCID for the measure
    pass_reached: bool | None  # None when the measure has no published PASS


@dataclass(frozen=True)
class EpisodeRow:
    episode_id: int
    clinician_id: int
    discharged_on: datetime.date
    conditions: tuple[str, ...]  # condition codes; empty: none coded
    items: tuple[tuple[str, str], ...]  # (rule label, prong) of the last signed plan's items
    measures: tuple[MeasureOutcome, ...]
    visits: int
    weeks: Decimal
    lost_to_follow_up: bool | None  # None when no follow-up was due


@dataclass(frozen=True)
class Share:
    count: int
    n: int
    judged: bool

    @property
    def percent(self) -> int | None:
        return round(100 * self.count / self.n) if self.judged else None

    def text(self) -> str:
        return f"{self.percent} % of {self.n}" if self.judged else f"{TOO_FEW} ({self.n})"


@dataclass(frozen=True)
class Median:
    value: Decimal | None
    n: int
    judged: bool

    def text(self) -> str:
        return f"{_plain(self.value)} (n {self.n})" if self.judged else f"{TOO_FEW} ({self.n})"


@dataclass(frozen=True)
class MeasureSummary:
    measure: str
    mcid: Share
    acceptable: Share


@dataclass(frozen=True)
class Group:
    condition: str
    rule: str
    prong: str
    n: int
    judged: bool
    visits: Median
    weeks: Median
    lost: Share
    measures: tuple[MeasureSummary, ...]  # the measures any episode of the group has, in ``measures`` order


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{Decimal(value).quantize(Decimal('0.1')).normalize():f}"


def _share(flags: Iterable[bool | None], minimum: int) -> Share:
    known = [flag for flag in flags if flag is not None]
    return Share(sum(known), len(known), len(known) >= minimum)


def _median(values: list, minimum: int) -> Median:
    judged = len(values) >= minimum
    return Median(Decimal(statistics.median(values)) if judged else None, len(values), judged)


def _keys(row: EpisodeRow) -> set[tuple[str, str, str]]:
    pairs = set(row.items) or {NO_PLAN}
    return {(condition, rule, prong) for condition in (row.conditions or (NO_CONDITION,)) for rule, prong in pairs}


def summarise(
    rows: Iterable[EpisodeRow], *, minimum: int, measures: tuple[str, ...], condition: str | None = None
) -> list[Group]:
    """The groups of ``rows`` by (condition, rule, prong), sorted; ``condition`` keeps that condition's only.

    ``measures`` is the order of the measures (others are left out); ``minimum`` the clinic's minimum group size
    (at least 1).
    """
    if minimum < 1:
        raise ValueError("The minimum group size is at least 1.")
    grouped: dict[tuple[str, str, str], list[EpisodeRow]] = {}
    for row in rows:
        for key in _keys(row):
            if condition is None or key[0] == condition:
                grouped.setdefault(key, []).append(row)
    groups = []
    for (code, rule, prong), members in sorted(grouped.items()):
        judged = len(members) >= minimum
        by_measure: dict[str, list[MeasureOutcome]] = {}
        for row in members:
            for outcome in row.measures:
                by_measure.setdefault(outcome.measure, []).append(outcome)
        # A figure rests on at most the group's episodes, so a group too small to judge has no figure judged.
        summaries = tuple(
            MeasureSummary(
                measure,
                _share((outcome.mcid_reached for outcome in by_measure[measure]), minimum),
                _share((outcome.pass_reached for outcome in by_measure[measure]), minimum),
            )
            for measure in measures
            if measure in by_measure
        )
        groups.append(
            Group(
                condition=code,
                rule=rule,
                prong=prong,
                n=len(members),
                judged=judged,
                visits=_median([row.visits for row in members], minimum),
                weeks=_median([row.weeks for row in members], minimum),
                lost=_share((row.lost_to_follow_up for row in members), minimum),
                measures=summaries,
            )
        )
    return groups
