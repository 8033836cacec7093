"""Walk-run programs as data: the phase table's check and its words (pure)."""

from __future__ import annotations

import pytest

from plans import run_programs

GOOD = {"walk_min": 2, "run_min": 3, "repeats": None, "distance_m": 1609, "minutes": None, "rpe": 3,
        "rpe_label": "easy", "note": ""}  # fmt: skip


@pytest.mark.parametrize(
    ("phases", "problem"),
    [
        ([GOOD], None),
        ([{**GOOD, "distance_m": None, "minutes": 30}], None),
        ([], "Give at least one phase."),
        ("phases", "Give at least one phase."),
        ({"walk_min": 1}, "Give at least one phase."),
        ([GOOD] * 21, "at most 20 phases"),
        (["phase"], "not a phase"),
        ([{**GOOD, "distance_m": None}], "a distance or a session time"),
        ([{**GOOD, "walk_min": None}], "walking minutes"),
        ([{**GOOD, "rpe": 11}], "rpe must be a whole number from 0 to 10"),
        ([{**GOOD, "rpe": True}], "rpe must be a whole number"),
        ([{**GOOD, "rpe": 3.5}], "rpe must be a whole number"),
        ([{**GOOD, "distance_m": "1609"}], "distance m must be a whole number"),
        ([{**GOOD, "distance_m": 10**40}], "distance m must be a whole number"),
        ([{**GOOD, "run_min": 0}], "run min must be a whole number from 1"),
        ([{**GOOD, "rpe_label": "a\x00b"}], "rpe label must be text"),
        ([{**GOOD, "note": "x" * 201}], "note must be text"),
        ([{**GOOD, "note": ["x"]}], "note must be text"),
        ([{**GOOD, "speed": 3}], "unknown field speed"),
    ],
)
def test_phase_problems(phases, problem):
    problems = run_programs.phase_problems(phases)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in text for text in problems), problems


@pytest.mark.parametrize(
    ("rules", "ok"),
    [([], True), (["Rest a day."], True), ("Rest", False), ([""], False), ([3], False), (["x" * 501], False)],
)
def test_rule_problems(rules, ok):
    assert (run_programs.rule_problems(rules) == []) is ok


def test_template_a_is_the_six_phase_table():
    rows = run_programs.rows(run_programs.TEMPLATE_A["phases"])
    assert [row["distance"] for row in rows] == [
        "1.0 miles (≈ 1.61 km)",
        "1.5 miles (≈ 2.41 km)",
        "1.5 miles (≈ 2.41 km)",
        "2.0 miles (≈ 3.22 km)",
        "2.0 miles (≈ 3.22 km)",
        "2.0 miles (≈ 3.22 km)",
    ]
    assert [row["intervals"] for row in rows] == [
        "walk 2 min, run 3 min",
        "walk 2 min, run 3 min",
        "walk 2 min, run 4 min",
        "walk 2 min, run 4 min",
        "walk 1 min, run 4 min",
        "run the whole session",
    ]
    assert [row["effort"] for row in rows][::2] == ["3/10 “easy”", "4/10 “somewhat easy”", "5/10 “somewhat hard”"]
    assert {row["time"] for row in rows} == {"Not given"}
    assert run_programs.phase_problems(run_programs.TEMPLATE_A["phases"]) == []
    rules = " ".join(run_programs.TEMPLATE_A["rules"])
    for words in ("10 to 15 minutes", "at least one rest day", "at least twice", "level surfaces"):
        assert words in rules


def test_template_b_is_time_based_and_low_quality():
    program = run_programs.TEMPLATE_B
    rows = run_programs.rows(program["phases"])
    assert rows[0]["intervals"] == "5 × (walk 4 min, run 2 min)"
    assert rows[4]["intervals"] == "run the whole session"
    assert {row["time"] for row in rows} == {"30 min"}
    assert program["low_quality"]
    assert "not specified" in program["source"]
    assert run_programs.phase_problems(program["phases"]) == []
