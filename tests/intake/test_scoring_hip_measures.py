"""HOS (ADL, Sport), iHOT-12, VISA-G and PSFS in the one scoring engine: tables of item scores, totals,
missing items and refusals; meaningful change by each measure's MCID or MDC."""

from __future__ import annotations

from decimal import Decimal

import pytest

from intake.instruments import HOS_ADL, HOS_SPORT, IHOT12, INSTRUMENTS, NOT_APPLICABLE, PSFS, VISA_G
from intake.scoring import is_meaningful_change, psfs_activity_changed, score, score_total

NA = NOT_APPLICABLE


def _items(instrument, values):
    return {item.code: value for item, value in zip(instrument.items, values, strict=True)}


@pytest.mark.parametrize(
    ("instrument", "n_items", "scoring", "better", "text_status", "has_total"),
    [
        (HOS_ADL, 17, "hos", "higher", "placeholder", True),
        (HOS_SPORT, 9, "hos", "higher", "placeholder", True),
        (IHOT12, 12, "ihot12", "higher", "placeholder", True),
        (VISA_G, 1, "visag", "higher", "placeholder", False),
        (PSFS, 3, "psfs", "higher", "own_wording", False),
    ],
)
def test_structure(instrument, n_items, scoring, better, text_status, has_total):
    assert INSTRUMENTS[instrument.code] is instrument
    assert len(instrument.items) == n_items
    assert (instrument.scoring, instrument.better, instrument.text_status) == (scoring, better, text_status)
    assert (instrument.total_range is not None) is has_total


@pytest.mark.parametrize("instrument", [HOS_ADL, HOS_SPORT, IHOT12, VISA_G])
def test_score_only_instruments_ship_no_item_text(instrument):
    assert all("[placeholder" in item.text for item in instrument.items)


@pytest.mark.parametrize(
    ("instrument", "values", "expected", "display"),
    [
        # 100 x sum / (4 x items answered, N/A excluded)
        (HOS_ADL, [4] * 17, Decimal(100), "100.0 %"),
        (HOS_ADL, [0] * 17, Decimal(0), "0.0 %"),
        (HOS_ADL, [3] * 17, Decimal(75), "75.0 %"),
        (HOS_ADL, [4] * 16 + [NA], Decimal(100), "100.0 %"),
        (HOS_ADL, [2] * 15 + [NA, NA], Decimal(50), "50.0 %"),
        (HOS_SPORT, [4, 4, 4, 4, 3, 3, 3, 3, 2], Decimal(3000) / Decimal(36), "83.3 %"),
        (HOS_SPORT, [1] * 8 + [NA], Decimal(25), "25.0 %"),
        # iHOT-12: mean of 12 items 0-100
        (IHOT12, [50] * 12, Decimal(50), "50.0 / 100"),
        (IHOT12, [100] * 12, Decimal(100), "100.0 / 100"),
        (IHOT12, [0] * 11 + [100], Decimal(100) / Decimal(12), "8.3 / 100"),
        # VISA-G: the total itself
        (VISA_G, [72], Decimal(72), "72 / 100"),
        (VISA_G, [0], Decimal(0), "0 / 100"),
        # PSFS: mean of the rated activities
        (PSFS, [4, 6, 8], Decimal(6), "6.0 / 10 (3 activities)"),
        (PSFS, [3, None, None], Decimal(3), "3.0 / 10 (1 activity)"),
        (PSFS, [None, 10, 5], Decimal("7.5"), "7.5 / 10 (2 activities)"),
    ],
)
def test_scores(instrument, values, expected, display):
    result = score(instrument, _items(instrument, values))
    assert result.scored
    assert result.value == expected
    assert result.display == display


@pytest.mark.parametrize(
    ("instrument", "values", "settings", "why"),
    [
        (HOS_ADL, [4] * 16 + [None], {}, "1 of 17 items unanswered (needs every item answered or not applicable)"),
        (HOS_SPORT, [None] * 9, {}, "9 of 9 items unanswered"),
        (HOS_SPORT, [NA] * 9, {}, "no item has a score (all not applicable)"),
        (HOS_ADL, [4] * 15 + [None, None], {"hos_max_unanswered": 1}, "2 of 17 items unanswered (needs at most 1)"),
        (IHOT12, [50] * 11 + [None], {}, "11 of 12 items answered (needs all 12)"),
        (IHOT12, [50] * 9 + [None] * 3, {"ihot12_max_unanswered": 2}, "9 of 12 items answered (needs at least 10)"),
        (VISA_G, [None], {}, "no total entered"),
        (PSFS, [None, None, None], {}, "no activity rated"),
    ],
)
def test_missing_items_are_not_scored_and_say_why(instrument, values, settings, why):
    result = score(instrument, _items(instrument, values), **settings)
    assert not result.scored
    assert result.value is None
    assert result.display.startswith("Not scored: ")
    assert why in result.display


@pytest.mark.parametrize(
    ("instrument", "values", "settings", "expected"),
    [
        (HOS_ADL, [4] * 16 + [None], {"hos_max_unanswered": 1}, Decimal(100)),
        (HOS_SPORT, [2] * 7 + [None, NA], {"hos_max_unanswered": 1}, Decimal(50)),
        (IHOT12, [60] * 10 + [None, None], {"ihot12_max_unanswered": 2}, Decimal(60)),
    ],
)
def test_a_clinic_may_allow_a_few_unanswered_items(instrument, values, settings, expected):
    result = score(instrument, _items(instrument, values), **settings)
    assert result.scored
    assert result.value == expected
    assert not result.complete


@pytest.mark.parametrize(
    ("instrument", "answers", "message"),
    [
        (HOS_ADL, {"item_01": 5}, "is not one of 0, 1, 2, 3, 4"),
        (HOS_ADL, {"item_01": -1}, "is not one of"),
        (HOS_ADL, {"item_99": 4}, "has no item"),
        (HOS_ADL, {"item_01": True}, "is not one of"),
        (HOS_ADL, {"item_01": "4"}, "is not one of"),
        (IHOT12, {"item_01": 101}, "is not one of"),
        (IHOT12, {"item_01": NA}, "is not one of"),  # iHOT-12 has no "not applicable"
        (VISA_G, {"total": 100.5}, "is not one of"),
        (PSFS, {"activity_1": 11}, "is not one of"),
        (PSFS, {"activity_4": 5}, "has no item"),
    ],
)
def test_bad_item_values_are_refused(instrument, answers, message):
    with pytest.raises(ValueError, match=message):
        score(instrument, answers)


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"hos_max_unanswered": 17}, "hos_max_unanswered must be 0-16"), ({"hos_max_unanswered": -1}, "must be 0-16")],
)
def test_settings_out_of_range_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        score(HOS_ADL, {}, **settings)


@pytest.mark.parametrize(
    ("instrument", "total", "value", "display"),
    [
        (HOS_ADL, Decimal("88.2"), Decimal("88.2"), "88.2 % (total entered)"),
        (HOS_SPORT, 0, Decimal(0), "0.0 % (total entered)"),
        (HOS_SPORT, 100, Decimal(100), "100.0 % (total entered)"),
        (IHOT12, Decimal("63.25"), Decimal("63.25"), "63.3 / 100 (total entered)"),
    ],
)
def test_totals(instrument, total, value, display):
    result = score_total(instrument, total)
    assert result.scored
    assert result.value == value
    assert result.display == display
    assert result.detail == {"entered_as": "total"}


@pytest.mark.parametrize(
    ("instrument", "total", "message"),
    [
        (HOS_ADL, Decimal("100.1"), "the total must be 0-100, not 100.1"),
        (HOS_SPORT, -1, "the total must be 0-100"),
        (IHOT12, 1000, "the total must be 0-100"),
        (IHOT12, Decimal("NaN"), "must be a number"),
        (IHOT12, Decimal("Infinity"), "must be a number"),
        (HOS_ADL, "88", "must be a number"),
        (HOS_ADL, None, "must be a number"),
        (HOS_ADL, True, "must be a number"),
        (PSFS, 5, "entered item by item"),
        (VISA_G, 50, "entered item by item"),
    ],
)
def test_bad_totals_are_refused(instrument, total, message):
    with pytest.raises(ValueError, match=message):
        score_total(instrument, total)


@pytest.mark.parametrize(
    ("instrument", "baseline", "current", "settings", "meaningful"),
    [
        ("hos_adl", 60, 69, {}, True),  # MCID 9
        ("hos_adl", 60, Decimal("68.9"), {}, False),
        ("hos_adl", 60, 40, {}, False),  # worse is never an improvement
        ("hos_sport", 50, 56, {}, True),  # MCID 6
        ("hos_sport", 50, 55, {}, False),
        ("hos_sport", 50, 55, {"hos_sport_mcid": 5}, True),
        ("ihot12", 40, 54, {}, True),  # non-operative MCII 14 by default
        ("ihot12", 40, 53, {}, False),
        ("ihot12", 40, 53, {"ihot12_mcid": 13}, True),  # the post-arthroscopy value as a clinic setting
        ("psfs", Decimal(3), Decimal(5), {}, True),  # MDC 2 for the mean
        ("psfs", Decimal(3), Decimal("4.9"), {}, False),
        ("psfs", 0, 2, {}, True),  # a baseline of 0 is fine: no relative rule
    ],
)
def test_meaningful_change(instrument, baseline, current, settings, meaningful):
    assert is_meaningful_change(instrument, Decimal(baseline), Decimal(current), **settings) is meaningful


def test_visa_g_has_no_mcid():
    with pytest.raises(ValueError, match="no published MCID"):
        is_meaningful_change("visag", Decimal(40), Decimal(80))


@pytest.mark.parametrize(
    ("baseline", "current", "settings", "expected"),
    [(2, 5, {}, 1), (2, 4, {}, 0), (8, 5, {}, -1), (8, 6, {}, 0), (2, 4, {"psfs_mdc_single": 2}, 1), (5, 5, {}, 0)],
)
def test_psfs_single_activity_mdc(baseline, current, settings, expected):
    assert psfs_activity_changed(baseline, current, **settings) == expected


@pytest.mark.parametrize(("baseline", "current"), [(11, 5), (-1, 5), (5, True), (5, Decimal(5))])
def test_psfs_single_activity_refuses_bad_ratings(baseline, current):
    with pytest.raises(ValueError, match="PSFS"):
        psfs_activity_changed(baseline, current)
