"""Walk-run programs as data: the shape of a phase table, its check, its words, and the two shipped programs.

Pure Python (no Django). A program's ``phases`` is a list of mappings, one per phase, in order:

    {"walk_min": int >= 0 (0: no walking), "run_min": int or None (None: run the whole session),
     "repeats": int or None (how many walk/run blocks; None: as many as the distance takes),
     "distance_m": int or None, "minutes": int or None (session time; None: not given),
     "rpe": int 0-10 or None, "rpe_label": str (the effort as the source words it), "note": str}

Each phase gives a distance or a session time. ``rules`` are sentences for the runner, printed on the handout.
Template A is DOMAIN B10.2's 6-phase table (distances converted from miles; session time not given); Template B
is the time-based program of a low-quality source, whose rest days are not specified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

METRES_PER_MILE = 1609.344
MAX_PHASES = 20
MAX_TEXT = 200
PHASE_KEYS = ("walk_min", "run_min", "repeats", "distance_m", "minutes", "rpe", "rpe_label", "note")
_RANGES = {"walk_min": (0, 120), "run_min": (1, 240), "repeats": (1, 50), "distance_m": (100, 50_000),
           "minutes": (1, 300), "rpe": (0, 10)}  # fmt: skip


def phase_problems(phases: object) -> list[str]:
    """Why a phase table is not acceptable, in plain words (empty when it is)."""
    if not isinstance(phases, list) or not phases:
        return ["Give at least one phase."]
    if len(phases) > MAX_PHASES:
        return [f"A program has at most {MAX_PHASES} phases."]
    problems = []
    for number, phase in enumerate(phases, start=1):
        if not isinstance(phase, Mapping):
            problems.append(f"Phase {number}: not a phase.")
            continue
        unknown = sorted(set(map(str, phase)) - set(PHASE_KEYS))
        if unknown:
            problems.append(f"Phase {number}: unknown field {', '.join(unknown)}.")
        for key, (low, high) in _RANGES.items():
            value = phase.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.append(f"Phase {number}: {key.replace('_', ' ')} must be a whole number from {low} to {high}.")
        for key in ("rpe_label", "note"):
            value = phase.get(key, "")
            if not isinstance(value, str) or len(value) > MAX_TEXT or "\x00" in value:
                problems.append(
                    f"Phase {number}: {key.replace('_', ' ')} must be text of at most {MAX_TEXT} characters."
                )
        if phase.get("walk_min") is None:
            problems.append(f"Phase {number}: give the walking minutes (0 for none).")
        if phase.get("distance_m") is None and phase.get("minutes") is None:
            problems.append(f"Phase {number}: give a distance or a session time.")
    return problems


def rule_problems(rules: object) -> list[str]:
    if not isinstance(rules, list) or not all(isinstance(rule, str) and rule.strip() for rule in rules):
        return ["Rules are a list of sentences."]
    if any(len(rule) > 500 or "\x00" in rule for rule in rules):
        return ["Each rule is at most 500 characters."]
    return []


def miles(distance_m: int) -> str:
    return f"{distance_m / METRES_PER_MILE:.1f}"


def km(distance_m: int) -> str:
    return f"{distance_m / 1000:.2f}"


def intervals_text(phase: Mapping) -> str:
    """Walk and run, in plain words: "walk 2 min, run 3 min", "run the whole way", "5 × (walk 4 min, run 2 min)"."""
    walk, run, repeats = phase.get("walk_min") or 0, phase.get("run_min"), phase.get("repeats")
    if run is None:
        text = "run the whole session" if not walk else f"walk {walk} min, then run the rest"
    elif not walk:
        text = f"run {run} min"
    else:
        text = f"walk {walk} min, run {run} min"
    return f"{repeats} × ({text})" if repeats and run is not None else text


def distance_text(phase: Mapping) -> str:
    distance = phase.get("distance_m")
    return f"{miles(distance)} miles (≈ {km(distance)} km)" if distance else ""


def effort_text(phase: Mapping) -> str:
    rpe, label = phase.get("rpe"), phase.get("rpe_label") or ""
    if rpe is None:
        return label
    return f"{rpe}/10 “{label}”" if label else f"{rpe}/10"


def rows(phases: Sequence[Mapping]) -> list[dict]:
    """The phase table as the handout, the portal and the episode page print it."""
    return [
        {
            "number": number,
            "intervals": intervals_text(phase),
            "distance": distance_text(phase),
            "distance_m": phase.get("distance_m"),
            "time": f"{phase['minutes']} min" if phase.get("minutes") else "Not given",
            "effort": effort_text(phase),
            "note": phase.get("note") or "",
        }
        for number, phase in enumerate(phases, start=1)
    ]


def _metres(mi: float) -> int:
    return round(mi * METRES_PER_MILE)


def _a(rpe: int, label: str, walk: int, run: int | None, mi: float) -> dict:
    return {"walk_min": walk, "run_min": run, "repeats": None, "distance_m": _metres(mi), "minutes": None,
            "rpe": rpe, "rpe_label": label, "note": ""}  # fmt: skip


def _b(repeats: int | None, walk: int, run: int | None, note: str = "") -> dict:
    return {"walk_min": walk, "run_min": run, "repeats": repeats, "distance_m": None, "minutes": 30,
            "rpe": None, "rpe_label": "", "note": note}  # fmt: skip


# DOMAIN B10.2 Template A (S178): the effort words are the source's; the km are our conversion.
TEMPLATE_A = {
    "key": "standard-walk-run",
    "name": "Standard return-to-run program",
    "phases": [
        _a(3, "easy", 2, 3, 1.0),
        _a(3, "easy", 2, 3, 1.5),
        _a(4, "somewhat easy", 2, 4, 1.5),
        _a(4, "somewhat easy", 2, 4, 2.0),
        _a(5, "somewhat hard", 1, 4, 2.0),
        _a(5, "somewhat hard", 0, None, 2.0),
    ],
    "rules": [
        "Warm up for 10 to 15 minutes before each run.",
        "Leave at least one rest day between runs.",
        "Do each phase at least twice before moving on to the next.",
        "If you have swelling, stiffness or more pain during or after running, do not move on: stay in the phase.",
        "Run at the stated effort, on level surfaces, with no hills.",
        "Wear running shoes no more than 6 months old.",
        "Your clinician confirms each move to another phase.",
    ],
    "source": (
        "Published return-to-run program from a randomised trial in soldiers with overuse knee injuries; not "
        "specific to hip or low-back pain. The program sets a distance per session, not a time, so session time "
        "is not given. Distances are converted from miles; the effort words are the program's own."
    ),
    "low_quality": False,
}

# DOMAIN B10.2 Template B (S186): a clinic web page, low quality; rest days not specified.
TEMPLATE_B = {
    "key": "time-based-30-min",
    "name": "Time-based walk-run program, 30 minutes",
    "phases": [
        _b(5, 4, 2),
        _b(5, 3, 3),
        _b(5, 2, 4),
        _b(2, 2, 14, "Run 14 minutes, then walk 2 minutes, twice."),
        _b(None, 0, None, "Run 30 minutes without stopping."),
    ],
    "rules": [
        "Start only once you can walk for 30 minutes without pain.",
        "Run only while your pain stays below 3 out of 10 and does not last into the next day.",
        "This program does not say how many rest days to take: ask your clinician.",
        "Your clinician confirms each move to another phase.",
    ],
    "source": (
        "A clinic's web page (a low-quality source). Time-based, 30 minutes per session; rest days are not specified."
    ),
    "low_quality": True,
}

SHIPPED = (TEMPLATE_A, TEMPLATE_B)
