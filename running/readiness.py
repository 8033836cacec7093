"""Readiness to start running: the criteria as data and the rule that checks them (pure).

The checklist is one published author recommendation (expert opinion) for the hip (DOMAIN A
"Return-to-run readiness (hip)", B10.1, S177). Each item is its own criterion, which a clinic may
reword, retarget or switch off (``ReadinessCriterion`` rows start from ``CRITERIA``). The rule
proposes; the clinician decides, and records a reason when the decision goes against it.

- Red flags first (DOMAIN B6.2): an open emergency or urgent flag means "not yet", before anything else.
- Every task pain-free with acceptable pelvic control (S177).
- Y-balance: LSI = involved / uninvolved x 100 per reach direction (DOMAIN B10.1: the formula is stored
  by name because the literature uses several, S188; both the formula and whether reaches are normalised
  to limb length are unverified). The published "85 % limb symmetry" does not say which reach it is
  taken on: every direction entered must reach it (our own reading, said so in the help text).
- HOS-ADL > 95 %, HOS-Sport > 90 %, entered as the subscale percentages (score-only entry, DOMAIN B12.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from domain.facts import THRESHOLD_DEFAULTS

SOURCE_NOTE = "One published author recommendation (expert opinion) for returning to running after hip pain."
LOW_BACK_NOTE = (
    "No criteria specific to low-back pain were found (unverified): the same checklist is the default for "
    "runners with low-back pain, after their red flags are checked."
)
LSI_FORMULA = "involved_over_uninvolved"
LSI_FORMULA_LABEL = "LSI = involved ÷ uninvolved × 100"
Y_BALANCE_HELP = (
    "Limb symmetry index (LSI) = involved ÷ uninvolved × 100, for each reach direction, from the raw reaches "
    "of each side. The literature uses several asymmetry formulas; whether this one is the standard for the "
    "Y-balance test, and whether reaches should first be normalised to limb length, are unverified. The "
    "published 85 % does not say which reach it applies to: here every direction entered must reach it "
    "(clinic default)."
)
HOS_HELP = (
    "Score-only entry from the licensed form: the subscale percentage, 100 × sum ÷ (4 × items answered, "
    "not counting “not applicable”)."
)

TASK, Y_BALANCE, HOS_ADL, HOS_SPORT = "task", "y_balance", "hos_adl", "hos_sport"
DIRECTIONS = {"anterior": "Anterior", "posteromedial": "Posteromedial", "posterolateral": "Posterolateral"}
SIDES = ("left", "right")
EMERGENCY, URGENT = "emergency", "urgent"
BLOCKING_TIERS = (EMERGENCY, URGENT)
THRESHOLD_KEYS = ("rtr_y_balance_lsi_pct", "rtr_hos_adl_pct", "rtr_hos_sport_pct")


@dataclass(frozen=True)
class Criterion:
    """One readiness item. ``target`` is the least value that passes a timed or counted task
    (``unit`` "s", "reps" or "min"); a task without one is judged met or not by the clinician.
    ``control``: the task is watched for pelvic control (movement tasks, not the ROM or MMT exam)."""

    key: str
    label: str
    measure: str
    kind: str = TASK
    target: Decimal | None = None
    unit: str = ""
    control: bool = True
    source: str = SOURCE_NOTE


CRITERIA: tuple[Criterion, ...] = (
    Criterion("rom", "Hip range of motion", "Near-full, symmetric range of motion in all directions", control=False),
    Criterion("strength", "Strength", "5/5 manual muscle test, all hip and core muscles", control=False),
    Criterion("plank", "Plank", "Hold for 45 seconds", target=Decimal(45), unit="s"),
    Criterion("side_plank", "Side plank", "Hold for 45 seconds", target=Decimal(45), unit="s"),
    Criterion("bird_dog", "Bird-dog", "Hold for 30 seconds", target=Decimal(30), unit="s"),
    Criterion("side_lying_abduction", "Side-lying hip abduction", "30 repetitions", target=Decimal(30), unit="reps"),
    Criterion(
        "prone_hip_extension", "Prone hip extension, knee bent", "30 repetitions", target=Decimal(30), unit="reps"
    ),
    Criterion("pelvic_rotation", "Weight-bearing pelvic rotation", "30 repetitions", target=Decimal(30), unit="reps"),
    Criterion(
        "lateral_step_down",
        "Lateral step-down",
        "10 repetitions from an 8 in (about 20 cm) box, body weight",
        target=Decimal(10),
        unit="reps",
    ),
    Criterion("single_leg_squat", "Single-leg squat", "10 repetitions, body weight", target=Decimal(10), unit="reps"),
    Criterion("step_and_hold", "Forward and lateral step-and-hold", "30 repetitions", target=Decimal(30), unit="reps"),
    Criterion("y_balance", "Y-balance", "Limb symmetry index of at least 85 %", kind=Y_BALANCE),
    Criterion("walk", "Walk", "15 minutes at a self-selected pace", target=Decimal(15), unit="min"),
    Criterion("hos_adl", "HOS activities of daily living", "Above 95 %", kind=HOS_ADL, control=False),
    Criterion("hos_sport", "HOS sport", "Above 90 %", kind=HOS_SPORT, control=False),
)
CRITERIA_BY_KEY = {criterion.key: criterion for criterion in CRITERIA}
UNITS = {"s": "seconds", "reps": "repetitions", "min": "minutes"}


def defaults() -> dict[str, Decimal]:
    """The rule's clinic-setting thresholds at their defaults (keys as in clinic/thresholds.py)."""
    return {
        key: Decimal(THRESHOLD_DEFAULTS[key])
        for key in ("rtr_y_balance_lsi_pct", "rtr_hos_adl_pct", "rtr_hos_sport_pct")
    }


@dataclass(frozen=True)
class ItemInput:
    """What the clinician recorded for one criterion. ``met``: their judgement for a task without a
    numeric target (None: not tested). ``pelvic_control``: "ok", "poor" or "" (not recorded)."""

    key: str
    value: Decimal | None = None
    met: bool | None = None
    pain: bool = False
    pelvic_control: str = ""


@dataclass(frozen=True)
class YBalance:
    """Raw reaches (any one unit, the same for both sides) by side, then direction; ``involved``: "left" or "right"."""

    involved: str
    reaches: Mapping[str, Mapping[str, Decimal | None]]
    pain: bool = False
    pelvic_control: str = ""

    def lsi(self) -> dict[str, Decimal]:
        """LSI per direction with both sides entered, one decimal place."""
        uninvolved = "right" if self.involved == "left" else "left"
        found = {}
        for direction in DIRECTIONS:
            mine = self.reaches.get(self.involved, {}).get(direction)
            other = self.reaches.get(uninvolved, {}).get(direction)
            if mine is not None and other:
                found[direction] = (Decimal(mine) / Decimal(other) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
        return found


@dataclass(frozen=True)
class ItemResult:
    key: str
    label: str
    passed: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """``start``: every active criterion passed and no blocking red flag is open."""

    start: bool
    red_flags: tuple[str, ...]
    items: tuple[ItemResult, ...]
    lsi: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why not yet, red flags first; empty when the rule says start."""
        flags = tuple(f"Open red flag: {label}. Red flags are dealt with before running." for label in self.red_flags)
        return flags + tuple(f"{item.label}: {reason}" for item in self.items for reason in item.reasons)

    @property
    def failed(self) -> tuple[ItemResult, ...]:
        return tuple(item for item in self.items if not item.passed)


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _task(criterion: Criterion, item: ItemInput | None) -> list[str]:
    if item is None or (item.value is None and item.met is None):
        return ["not tested."]
    reasons = []
    if criterion.target is not None:
        if item.value is None:
            reasons.append("no result entered.")
        elif item.value < criterion.target:
            unit = UNITS.get(criterion.unit, criterion.unit)
            reasons.append(f"{_number(item.value)} {unit}, {_number(criterion.target)} needed.")
    elif item.met is False:
        reasons.append("not met.")
    elif item.met is None:
        reasons.append("not marked as met.")
    reasons += _pain_and_control(criterion.control, item.pain, item.pelvic_control)
    return reasons


def _pain_and_control(control: bool, pain: bool, pelvic_control: str) -> list[str]:
    reasons = ["painful; every task must be pain-free."] if pain else []
    if control and pelvic_control == "poor":
        reasons.append("poor pelvic control.")
    elif control and pelvic_control != "ok":
        reasons.append("pelvic control not recorded.")
    return reasons


def _y_balance(y_balance: YBalance | None, minimum: Decimal) -> tuple[list[str], dict[str, Decimal]]:
    if y_balance is None:
        return ["not tested."], {}
    lsi = y_balance.lsi()
    if not lsi:
        return ["no direction with both sides' reaches entered."], {}
    reasons = [
        f"{DIRECTIONS[direction]} LSI {_number(value)} %, at least {_number(minimum)} % needed."
        for direction, value in lsi.items()
        if value < minimum
    ]
    reasons += _pain_and_control(True, y_balance.pain, y_balance.pelvic_control)
    return reasons, lsi


def _hos(score: Decimal | None, above: Decimal) -> list[str]:
    if score is None:
        return ["not entered."]
    if score <= above:
        return [f"{_number(score)} %, above {_number(above)} % needed."]
    return []


def readiness(
    items: Iterable[ItemInput],
    y_balance: YBalance | None,
    hos_adl: Decimal | None,
    hos_sport: Decimal | None,
    red_flags: Iterable[tuple[str, str]],
    thresholds: Mapping[str, Decimal] | None = None,
    criteria: Iterable[Criterion] = CRITERIA,
) -> Verdict:
    """Start or not yet, item by item with the reasons. ``red_flags``: the episode's open flags as
    (tier, label); ``criteria``: the clinic's active criteria (labels and targets as it set them)."""
    limits = {**defaults(), **(thresholds or {})}
    by_key = {item.key: item for item in items}
    blocking = tuple(label for tier, label in red_flags if tier in BLOCKING_TIERS)
    results, lsi = [], {}
    for criterion in criteria:
        if criterion.kind == Y_BALANCE:
            reasons, lsi = _y_balance(y_balance, limits["rtr_y_balance_lsi_pct"])
        elif criterion.kind == HOS_ADL:
            reasons = _hos(hos_adl, limits["rtr_hos_adl_pct"])
        elif criterion.kind == HOS_SPORT:
            reasons = _hos(hos_sport, limits["rtr_hos_sport_pct"])
        else:
            reasons = _task(criterion, by_key.get(criterion.key))
        results.append(ItemResult(criterion.key, criterion.label, not reasons, tuple(reasons)))
    start = not blocking and all(result.passed for result in results)
    return Verdict(start=start, red_flags=blocking, items=tuple(results), lsi=lsi)


def passing_items() -> dict[str, ItemInput]:
    """Every criterion met, with acceptable pelvic control: the demo runner's check and the tests'."""
    items = {}
    for criterion in CRITERIA:
        if criterion.kind == TASK and criterion.target is not None:
            items[criterion.key] = ItemInput(criterion.key, value=criterion.target, pelvic_control="ok")
        elif criterion.kind == TASK:
            items[criterion.key] = ItemInput(criterion.key, met=True, pelvic_control="ok")
        elif criterion.kind == Y_BALANCE:
            items[criterion.key] = ItemInput(criterion.key, pelvic_control="ok")
    return items
