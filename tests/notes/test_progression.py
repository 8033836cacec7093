"""Which note lines change the home program, and how (notes/progression.py)."""

from __future__ import annotations

import pytest

from notes.progression import (
    DOSE,
    REPLACE,
    HomeExercise,
    home_program_changes,
    named_exercise,
    plan_reps,
)
from notes.rules import LineDraft

BRIDGE = HomeExercise(name="Glute bridge", sets=2, reps="10")
PLANK = HomeExercise(name="Side plank", sets=3, reps="30 s")
LIBRARY = ("Glute bridge", "Side plank", "Single-leg glute bridge", "Clamshell")


def line(name="Glute bridge", **fields) -> LineDraft:
    values = {"prong": "exercise", "name": name, "from_plan": True, "sets": 2, "reps": "10", "progression": "harder"}
    return LineDraft(**(values | fields))


@pytest.mark.parametrize(
    ("reps", "load", "expected"),
    [
        ("12", "", "12"),
        ("12", "5 kg", "12 with 5 kg"),
        (" 12 ", " 5 kg ", "12 with 5 kg"),
        ("12 with 5 kg", "5 kg", "12 with 5 kg"),
        ("", "red band", "with red band"),
    ],
)
def test_plan_reps(reps, load, expected):
    assert plan_reps(reps, load) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Single-leg glute bridge", ("Single-leg glute bridge", "")),
        ("single-leg  glute bridge.", ("Single-leg glute bridge", "")),
        ("replaced by Single-leg glute bridge", ("Single-leg glute bridge", "")),
        ("Progressed to clamshell", ("Clamshell", "")),
        ("→ Clamshell", ("Clamshell", "")),
        ("-> Clamshell", ("Clamshell", "")),
        ("replaced by Zebraquail hops", ("", "Zebraquail hops")),
        ("slower tempo", ("", "")),
        ("added 2 reps", ("", "")),
    ],
)
def test_named_exercise(text, expected):
    assert named_exercise(text, LIBRARY) == expected


@pytest.mark.parametrize(
    ("note_line", "expected"),
    [
        # A new dose with a progression written: the new dose.
        (line(sets=3, reps="12"), [(DOSE, "Glute bridge", 3, "12", "")]),
        # A load only: written after the signed repetitions.
        (line(load="5 kg"), [(DOSE, "Glute bridge", 2, "10 with 5 kg", "")]),
        # Empty reps keep the signed ones.
        (line(sets=3, reps=""), [(DOSE, "Glute bridge", 3, "10", "")]),
        # The same dose: a progression in words only changes nothing in the plan.
        (line(progression="slower tempo"), []),
        # No progression written: a modified delivery today, not a progression.
        (line(sets=1, reps="5", progression=""), []),
        (line(sets=1, reps="5", progression="   "), []),
        # Not given today.
        (line(sets=3, status="not_done", not_done_reason="pain"), []),
        # Modified counts as given.
        (line(sets=3, status="modified"), [(DOSE, "Glute bridge", 3, "10", "")]),
        # Not an exercise, or not from the plan, or not in the home program.
        (line(prong="soft_tissue", sets=3), []),
        (line(from_plan=False, sets=3), []),
        (line(name="Clinic-only squat", sets=3), []),
        # Another library exercise named: a replacement with the line's dose.
        (
            line(sets=3, reps="8", progression="replaced by Single-leg glute bridge"),
            [(REPLACE, "Glute bridge", 3, "8", "Single-leg glute bridge")],
        ),
        # The exercise's own name: a dose change, not a replacement.
        (line(sets=3, progression="glute bridge"), [(DOSE, "Glute bridge", 3, "10", "")]),
    ],
)
def test_home_program_changes(note_line, expected):
    found = home_program_changes([note_line], [BRIDGE, PLANK], LIBRARY)
    assert [(c.kind, c.name, c.sets, c.reps, c.replacement) for c in found.changes] == expected
    assert found.problems == ()


def test_a_replacement_with_no_dose_takes_the_librarys():
    found = home_program_changes([line(sets=None, reps="", progression="Single-leg glute bridge")], [BRIDGE], LIBRARY)
    assert [(c.kind, c.sets, c.reps) for c in found.changes] == [(REPLACE, None, "")]
    assert found.changes[0].text == "Glute bridge replaced by Single-leg glute bridge (the library's dose)"


@pytest.mark.parametrize(
    ("progression", "problem"),
    [
        ("replaced by Zebraquail hops", "Zebraquail hops is not in your clinic's exercise library"),
        ("replaced by Side plank", "Side plank is already in the home program"),
    ],
)
def test_replacements_the_plan_cannot_take_here(progression, problem):
    found = home_program_changes([line(progression=progression)], [BRIDGE, PLANK], LIBRARY)
    assert found.changes == ()
    assert len(found.problems) == 1
    assert problem in found.problems[0]


def test_several_lines_each_change_their_exercise():
    found = home_program_changes(
        [line(sets=3), line(name="Side plank", sets=3, reps="45 s", progression="longer holds")],
        [BRIDGE, PLANK],
        LIBRARY,
    )
    assert [change.text for change in found.changes] == [
        "Glute bridge: 2 × 10 → 3 × 10",
        "Side plank: 3 × 30 s → 3 × 45 s",
    ]
