"""The clinic's outcomes: discharged episodes grouped by condition, plan rule and prong, with how many reached
a meaningful improvement and an acceptable state on each measure, their visits and weeks, and how many were
lost to follow-up.

Pure Python (no Django): the rows are built by ``notes.outcome_selectors``. Every figure is a sum over episodes
(a median one over counted values), so episodes are tallied first (``tally``) and groups made of tallies
(``summarise_tallies``): the page reads tallies the database counted from the stored outcomes, the same figures as
``summarise`` of the episodes' rows.

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
from dataclasses import dataclass, field
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


def _share(count: int, n: int, minimum: int) -> Share:
    return Share(count, n, n >= minimum)


def _median(counts: dict, minimum: int) -> Median:
    """The median of the values ``counts`` holds ({value: how many}), as ``statistics.median`` of them all."""
    n = sum(counts.values())
    if n < minimum:
        return Median(None, n, False)
    middle, seen = [], 0
    for value in sorted(counts):
        # The middle one (odd n) or two (even n): positions (n - 1) // 2 and n // 2, counted from 0.
        first, seen = seen, seen + counts[value]
        middle += [value] * sum(first <= position < seen for position in {(n - 1) // 2, n // 2})
    return Median(Decimal(statistics.median(middle)), n, True)


def _keys(row: EpisodeRow) -> frozenset[tuple[str, str, str]]:
    pairs = set(row.items) or {NO_PLAN}
    return frozenset(
        (condition, rule, prong) for condition in (row.conditions or (NO_CONDITION,)) for rule, prong in pairs
    )


def group_keys(row: EpisodeRow) -> list[tuple[str, str, str]]:
    """The (condition, rule, prong) groups the episode counts in, once each, sorted."""
    return sorted(_keys(row))


@dataclass
class MeasureTally:
    """Of some episodes, how many have a reading of one measure and how its change and last reading were judged."""

    measured: int = 0
    mcid_known: int = 0
    mcid_reached: int = 0
    pass_known: int = 0
    pass_reached: int = 0

    def add(self, other: MeasureTally) -> None:
        self.measured += other.measured
        self.mcid_known += other.mcid_known
        self.mcid_reached += other.mcid_reached
        self.pass_known += other.pass_known
        self.pass_reached += other.pass_reached


@dataclass
class Tally:
    """Episodes that count in the same groups (``keys``), counted: what a group's figures are sums of.

    ``visits`` and ``weeks`` hold {value: how many episodes}, so a group's median is exact whatever tallies it
    is made of.
    """

    keys: frozenset[tuple[str, str, str]]
    n: int = 0
    visits: dict[int, int] = field(default_factory=dict)
    weeks: dict[Decimal, int] = field(default_factory=dict)
    lost_known: int = 0
    lost: int = 0
    measures: dict[str, MeasureTally] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        self.n += other.n
        for mine, theirs in ((self.visits, other.visits), (self.weeks, other.weeks)):
            for value, count in theirs.items():
                mine[value] = mine.get(value, 0) + count
        self.lost_known += other.lost_known
        self.lost += other.lost
        for measure, tally in other.measures.items():
            self.measures.setdefault(measure, MeasureTally()).add(tally)


def tally(rows: Iterable[EpisodeRow]) -> list[Tally]:
    """The tallies of ``rows``, one per set of groups their episodes count in."""
    tallies: dict[frozenset, Tally] = {}
    for row in rows:
        keys = _keys(row)
        one = Tally(
            keys,
            n=1,
            visits={row.visits: 1},
            weeks={row.weeks: 1},
            lost_known=int(row.lost_to_follow_up is not None),
            lost=int(bool(row.lost_to_follow_up)),
            measures={
                outcome.measure: MeasureTally(
                    measured=1,
                    mcid_known=int(outcome.mcid_reached is not None),
                    mcid_reached=int(bool(outcome.mcid_reached)),
                    pass_known=int(outcome.pass_reached is not None),
                    pass_reached=int(bool(outcome.pass_reached)),
                )
                for outcome in row.measures
            },
        )
        tallies.setdefault(keys, Tally(keys)).add(one)
    return list(tallies.values())


def summarise(
    rows: Iterable[EpisodeRow], *, minimum: int, measures: tuple[str, ...], condition: str | None = None
) -> list[Group]:
    """The groups of ``rows`` by (condition, rule, prong), sorted; ``condition`` keeps that condition's only.

    ``measures`` is the order of the measures (others are left out); ``minimum`` the clinic's minimum group size
    (at least 1).
    """
    return summarise_tallies(tally(rows), minimum=minimum, measures=measures, condition=condition)


def summarise_tallies(
    tallies: Iterable[Tally], *, minimum: int, measures: tuple[str, ...], condition: str | None = None
) -> list[Group]:
    """``summarise`` of episodes already tallied (``tally``, or the same sums counted by the database)."""
    if minimum < 1:
        raise ValueError("The minimum group size is at least 1.")
    grouped: dict[tuple[str, str, str], Tally] = {}
    for part in tallies:
        for key in part.keys:
            if condition is None or key[0] == condition:
                grouped.setdefault(key, Tally(frozenset({key}))).add(part)
    groups = []
    for (code, rule, prong), members in sorted(grouped.items()):
        # A figure rests on at most the group's episodes, so a group too small to judge has no figure judged.
        summaries = tuple(
            MeasureSummary(
                measure,
                _share(summary.mcid_reached, summary.mcid_known, minimum),
                _share(summary.pass_reached, summary.pass_known, minimum),
            )
            for measure in measures
            if (summary := members.measures.get(measure)) is not None and summary.measured
        )
        groups.append(
            Group(
                condition=code,
                rule=rule,
                prong=prong,
                n=members.n,
                judged=members.n >= minimum,
                visits=_median(members.visits, minimum),
                weeks=_median(members.weeks, minimum),
                lost=_share(members.lost, members.lost_known, minimum),
                measures=summaries,
            )
        )
    return groups
