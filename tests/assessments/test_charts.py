"""The progress charts (pure SVG drawing): a single reading shown plainly, every scored questionnaire
charted on its whole range, equal left and right readings kept apart, the numbers as a table."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest

from assessments import charts, scoring

DAY = datetime.date(2026, 11, 3)
WEEKS = [DAY + datetime.timedelta(weeks=week) for week in range(4)]


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def _fms(deep_squat: int | None) -> scoring.FmsResult:
    raw = {test.code: 2 for test in scoring.FMS_TESTS if not test.bilateral}
    raw |= {f"{test.code}_{side}": 2 for test in scoring.FMS_TESTS if test.bilateral for side in ("left", "right")}
    raw["deep_squat"] = deep_squat
    return scoring.fms_result(raw, {})


def test_a_single_outcome_reading_is_written_out_on_an_axis_of_that_day():
    svg = charts.outcome_chart({"odi": [(DAY, Decimal("42.222"))]})

    texts = _texts(svg)
    assert "42.2 %" in texts
    assert "visit date (2026)" in texts
    # One date label, the reading's own: no span of years invented around a single point.
    assert [text for text in texts if re.fullmatch(r"\d+ [A-Z][a-z]{2}", text)] == ["3 Nov"]


def test_a_single_rom_visit_writes_both_sides_values():
    svg = charts.rom_chart({"flexion": {"left": [(DAY, 110)], "right": [(DAY, 118)]}})

    assert {"Left: 110°", "Right: 118°"} <= set(_texts(svg))


def test_equal_single_readings_are_written_on_separate_lines():
    svg = charts.rom_chart({"flexion": {"left": [(DAY, 110)], "right": [(DAY, 110)]}})

    labels = {
        words: float(y)
        for y, words in re.findall(r'<text x="[^"]*" y="([^"]*)"[^>]*>((?:Left|Right): [^<]*)</text>', svg)
    }
    assert set(labels) == {"Left: 110°", "Right: 110°"}
    assert abs(labels["Left: 110°"] - labels["Right: 110°"]) >= 12
    assert "left and right equal" in _texts(svg)


def test_several_readings_draw_a_line_without_writing_each_value():
    svg = charts.outcome_chart({"odi": [(WEEKS[0], 40), (WEEKS[3], 20)]})

    assert svg.count("<polyline") == 1
    assert "20 %" not in _texts(svg)
    assert {"3 Nov", "24 Nov"} <= set(_texts(svg))


@pytest.mark.parametrize(
    ("scored", "charted"),
    [
        ({"lefs": [(DAY, 38)]}, ["lefs"]),
        ({"nprs": [(DAY, 6)], "odi": [(DAY, 40)], "lefs": [(DAY, 38)]}, ["nprs", "odi", "lefs"]),
        ({"lefs": [(DAY, 38)], "nprs": [(DAY, 6)]}, ["nprs", "lefs"]),
        ({"odi": [], "lefs": [(DAY, 38)]}, ["lefs"]),
        ({}, []),
    ],
    ids=["LEFS alone", "all three", "page order", "nothing scored is left out", "none"],
)
def test_every_scored_questionnaire_is_charted(scored, charted):
    assert charts.charted_outcomes(scored) == charted
    texts = _texts(charts.outcome_chart(scored))
    assert [code for code, label in charts.OUTCOME_LABELS.items() if label in texts] == charted


@pytest.mark.parametrize(
    ("code", "top_tick"),
    [("nprs", "10"), ("odi", "100"), ("lefs", "80")],
)
def test_outcomes_are_drawn_on_the_questionnaires_whole_range(code, top_tick):
    texts = _texts(charts.outcome_chart({code: [(WEEKS[0], 5), (WEEKS[1], 6)]}))

    assert "0" in texts
    assert top_tick in texts


@pytest.mark.parametrize(
    ("left", "right", "note"),
    [
        ([40, 42, 45], [40, 42, 45], "left and right equal"),
        ([40, 42, 45], [40, 44, 45], "left and right equal on 3 Nov, 17 Nov"),
        ([40, 42, 45], [41, 43, 46], None),
        ([40, 42], [40, 42, 45], "left and right equal on 3 Nov, 10 Nov"),
    ],
    ids=["all equal", "some equal", "none equal", "right has one more visit"],
)
def test_equal_left_and_right_are_said_in_words(left, right, note):
    rom = {
        "abduction": {
            "left": list(zip(WEEKS, left, strict=False)),
            "right": list(zip(WEEKS, right, strict=False)),
        }
    }
    notes = [text for text in _texts(charts.rom_chart(rom)) if text.startswith("left and right")]

    assert notes == ([note] if note else [])


def test_left_and_right_keep_distinct_markers_and_lines_where_they_overlap():
    points = [(WEEKS[0], 40), (WEEKS[1], 42)]
    svg = charts.rom_chart({"abduction": {"left": points, "right": points}})

    # Left: a solid line and hollow rings; right: a dashed line and small squares drawn inside them.
    lines = re.findall(r"<polyline[^>]*>", svg)
    assert len(lines) == 2
    assert ["stroke-dasharray" in line for line in lines] == [False, True]
    assert len(re.findall(rf'<circle [^>]*stroke="{charts.LEFT_COLOUR}"', svg)) == 2 + 1  # + the legend's
    assert len(re.findall(rf'<rect [^>]*fill="{charts.RIGHT_COLOUR}"', svg)) == 2 + 1


def test_a_motion_without_readings_says_so():
    texts = _texts(charts.rom_chart({"flexion": {"left": [(DAY, 110)]}}))

    assert texts.count("not measured") == len(scoring.MOTIONS) - 1


@pytest.mark.parametrize(
    "svg",
    [
        charts.rom_chart({"flexion": {"left": [(DAY, 110)], "right": [(DAY, 118)]}}),
        charts.outcome_chart({"nprs": [(DAY, 6)]}),
        charts.outcome_chart({}),
        charts.fms_profile_chart([(WEEKS[0], _fms(2)), (WEEKS[3], _fms(3))]),
        charts.line_chart("Daily pain", "pain 0–10", [(DAY, 3)], y_range=(0, 10)),
    ],
    ids=["rom", "outcomes", "no outcomes", "fms", "line"],
)
def test_charts_are_named_images_drawn_without_styles(svg):
    assert re.match(r'<svg xmlns="http://www.w3.org/2000/svg"[^>]* role="img" aria-label="[^"]+"><title>', svg)
    assert "style" not in svg
    assert svg.endswith("</svg>")


def test_fms_profile_shows_the_first_and_the_latest_visit():
    svg = charts.fms_profile_chart([(WEEKS[0], _fms(1)), (WEEKS[1], _fms(2)), (WEEKS[3], _fms(3))])

    texts = _texts(svg)
    assert "2026-11-03" in texts
    assert "2026-11-24" in texts
    assert "2026-11-10" not in texts
    assert {test.label for test in scoring.FMS_TESTS} <= set(texts)


def test_rom_table_has_a_row_per_measured_side_and_a_column_per_visit():
    table = charts.rom_table({"flexion": {"left": [(WEEKS[0], 110), (WEEKS[2], 118)], "right": [(WEEKS[2], 120)]}})

    assert table.days == [WEEKS[0], WEEKS[2]]
    assert table.rows == [("Hip flexion left", ["110°", "118°"]), ("Hip flexion right", ["", "120°"])]


def test_outcome_table_lists_every_scored_questionnaire():
    table = charts.outcome_table({"lefs": [(WEEKS[1], Decimal("52.000"))], "odi": [(WEEKS[0], Decimal("40.000"))]})

    assert table.rows == [("ODI", ["40", ""]), ("LEFS", ["", "52"])]


def test_fms_table_leaves_an_unscored_test_blank():
    table = charts.fms_table([(WEEKS[0], _fms(None)), (WEEKS[1], _fms(3))])

    assert dict(table.rows)["Deep squat"] == ["", "3"]
    assert dict(table.rows)["Hurdle step"] == ["2", "2"]
