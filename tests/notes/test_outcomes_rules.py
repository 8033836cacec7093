"""The clinic outcomes computation (notes/outcomes.py), table-tested over plain rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from notes import outcomes
from notes.outcomes import EpisodeRow, MeasureOutcome, Median, Share

MEASURES = ("nprs", "odi", "hos_adl", "visag")
DAY = datetime.date(2026, 6, 1)


def row(
    pk: int,
    *,
    conditions=("gluteal_tendinopathy",),
    items=(("Hip abductor weakness", "exercise"),),
    measures=(),
    visits=6,
    weeks="6",
    lost=None,
) -> EpisodeRow:
    return EpisodeRow(pk, 1, DAY, tuple(conditions), tuple(items), tuple(measures), visits, Decimal(weeks), lost)


def hos(reached: bool | None, acceptable: bool | None) -> MeasureOutcome:
    return MeasureOutcome("hos_adl", Decimal(50), Decimal(70), reached, acceptable)


def only(groups):
    assert len(groups) == 1
    return groups[0]


def test_empty_input_gives_no_groups():
    assert outcomes.summarise([], minimum=5, measures=MEASURES) == []


@pytest.mark.parametrize(
    ("episodes", "minimum", "judged"),
    [
        (4, 5, False),
        (5, 5, True),
        (6, 5, True),
        (2, 3, False),
        (3, 3, True),
    ],
)
def test_a_group_is_judged_only_from_the_minimum_group_size(episodes, minimum, judged):
    group = only(outcomes.summarise([row(pk) for pk in range(episodes)], minimum=minimum, measures=MEASURES))
    assert (group.n, group.judged, group.visits.judged, group.weeks.judged) == (episodes, judged, judged, judged)
    if not judged:
        assert group.visits.value is None
        assert group.visits.text() == f"too few to judge ({episodes})"


def test_the_minimum_is_at_least_one():
    with pytest.raises(ValueError, match="at least 1"):
        outcomes.summarise([row(1)], minimum=0, measures=MEASURES)


@pytest.mark.parametrize(
    ("values", "median"),
    [
        ([6, 6, 6, 6, 6], Decimal(6)),
        ([1, 2, 2, 2, 9], Decimal(2)),  # ties in the middle
        ([2, 2, 3, 3, 4, 4], Decimal(3)),  # an even count: the mean of the middle two
        ([2, 2, 2, 3, 3, 3], Decimal("2.5")),
        ([10, 1, 5, 5, 3], Decimal(5)),  # any order
    ],
)
def test_median_visits_with_ties(values, median):
    group = only(outcomes.summarise([row(pk, visits=v) for pk, v in enumerate(values)], minimum=5, measures=MEASURES))
    assert group.visits == Median(median, len(values), True)


def test_median_weeks_keep_their_decimals():
    rows = [row(pk, weeks=w) for pk, w in enumerate(["2.1", "4.3", "4.3", "7", "12.9"])]
    assert only(outcomes.summarise(rows, minimum=5, measures=MEASURES)).weeks.text() == "4.3 (n 5)"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        # MCID reached per episode (None: a single reading or no MCID): the share's base is the known ones.
        ([True] * 5, Share(5, 5, True)),
        ([True, True, False, False, True], Share(3, 5, True)),
        ([True, True, True, True, None], Share(4, 4, False)),
        ([None] * 5, Share(0, 0, False)),
        ([True, False, True, False, True, None, None], Share(3, 5, True)),
    ],
)
def test_the_mcid_share_rests_on_the_episodes_it_is_known_for(flags, expected):
    rows = [row(pk, measures=[hos(flag, True)]) for pk, flag in enumerate(flags)]
    summary = only(outcomes.summarise(rows, minimum=5, measures=MEASURES)).measures[0]
    assert (summary.measure, summary.mcid) == ("hos_adl", expected)


def test_share_texts():
    assert Share(3, 5, True).text() == "60 % of 5"
    assert Share(3, 4, False).text() == "too few to judge (4)"
    assert Share(3, 4, False).percent is None


def test_no_pass_defined_gives_no_judged_pass_share():
    rows = [row(pk, measures=[MeasureOutcome("visag", Decimal(40), Decimal(80), None, None)]) for pk in range(6)]
    summary = only(outcomes.summarise(rows, minimum=5, measures=MEASURES)).measures[0]
    assert summary.mcid == Share(0, 0, False)
    assert summary.acceptable == Share(0, 0, False)


def test_missing_measures_are_left_out_and_others_kept_in_order():
    rows = [row(1, measures=[hos(True, True)]), row(2, measures=[]), row(3, measures=[hos(False, None)])]
    rows += [row(4, measures=[MeasureOutcome("nprs", Decimal(6), Decimal(2), True, None), hos(True, False)])]
    group = only(outcomes.summarise(rows, minimum=3, measures=MEASURES))
    assert [summary.measure for summary in group.measures] == ["nprs", "hos_adl"]
    hos_summary = group.measures[1]
    assert hos_summary.mcid == Share(2, 3, True)
    assert hos_summary.acceptable == Share(1, 2, False)


def test_an_unlisted_measure_is_left_out():
    rows = [row(pk, measures=[MeasureOutcome("lefs", Decimal(40), Decimal(60), True, None)]) for pk in range(5)]
    assert only(outcomes.summarise(rows, minimum=5, measures=MEASURES)).measures == ()


@pytest.mark.parametrize(
    ("lost", "expected"),
    [
        ([None] * 5, Share(0, 0, False)),
        ([True, False, False, False, False], Share(1, 5, True)),
        ([True, True, None, None, None], Share(2, 2, False)),
    ],
)
def test_lost_to_follow_up_rests_on_the_episodes_a_follow_up_was_due_for(lost, expected):
    rows = [row(pk, lost=flag) for pk, flag in enumerate(lost)]
    assert only(outcomes.summarise(rows, minimum=5, measures=MEASURES)).lost == expected


def test_groups_by_condition_rule_and_prong():
    both = row(1, conditions=("si_joint_pain", "gluteal_tendinopathy"), items=[("A", "exercise"), ("B", "soft_tissue")])
    same_twice = row(2, conditions=(), items=[("A", "exercise"), ("A", "exercise")])
    no_plan = row(3, conditions=("si_joint_pain",), items=())
    groups = outcomes.summarise([both, same_twice, no_plan], minimum=3, measures=MEASURES)
    assert [(g.condition, g.rule, g.prong, g.n) for g in groups] == [
        ("", "A", "exercise", 1),
        ("gluteal_tendinopathy", "A", "exercise", 1),
        ("gluteal_tendinopathy", "B", "soft_tissue", 1),
        ("si_joint_pain", "", "", 1),
        ("si_joint_pain", "A", "exercise", 1),
        ("si_joint_pain", "B", "soft_tissue", 1),
    ]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [("si_joint_pain", 2), ("gluteal_tendinopathy", 1), ("", 1), ("piriformis_syndrome", 0)],
)
def test_the_condition_filter_keeps_that_condition(condition, expected):
    rows = [
        row(1, conditions=("si_joint_pain",)),
        row(2, conditions=("si_joint_pain", "gluteal_tendinopathy")),
        row(3, conditions=()),
    ]
    groups = outcomes.summarise(rows, minimum=1, measures=MEASURES, condition=condition)
    assert sum(group.n for group in groups) == expected
    assert all(group.condition == condition for group in groups)


def _mixed_rows():
    return [
        row(1, visits=2, weeks="4.3", lost=True, measures=[hos(True, True)]),
        row(2, visits=3, weeks="4.3", lost=False, measures=[hos(False, None)]),
        row(3, conditions=("si_joint_pain", "gluteal_tendinopathy"), items=[("A", "exercise"), ("B", "soft_tissue")]),
        row(4, conditions=(), items=(), visits=9, weeks="12.9", measures=[hos(None, False)]),
        row(5, visits=2, weeks="7", measures=[MeasureOutcome("visag", Decimal(40), Decimal(80), None, None)]),
        row(6, items=[("A", "exercise")], visits=5, lost=True),
    ]


@pytest.mark.parametrize("split", [1, 2, 3, 6])
@pytest.mark.parametrize("condition", [None, "gluteal_tendinopathy", ""])
def test_tallies_summed_in_any_split_give_the_groups_of_the_rows(split, condition):
    rows = _mixed_rows()
    # As the database counts them: any partition of the episodes into tallies sums to the same figures.
    parts = [part for start in range(0, len(rows), split) for part in outcomes.tally(rows[start : start + split])]
    assert outcomes.summarise_tallies(parts, minimum=2, measures=MEASURES, condition=condition) == outcomes.summarise(
        rows, minimum=2, measures=MEASURES, condition=condition
    )


def test_a_tally_counts_episodes_sharing_their_groups_once_each():
    [first, second] = sorted(outcomes.tally(_mixed_rows()[:4]), key=lambda part: part.n)[-2:]
    assert second.keys == {("gluteal_tendinopathy", "Hip abductor weakness", "exercise")}
    assert (second.n, second.visits, second.lost_known, second.lost) == (2, {2: 1, 3: 1}, 2, 1)
    assert second.measures["hos_adl"] == outcomes.MeasureTally(2, 2, 1, 1, 1)
    assert first.n == 1


@pytest.mark.parametrize(
    ("counts", "median"),
    [
        ({6: 5}, Decimal(6)),
        ({1: 1, 2: 3, 9: 1}, Decimal(2)),
        ({2: 2, 3: 2, 4: 2}, Decimal(3)),
        ({2: 3, 3: 3}, Decimal("2.5")),  # the middle two in different values
        ({Decimal("4.3"): 1, Decimal("7"): 1}, Decimal("5.65")),
        ({1: 1, 10: 4}, Decimal(10)),
    ],
)
def test_a_median_from_counted_values(counts, median):
    rows = [row(pk, visits=value) for pk, value in enumerate(v for v, n in counts.items() for _ in range(n))]
    [part] = outcomes.tally(rows)
    assert part.visits == counts
    [group] = outcomes.summarise_tallies([part], minimum=1, measures=MEASURES)
    assert group.visits == Median(median, sum(counts.values()), True)
