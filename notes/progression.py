"""Which lines of a visit note change the patient's home program, and how.

A note's exercise line records the progression made at the visit (DOMAIN B12.1: the plan for the next
visits and the home-program changes are part of the note, S218, S227). Where that progression changes
what the patient does at home (new sets × reps or load, or another exercise in its place), the signed
plan is out of date: the handout and the portal follow the signed plan, so the change is drafted as a
new plan version for the clinician to sign. How a note's wording maps to a plan change is a product
rule (DOMAIN is silent):

- only exercise lines drawn from the signed plan's home program, given at the visit (delivered or
  modified), with a progression written, are read; an in-clinic exercise changes no home program,
  and the next note carries its dose over from this one;
- a progression that names another exercise of the clinic's library ("replaced by Single-leg glute
  bridge", "progressed to Side plank", or just the exercise's name) replaces the exercise; the new
  one takes the dose recorded on the line, or the library's when the line gives none;
- otherwise, sets × reps and load that differ from the signed dose are the new dose. The plan holds
  no load of its own, so a load is written after the repetitions ("12 with 5 kg"), as the handout
  then prints it;
- a progression with no new dose and no exercise named ("slower tempo") changes nothing in the plan.

Plain values only: the service reads the note, the plan and the library, and applies the changes
through the plans' own editing and signing flow.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from notes.rules import GIVEN, LineDraft

EXERCISE = "exercise"
DOSE = "dose"
REPLACE = "replace"

# "replaced by X", "replace with X", "progressed to X", "switched to X", "changed to X", "→ X", "-> X".
_NAMED = re.compile(
    r"^\s*(?:(?:replaced?|swapped?|switched|changed|progressed|moved)\s+(?:by|with|to|for)|→|->)\s*(?P<name>.+?)\s*\.?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class HomeExercise:
    """An exercise of the signed plan's home program, with its signed dose."""

    name: str
    sets: int | None = None
    reps: str = ""


@dataclass(frozen=True)
class Change:
    """One change to the home program. ``replacement`` is the library exercise taking ``name``'s place
    (``kind`` REPLACE); ``sets`` and ``reps`` the new dose (None and "" for a replacement: the library's)."""

    kind: str
    name: str
    sets: int | None
    reps: str
    before: str = ""  # the signed dose, as text
    replacement: str = ""

    @property
    def text(self) -> str:
        dose = dose_text(self.sets, self.reps)
        if self.kind == REPLACE:
            return f"{self.name} replaced by {self.replacement}" + (f" ({dose})" if dose else " (the library's dose)")
        return f"{self.name}: {self.before or 'no dose'} → {dose}"


@dataclass(frozen=True)
class Progression:
    changes: tuple[Change, ...] = ()
    # Progressions that ask for a change the plan cannot take from here, one message each.
    problems: tuple[str, ...] = field(default_factory=tuple)


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def dose_text(sets: int | None, reps: str) -> str:
    if sets and reps:
        return f"{sets} × {reps}"
    return reps or (f"{sets} sets" if sets else "")


def plan_reps(reps: str, load: str) -> str:
    """The repetitions as the plan holds them, with the load written after them (the plan has no load
    field): "12" and "5 kg" give "12 with 5 kg"; a load already written in the repetitions is not repeated."""
    reps, load = reps.strip(), load.strip()
    if not load or _key(load) in _key(reps):
        return reps
    return f"{reps} with {load}" if reps else f"with {load}"


def named_exercise(progression: str, library: Collection[str]) -> tuple[str, str]:
    """The exercise a progression names: (the library's spelling, "") when it is in the library; ("", the name
    as written) when the wording names one ("replaced by X") that the library lacks; ("", "") otherwise."""
    by_key = {_key(name): name for name in library}
    whole = by_key.get(_key(progression.rstrip(". ")))
    if whole:
        return whole, ""
    match = _NAMED.match(progression)
    if match is None:
        return "", ""
    written = match.group("name")
    found = by_key.get(_key(written))
    return (found, "") if found else ("", written)


def home_program_changes(
    lines: Sequence[LineDraft], home_program: Sequence[HomeExercise], library: Collection[str]
) -> Progression:
    """The changes to the home program the note's progressions make (see the module docstring). ``library``:
    the names of the clinic's exercises a replacement may be chosen from."""
    signed = {_key(exercise.name): exercise for exercise in home_program}
    changes: list[Change] = []
    problems: list[str] = []
    for line in lines:
        if line.prong != EXERCISE or not line.from_plan or line.status not in GIVEN or not line.progression.strip():
            continue
        exercise = signed.get(_key(line.name))
        if exercise is None:
            continue
        before = dose_text(exercise.sets, exercise.reps)
        reps = plan_reps(line.reps or exercise.reps, line.load)
        replacement, unknown = named_exercise(line.progression, library)
        if unknown:
            problems.append(
                f"{line.name}: {unknown} is not in your clinic's exercise library; add it there, or change the plan "
                "on its page."
            )
            continue
        if replacement and _key(replacement) != _key(line.name):
            if _key(replacement) in signed:
                problems.append(
                    f"{line.name}: {replacement} is already in the home program; change the plan on its page."
                )
                continue
            given = line.sets is not None or bool(line.reps.strip())
            changes.append(
                Change(
                    kind=REPLACE,
                    name=exercise.name,
                    sets=line.sets if given else None,
                    reps=reps if given else "",
                    before=before,
                    replacement=replacement,
                )
            )
            continue
        sets = line.sets if line.sets is not None else exercise.sets
        if (sets, reps) != (exercise.sets, exercise.reps):
            changes.append(Change(kind=DOSE, name=exercise.name, sets=sets, reps=reps, before=before))
    return Progression(changes=tuple(changes), problems=tuple(problems))
