"""The scoring engine: ODI, LEFS and NPRS rules, edges and change logic (DOMAIN B5.1-B5.3, B5.7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from intake.instruments import INSTRUMENTS
from intake.scoring import BAND_LABELS, is_meaningful_change, odi_band, score

ODI = INSTRUMENTS["odi"]
LEFS = INSTRUMENTS["lefs"]
NPRS = INSTRUMENTS["nprs"]


def odi_answers(values, skip=()):
    """Assign ``values`` in order to the ODI sections not in ``skip``; skipped sections are None."""
    codes = [code for code in ODI.item_codes if code not in skip]
    assert len(codes) == len(values)
    answers = dict.fromkeys(skip)
    answers.update(zip(codes, values, strict=True))
    return answers


def lefs_answers(values):
    return dict(zip(LEFS.item_codes, values, strict=True))


# --- ODI --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "skip", "value", "display", "band"),
    [
        ([0] * 10, (), Decimal(0), "0.0 %", "minimal"),
        ([5] * 10, (), Decimal(100), "100.0 %", "bed_bound"),
        ([1] * 10, (), Decimal(20), "20.0 %", "minimal"),
        ([2] + [1] * 9, (), Decimal(22), "22.0 %", "moderate"),
        ([2] * 10, (), Decimal(40), "40.0 %", "moderate"),
        ([3] + [2] * 9, (), Decimal(42), "42.0 %", "severe"),
        ([3] * 10, (), Decimal(60), "60.0 %", "severe"),
        ([4] * 10, (), Decimal(80), "80.0 %", "crippled"),
        ([5] + [4] * 9, (), Decimal(82), "82.0 %", "bed_bound"),
        # DOMAIN B5.1 / S92 example: one section skipped, 16 / 45 = 35.6 %.
        ([2, 2, 2, 2, 2, 2, 2, 1, 1], ("sex_life",), Decimal(1600) / Decimal(45), "35.6 %", "moderate"),
        # Exactly 8 answered: scored over 40.
        ([1] * 8, ("sex_life", "travelling"), Decimal(20), "20.0 %", "minimal"),
        ([2, 1, 1, 1, 1, 1, 1, 1], ("sex_life", "lifting"), Decimal("22.5"), "22.5 %", "moderate"),
        # 9 answered, just above an edge: 10 / 45 = 22.2 %, 37 / 45 = 82.2 %.
        ([2] + [1] * 8, ("sex_life",), Decimal(1000) / Decimal(45), "22.2 %", "moderate"),
        ([5] + [4] * 8, ("sex_life",), Decimal(3700) / Decimal(45), "82.2 %", "bed_bound"),
    ],
)
def test_odi_scored(values, skip, value, display, band):
    result = score(ODI, odi_answers(values, skip))
    assert result.scored
    assert result.value == value
    assert result.display == display
    assert result.band == band
    assert result.items_answered == len(values)
    assert result.items_total == 10
    assert result.instrument == "odi"
    assert result.version == "2.1a"
    assert result.detail["sum"] == sum(values)
    assert result.detail["max_possible"] == 5 * len(values)
    assert result.detail["skipped"] == [code for code in ODI.item_codes if code in skip]


def test_odi_example_is_exact_not_rounded():
    result = score(ODI, odi_answers([2, 2, 2, 2, 2, 2, 2, 1, 1], ("sex_life",)))
    assert result.value != Decimal("35.6")
    assert Decimal("35.5555") < result.value < Decimal("35.5556")


@pytest.mark.parametrize(
    ("skip", "complete"),
    [
        ((), True),
        (("sex_life",), True),  # optional section
        (("lifting",), False),
        (("sex_life", "lifting"), False),
    ],
)
def test_odi_complete_ignores_optional_section(skip, complete):
    result = score(ODI, odi_answers([1] * (10 - len(skip)), skip))
    assert result.complete is complete
    assert result.scored


@pytest.mark.parametrize(
    ("n_answered", "min_sections", "scored", "display"),
    [
        (8, 8, True, "20.0 %"),
        (7, 8, False, "Not scored: 7 of 10 sections answered (needs 8)"),
        (0, 8, False, "Not scored: 0 of 10 sections answered (needs 8)"),
        (9, 10, False, "Not scored: 9 of 10 sections answered (needs 10)"),
        (7, 7, True, "20.0 %"),
        (1, 1, True, "20.0 %"),
        (7, Decimal(7), True, "20.0 %"),  # clinic thresholds arrive as Decimals
    ],
)
def test_odi_minimum_sections(n_answered, min_sections, scored, display):
    skip = ODI.item_codes[n_answered:]
    result = score(ODI, odi_answers([1] * n_answered, skip), odi_min_sections=min_sections)
    assert result.scored is scored
    assert result.display == display
    assert result.items_answered == n_answered
    if scored:
        assert result.value == Decimal(20)
        assert result.band == "minimal"
    else:
        assert result.value is None
        assert result.band is None


@pytest.mark.parametrize("min_sections", [0, 11, Decimal("7.5"), 8.0, True])
def test_odi_refuses_bad_minimum(min_sections):
    with pytest.raises(ValueError, match="odi_min_sections"):
        score(ODI, odi_answers([1] * 10), odi_min_sections=min_sections)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (Decimal(0), "minimal"),
        (Decimal(20), "minimal"),
        (Decimal("20.01"), "moderate"),
        (Decimal(40), "moderate"),
        (Decimal("40.01"), "severe"),
        (Decimal(60), "severe"),
        (Decimal("60.01"), "crippled"),
        (Decimal(80), "crippled"),
        (Decimal("80.01"), "bed_bound"),
        (Decimal(100), "bed_bound"),
    ],
)
def test_odi_band_edges(value, band):
    assert odi_band(value) == band


def test_band_labels_cover_every_band_with_domain_wording():
    assert set(BAND_LABELS) == {"minimal", "moderate", "severe", "crippled", "bed_bound"}
    assert BAND_LABELS["bed_bound"] == "Bed-bound or exaggerating"


@pytest.mark.parametrize("value", [Decimal(-1), Decimal("100.1")])
def test_odi_band_refuses_out_of_range(value):
    with pytest.raises(ValueError, match="0-100"):
        odi_band(value)


# --- Answers the engine refuses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "answers"),
    [
        (ODI, {"lifting": 6}),
        (ODI, {"lifting": -1}),
        (ODI, {"lifting": "3"}),
        (ODI, {"lifting": 2.0}),
        (ODI, {"lifting": True}),
        (ODI, {"not_a_section": 1}),
        (LEFS, {"activity_01": 5}),
        (LEFS, {"activity_21": 4}),
        (NPRS, {"now": 11}),
        (NPRS, {"worst": -1}),
        (NPRS, {"ever": 3}),
    ],
)
def test_out_of_range_or_unknown_answer_raises(instrument, answers):
    with pytest.raises(ValueError, match=instrument.code):
        score(instrument, answers)


# --- LEFS -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "value", "display"),
    [
        ([0] * 20, Decimal(0), "0 / 80"),
        ([4] * 20, Decimal(80), "80 / 80"),
        ([4] * 10 + [3] * 5 + [2] * 3 + [1, 0], Decimal(62), "62 / 80"),
    ],
)
def test_lefs_complete(values, value, display):
    result = score(LEFS, lefs_answers(values))
    assert result.scored
    assert result.complete
    assert result.value == value
    assert result.display == display
    assert result.band is None
    assert (result.items_answered, result.items_total) == (20, 20)


def test_lefs_one_missing_not_scored_by_default():
    answers = lefs_answers([4] * 20)
    answers["activity_13"] = None
    result = score(LEFS, answers)
    assert not result.scored
    assert not result.complete
    assert result.value is None
    assert result.display == "Not scored: 19 of 20 items answered (needs all 20)"
    assert result.detail["skipped"] == ["activity_13"]


def test_lefs_missing_item_left_out_of_mapping_counts_as_missing():
    answers = lefs_answers([4] * 20)
    del answers["activity_20"]
    assert not score(LEFS, answers).scored


@pytest.mark.parametrize(
    ("n_answered", "scored", "value", "display"),
    [
        (20, True, Decimal(60), "60 / 80"),
        (19, True, Decimal(57), "57 / 80 (1 of 20 items unanswered)"),
        (1, True, Decimal(3), "3 / 80 (19 of 20 items unanswered)"),
        (0, False, None, "Not scored: 0 of 20 items answered (needs at least 1)"),
    ],
)
def test_lefs_clinic_override_sums_answered_items(n_answered, scored, value, display):
    answers = {code: (3 if index < n_answered else None) for index, code in enumerate(LEFS.item_codes)}
    result = score(LEFS, answers, lefs_require_all=False)
    assert result.scored is scored
    assert result.value == value
    assert result.display == display
    assert result.complete is (n_answered == 20)


# --- NPRS -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "scored", "value", "display", "answered", "complete"),
    [
        ({"now": 6, "least": 3, "worst": 8}, True, Decimal(6), "6 / 10", 3, True),
        ({"now": 0, "least": 0, "worst": 0}, True, Decimal(0), "0 / 10", 3, True),
        ({"now": 10, "least": 10, "worst": 10}, True, Decimal(10), "10 / 10", 3, True),
        ({"now": 4}, True, Decimal(4), "4 / 10", 1, False),
        ({"now": None, "least": 2, "worst": 7}, False, None, "Not scored: pain right now not answered", 2, False),
        ({}, False, None, "Not scored: pain right now not answered", 0, False),
    ],
)
def test_nprs(answers, scored, value, display, answered, complete):
    result = score(NPRS, answers)
    assert result.scored is scored
    assert result.value == value
    assert result.display == display
    assert result.items_answered == answered
    assert result.items_total == 3
    assert result.complete is complete
    assert result.band is None
    assert result.detail == {code: answers.get(code) for code in ("now", "least", "worst")}


# --- Meaningful change (DOMAIN B5.7) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "baseline", "current", "expected"),
    [
        # ODI: lower is better; >= 10 points or >= 30 %.
        ("odi", Decimal(50), Decimal(40), True),  # 10 points
        ("odi", Decimal(50), Decimal("40.1"), False),  # 9.9 points, 19.8 %
        ("odi", Decimal(20), Decimal(14), True),  # 6 points but 30 %
        ("odi", Decimal(20), Decimal("14.1"), False),  # 29.5 %
        ("odi", Decimal(40), Decimal(50), False),  # worse
        ("odi", Decimal(0), Decimal(0), False),  # baseline 0: relative rule guarded
        ("odi", Decimal(0), Decimal(10), False),
        ("odi", Decimal(35), Decimal(35), False),
        # LEFS: higher is better; >= 9 points.
        ("lefs", Decimal(40), Decimal(49), True),
        ("lefs", Decimal(40), Decimal(48), False),
        ("lefs", Decimal(49), Decimal(40), False),  # worse
        ("lefs", Decimal(0), Decimal(9), True),
        ("lefs", Decimal(0), Decimal(0), False),
        # NPRS: lower is better; >= 2 points or >= 30 %.
        ("nprs", Decimal(8), Decimal(6), True),
        ("nprs", Decimal(8), Decimal(7), False),  # 1 point, 12.5 %
        ("nprs", Decimal(3), Decimal(2), True),  # 1 point but 33 %
        ("nprs", Decimal(4), Decimal(3), False),  # 25 %
        ("nprs", Decimal(6), Decimal(8), False),  # worse
        ("nprs", Decimal(0), Decimal(0), False),  # baseline 0 guarded
        ("nprs", Decimal(0), Decimal(2), False),
        ("nprs", 7, 5, True),  # ints accepted
    ],
)
def test_is_meaningful_change(code, baseline, current, expected):
    assert is_meaningful_change(code, baseline, current) is expected


@pytest.mark.parametrize(
    ("code", "baseline", "current", "kwargs", "expected"),
    [
        ("odi", Decimal(50), Decimal(42), {"odi_mcid_points": 8}, True),
        ("odi", Decimal(20), Decimal(14), {"odi_mcid_relative": Decimal("0.31")}, False),
        ("lefs", Decimal(40), Decimal(46), {"lefs_mcid": Decimal(6)}, True),
        ("nprs", Decimal(8), Decimal(6), {"nprs_mcid_points": 3}, False),
        ("nprs", Decimal(10), Decimal(8), {"nprs_mcid_points": 3, "nprs_mcid_relative": Decimal("0.2")}, True),
    ],
)
def test_is_meaningful_change_thresholds_are_parameters(code, baseline, current, kwargs, expected):
    assert is_meaningful_change(code, baseline, current, **kwargs) is expected


@pytest.mark.parametrize(
    ("code", "baseline", "current"),
    [("hoos", Decimal(1), Decimal(2)), ("odi", None, Decimal(2)), ("odi", Decimal(1), 2.5)],
)
def test_is_meaningful_change_refuses_bad_input(code, baseline, current):
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by input
        is_meaningful_change(code, baseline, current)
