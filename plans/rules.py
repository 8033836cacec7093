"""The plan generator: one pure function, ``generate``, from an episode's facts to a draft plan.

DOMAIN A; B5.7; B6.2; B7.

Pure Python (no Django). The services layer reads the facts (findings not dismissed, red flags, load and intake
facts, baseline scores) and the clinic's library, calls ``generate`` and stores the draft for a clinician to edit
and sign. Nothing here is a diagnosis: a draft is a starting point the clinician reviews.

Choices made where DOMAIN.md is silent (each says so again where it is coded):
* Visits per week and plan length: DOMAIN gives neither, so each rule carries a clinic default and the draft takes
  the largest value over the matched rules (the most demanding rule wins, e.g. the 8-week gluteal tendinopathy
  programme, B7.4 S131).
* An intervention chosen by several rules appears once; its dosage is the first override in rule order, else the
  intervention's default.
* Goals: the least change DOMAIN B5.7 counts as clinically important (for NPRS and ODI "points or 30 %", so the
  smaller of the two), rounded to the first score on the instrument's scale that meets it. No goal for a measure
  with no baseline, or a baseline already at the best end of its scale (nothing measurable to improve).
* A blocked draft (open emergency red flag, B6.2) has no items, goals or advice at all: the would-be items are
  listed as excluded with the emergency reason, and the referral is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from assessments.findings import CLINICIAN_CONDITION_LABELS, FINDING_CODES
from assessments.scoring import FMS_MAX_COMPOSITE, LLD_INTERPRETATION_LABELS, MOTION_LABELS
from domain.facts import MCID_DEFAULTS, SCORE_RANGES, THRESHOLD_DEFAULTS
from domain.numbers import plain
from plans.library import (
    CONTRAINDICATIONS,
    DEFAULT_VISITS_PER_WEEK,
    DEFAULT_WEEKS,
    INTAKE_FACT_LABELS,
    INTERVENTIONS_BY_KEY,
    LOAD_FACT_LABELS,
    PLAN_RULES,
    PRONG_ORDER,
    Contraindication,
    Dosage,
    Intervention,
    PlanRule,
    Prong,
    with_side,
)

# --- Inputs -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingFact:
    """A finding a plan reads from an assessment (dismissed findings are left out by the caller).

    ``detail`` qualifies a finding for rules with ``when_detail``; when empty, ``finding_detail`` reads it from a
    derive_findings label where it can (today: the leg-length interpretation).
    """

    code: str
    side: str | None
    label: str
    detail: str = ""


@dataclass(frozen=True)
class RedFlagFact:
    code: str
    tier: str  # "emergency" | "urgent" | "caution"
    label: str
    open: bool  # False once resolved or medically cleared; only open flags count


@dataclass(frozen=True)
class BaselineFacts:
    """Baseline scores the goals are written from. ``rom_below_norm``: (motion, side, value, norm) in degrees."""

    nprs: Decimal | int | None = None
    odi: Decimal | int | None = None
    lefs: Decimal | int | None = None
    fms_composite: int | None = None
    rom_below_norm: tuple[tuple[str, str, int, int], ...] = ()


@dataclass(frozen=True)
class Library:
    interventions: Mapping[str, Intervention]
    rules: Sequence[PlanRule]
    contraindications: Sequence[Contraindication]

    def __post_init__(self) -> None:
        for key, intervention in self.interventions.items():
            if key != intervention.key:
                raise ValueError(f"Intervention filed under {key!r} has key {intervention.key!r}")
        for rule in self.rules:
            missing = [item.intervention for item in rule.items if item.intervention not in self.interventions]
            if missing:
                raise ValueError(f"Plan rule {rule.key!r} names unknown intervention(s): {', '.join(missing)}")

    @classmethod
    def seed(cls) -> Library:
        """The seed library of ``plans.library``."""
        return cls(INTERVENTIONS_BY_KEY, PLAN_RULES, CONTRAINDICATIONS)


# --- Outputs ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftItem:
    intervention: str  # Intervention.key
    prong: Prong
    dosage: Dosage
    because: tuple[str, ...]  # labels of the findings / facts that chose it
    rules: tuple[str, ...]  # keys of the rules that chose it
    # "left" / "right" for an item with sided wording (Intervention.patient_side) chosen by findings on that one
    # side only; None otherwise (both sides, no sided finding, or no sided wording).
    side: str | None = None


@dataclass(frozen=True)
class Excluded:
    """An item a contraindication kept out. One entry per (item, contraindication): an item may appear more than
    once. It may be added back (with a reason) only when none of its entries is ``hard``."""

    intervention: str
    prong: Prong
    reason: str
    contraindication: str  # Contraindication.key
    hard: bool
    because: tuple[str, ...]  # labels of the findings / red flags that raised the contraindication


@dataclass(frozen=True)
class Contraindicated:
    """A library item the patient's facts contraindicate, with every contraindication that excludes it."""

    intervention: str
    name: str
    prong: Prong
    exclusions: tuple[Excluded, ...]

    @property
    def hard(self) -> bool:
        """True when it cannot be added at all; False when a written reason may keep it."""
        return any(entry.hard for entry in self.exclusions)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(_unique(entry.reason for entry in self.exclusions))

    @property
    def because(self) -> tuple[str, ...]:
        return tuple(_unique(label for entry in self.exclusions for label in entry.because))


@dataclass(frozen=True)
class Draft:
    items: tuple[DraftItem, ...]
    excluded: tuple[Excluded, ...]
    blocked: bool
    referrals: tuple[str, ...]
    visits_per_week: int
    weeks: int
    goals: tuple[str, ...]
    running_advice: tuple[str, ...]  # patient-facing, deduplicated, in rule order
    missing_prongs: tuple[Prong, ...]  # prongs with no item: the clinician states a reason (DOMAIN A "Three prongs")
    notes: tuple[str, ...] = field(default=())  # clinician-facing reminders from the matched rules


# --- Facts ------------------------------------------------------------------------------------------------


def finding_detail(finding: FindingFact) -> str:
    """The finding's ``detail``, or for a derive_findings leg-length label its interpretation code.

    derive_findings labels read "Leg-length discrepancy 8 mm, left short, structural (minor – ...)"; the
    interpretation is matched as a whole phrase, so "structural or mixed – apparent lengths not measured"
    ("unclassified") is never read as "structural". Any other label gives "".
    """
    if finding.detail:
        return finding.detail
    if finding.code == "leg_length_discrepancy":
        for interpretation, text in LLD_INTERPRETATION_LABELS.items():
            if f" short, {text} (" in finding.label:
                return interpretation
    return ""


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def rule_because(
    rule: PlanRule, findings: Sequence[FindingFact], load_facts: Sequence[str], intake_facts: Sequence[str]
) -> tuple[str, ...] | None:
    """The labels that select ``rule``, or None when it does not apply (any one condition suffices).

    ``generate`` matches every rule with this; the library's rule preview asks it about sample cases."""
    if rule.always:
        return (rule.name,)
    because = [
        finding.label
        for finding in findings
        if finding.code in rule.when_findings and (not rule.when_detail or finding_detail(finding) == rule.when_detail)
    ]
    because += [LOAD_FACT_LABELS.get(code, code) for code in load_facts if code in rule.when_load_facts]
    because += [INTAKE_FACT_LABELS.get(code, code) for code in intake_facts if code in rule.when_intake]
    return tuple(_unique(because)) or None


def _sides(rule: PlanRule, findings: Sequence[FindingFact]) -> set[str]:
    """The sides of the sided findings that select ``rule``."""
    return {
        finding.side
        for finding in findings
        if finding.side
        and finding.code in rule.when_findings
        and (not rule.when_detail or finding_detail(finding) == rule.when_detail)
    }


def _one_side(sides: set[str]) -> str | None:
    """The side when every sided finding is on it; None for none, or findings on both sides."""
    return next(iter(sides)) if len(sides) == 1 else None


def _contraindication_because(
    contraindication: Contraindication, findings: Sequence[FindingFact], open_flags: Sequence[RedFlagFact]
) -> tuple[str, ...]:
    because = [finding.label for finding in findings if finding.code in contraindication.when_findings]
    because += [
        flag.label
        for flag in open_flags
        if flag.tier in contraindication.when_red_flag_tiers or flag.code in contraindication.when_red_flag_codes
    ]
    return tuple(_unique(because))


def _excludes(contraindication: Contraindication, intervention: Intervention) -> bool:
    return bool(contraindication.excludes_tags & intervention.tags) or intervention.prong in (
        contraindication.excludes_prongs
    )


# --- Goals (DOMAIN B5.7) ------------------------------------------------------------------------------------

# DOMAIN's MCIDs (B5.1-B5.3, B5.7), ROM margin (B2.3) and FMS cut-off (B1.4), the same defaults as
# intake.scoring.is_meaningful_change's and derive_findings'. A clinic's values come in ``mcid``.
GOAL_SETTING_DEFAULTS: dict[str, Decimal] = {
    **{name: Decimal(value) for name, value in MCID_DEFAULTS.items()},
    "rom_mdc_deg": Decimal(THRESHOLD_DEFAULTS["rom_mdc_deg"]),
    "fms_low_composite": Decimal(THRESHOLD_DEFAULTS["fms_low_composite"]),
}


def _settings(mcid: Mapping[str, Decimal | int] | None) -> dict[str, Decimal]:
    values = dict(GOAL_SETTING_DEFAULTS)
    for key in GOAL_SETTING_DEFAULTS:  # other keys (e.g. a clinic's whole threshold mapping) are ignored
        value = None if mcid is None else mcid.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
            raise ValueError(f"{key} must be an int or Decimal, not {value!r}")
        if value < 0:
            raise ValueError(f"{key} must be 0 or more, not {value}")
        values[key] = Decimal(value)
    return values


def _score(value: object, instrument: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
        raise ValueError(f"{instrument.upper()} baseline must be an int or Decimal, not {value!r}")
    low, high = SCORE_RANGES[instrument]
    if not low <= value <= high:
        raise ValueError(f"{instrument.upper()} baseline must be {low}-{high}, not {value}")
    return Decimal(value)


def _least_change(baseline: Decimal, points: Decimal, relative: Decimal) -> Decimal:
    """DOMAIN B5.7: "points OR relative" - either suffices, so the smaller is the least important change.
    The relative rule is skipped for a baseline of 0 (guard, B5.7)."""
    return min(points, baseline * relative) if baseline > 0 else points


def _nprs_goal(baseline: Decimal | None, settings: Mapping[str, Decimal]) -> str | None:
    if baseline is None or baseline <= 0:
        return None
    points, relative = settings["nprs_mcid_points"], settings["nprs_mcid_relative"]
    # NPRS is scored in whole points (intake.scoring): the first whole score that meets the change.
    target = max((baseline - _least_change(baseline, points, relative)).to_integral_value(ROUND_FLOOR), Decimal(0))
    reach = "to 0" if target == 0 else f"to {plain(target)} or lower"
    return (
        f"Reduce pain (NPRS) from {plain(baseline)} {reach} (a clinically important change: at least "
        f"{plain(points)} points or {plain(relative * 100)} %)"
    )


def _odi_goal(baseline: Decimal | None, settings: Mapping[str, Decimal]) -> str | None:
    if baseline is None or baseline <= 0:
        return None
    points, relative = settings["odi_mcid_points"], settings["odi_mcid_relative"]
    # ODI is an exact fraction shown to 1 decimal (DOMAIN B5.1): the target is rounded down so the shown value
    # meets the change; the baseline is shown as intake.scoring displays it.
    target = max((baseline - _least_change(baseline, points, relative)).quantize(Decimal("0.1"), ROUND_FLOOR), 0)
    shown = baseline.quantize(Decimal("0.1"), ROUND_HALF_UP)
    reach = "to 0 %" if target == 0 else f"to {plain(target)} % or lower"
    return (
        f"Reduce disability (ODI) from {plain(shown)} % {reach} (a clinically important change: at least "
        f"{plain(points)} points or {plain(relative * 100)} %)"
    )


def _lefs_goal(baseline: Decimal | None, settings: Mapping[str, Decimal]) -> str | None:
    top = Decimal(SCORE_RANGES["lefs"][1])
    if baseline is None or baseline >= top:
        return None
    points = settings["lefs_mcid"]
    target = (baseline + points).to_integral_value(ROUND_CEILING)
    change = f"a clinically important change: at least {plain(points)} points"
    if target >= top:
        # DOMAIN.md is silent on a baseline within one MCID of the top: the goal is the top of the scale.
        return f"Improve function (LEFS) from {plain(baseline)} to {plain(top)}, the top of the scale ({change})"
    return f"Improve function (LEFS) from {plain(baseline)} to {plain(target)} or higher ({change})"


def _rom_goals(rows: Sequence[tuple[str, str, int, int]], settings: Mapping[str, Decimal]) -> list[str]:
    mdc = settings["rom_mdc_deg"]
    goals = []
    for motion, side, value, norm in rows:
        for name, number in (("value", value), ("norm", norm)):
            if isinstance(number, bool) or not isinstance(number, int):
                raise ValueError(f"ROM {name} must be a whole number of degrees, not {number!r}")
        target = Decimal(norm) - mdc
        if value >= target:  # within the MDC of the norm already: not measurably below (DOMAIN B2.3)
            continue
        label = MOTION_LABELS.get(motion, motion.replace("_", " ")).lower()
        goals.append(
            f"Improve {label} – {side} from {value}° to {plain(target)}° or more "
            f"(within the {plain(mdc)}° MDC of the {norm}° norm)"
        )
    return goals


def _fms_goal(composite: int | None, settings: Mapping[str, Decimal]) -> str | None:
    if composite is None:
        return None
    if isinstance(composite, bool) or not isinstance(composite, int) or not 0 <= composite <= FMS_MAX_COMPOSITE:
        raise ValueError(f"FMS composite must be a whole number 0-{FMS_MAX_COMPOSITE}, not {composite!r}")
    cutoff = settings["fms_low_composite"]
    if composite > cutoff:
        return None
    # DOMAIN A "FMS" / B1.4: <= 14 is a screening cue, never an injury prediction.
    return (
        f"Raise the FMS composite from {composite} to above {plain(cutoff)} "
        "(a screening cue for movement quality, not an injury prediction)"
    )


def goals_from_baseline(baseline: BaselineFacts, mcid: Mapping[str, Decimal | int] | None = None) -> tuple[str, ...]:
    """Measurable goals, in the order NPRS, ODI, LEFS, ROM rows, FMS; a measure with no baseline has none."""
    settings = _settings(mcid)
    goals = [
        _nprs_goal(_score(baseline.nprs, "nprs"), settings),
        _odi_goal(_score(baseline.odi, "odi"), settings),
        _lefs_goal(_score(baseline.lefs, "lefs"), settings),
        *_rom_goals(baseline.rom_below_norm, settings),
        _fms_goal(baseline.fms_composite, settings),
    ]
    return tuple(goal for goal in goals if goal)


# --- The generator ----------------------------------------------------------------------------------------


@dataclass
class _Selected:
    intervention: Intervention
    dosage: Dosage | None  # first override in rule order
    because: list[str]
    rules: list[str]
    sides: set[str] = field(default_factory=set)  # of the sided findings that chose it

    @property
    def side(self) -> str | None:
        return _one_side(self.sides) if self.intervention.patient_side else None


_Matched = Sequence[tuple[PlanRule, tuple[str, ...]]]
_Active = Sequence[tuple[Contraindication, tuple[str, ...]]]


def _candidates(matched: _Matched, library: Library, findings: Sequence[FindingFact]) -> list[_Selected]:
    """Each intervention the matched rules choose, once, ordered by prong, then in the order first selected."""
    selected: dict[str, _Selected] = {}
    for rule, because in matched:
        sides = _sides(rule, findings)
        for item in rule.items:
            entry = selected.get(item.intervention)
            if entry is None:
                entry = selected[item.intervention] = _Selected(
                    library.interventions[item.intervention], item.dosage, [], []
                )
            elif entry.dosage is None:
                entry.dosage = item.dosage
            entry.because.extend(label for label in because if label not in entry.because)
            entry.sides |= sides
            if rule.key not in entry.rules:
                entry.rules.append(rule.key)
    prong_rank = {prong: rank for rank, prong in enumerate(PRONG_ORDER)}
    return sorted(selected.values(), key=lambda entry: prong_rank[entry.intervention.prong])


def _screen(
    candidates: Sequence[_Selected], active: _Active, blockers: _Active
) -> tuple[list[DraftItem], list[Excluded]]:
    """The candidates no active contraindication excludes, and one entry per (candidate, contraindication) that
    does; a blocking contraindication excludes every candidate."""
    items: list[DraftItem] = []
    excluded: list[Excluded] = []
    for entry in candidates:
        intervention = entry.intervention
        hits = blockers or [(c, because) for c, because in active if _excludes(c, intervention)]
        for contraindication, because in hits:
            excluded.append(
                Excluded(
                    intervention.key,
                    intervention.prong,
                    contraindication.reason,
                    contraindication.key,
                    contraindication.hard,
                    because,
                )
            )
        if not hits:
            items.append(
                DraftItem(
                    intervention.key,
                    intervention.prong,
                    entry.dosage or intervention.dosage,
                    tuple(entry.because),
                    tuple(entry.rules),
                    entry.side,
                )
            )
    return items, excluded


def generate(
    *,
    findings: Sequence[FindingFact],
    red_flags: Sequence[RedFlagFact],
    load_facts: Iterable[str],
    intake_facts: Iterable[str],
    baseline: BaselineFacts,
    library: Library,
    mcid: Mapping[str, Decimal] | None = None,
) -> Draft:
    """A draft plan from the facts, the library's rules and its contraindications.

    Rules are read in library order; a rule applies when any of its conditions holds. Items are ordered by prong
    (manipulation, soft tissue, exercise), then in the order first selected. Only open red flags count. ``mcid``
    takes the goal settings of ``GOAL_SETTING_DEFAULTS`` (other keys are ignored). Raises ValueError for a baseline
    out of range or a bad setting.
    """
    findings = tuple(findings)
    open_flags = tuple(flag for flag in red_flags if flag.open)
    loads = _unique(load_facts)
    intakes = _unique(intake_facts)

    matched = [
        (rule, because)
        for rule in library.rules
        if (because := rule_because(rule, findings, loads, intakes)) is not None
    ]

    candidates = _candidates(matched, library, findings)

    active, blockers = _active_contraindications(library, findings, open_flags)
    referrals = tuple(_unique(c.referral for c, _ in active if c.referral))

    items, excluded = _screen(candidates, active, blockers)

    # DOMAIN.md gives no visit frequency or plan length: the largest over the matched rules (clinic defaults
    # when nothing matched).
    rules = [rule for rule, _ in matched]
    blocked = bool(blockers)
    goals = goals_from_baseline(baseline, mcid)  # validated even when blocked
    present = {item.prong for item in items}
    return Draft(
        items=tuple(items),
        excluded=tuple(excluded),
        blocked=blocked,
        referrals=referrals,
        visits_per_week=max((rule.visits_per_week for rule in rules), default=DEFAULT_VISITS_PER_WEEK),
        weeks=max((rule.weeks for rule in rules), default=DEFAULT_WEEKS),
        goals=() if blocked else goals,
        running_advice=()
        if blocked
        else tuple(
            _unique(
                with_side(advice, _one_side(_sides(rule, findings))) for rule in rules for advice in rule.running_advice
            )
        ),
        missing_prongs=tuple(prong for prong in PRONG_ORDER if prong not in present),
        notes=() if blocked else tuple(_unique(note for rule in rules for note in rule.notes)),
    )


# --- Every library item the facts contraindicate ------------------------------------------------------------


def _active_contraindications(
    library: Library, findings: Sequence[FindingFact], open_flags: Sequence[RedFlagFact]
) -> tuple[list[tuple[Contraindication, tuple[str, ...]]], list[tuple[Contraindication, tuple[str, ...]]]]:
    """The contraindications the facts raise, with their "because" labels, and those of them that block the plan."""
    active = [
        (contraindication, because)
        for contraindication in library.contraindications
        if (because := _contraindication_because(contraindication, findings, open_flags))
    ]
    return active, [(c, because) for c, because in active if c.blocks_plan]


def contraindicated(
    *, findings: Sequence[FindingFact], red_flags: Sequence[RedFlagFact], library: Library
) -> tuple[Contraindicated, ...]:
    """Every intervention of ``library`` that the findings and open red flags contraindicate, whether or not a rule
    would choose it, so a clinician sees each exclusion before adding an item by hand.

    Screened exactly as ``generate`` screens a rule's choice (one ``Excluded`` per contraindication, all of them
    under a blocking red flag). Ordered by prong, then by name.
    """
    findings = tuple(findings)
    active, blockers = _active_contraindications(library, findings, tuple(flag for flag in red_flags if flag.open))
    prong_rank = {prong: rank for rank, prong in enumerate(PRONG_ORDER)}
    everything = sorted(
        library.interventions.values(), key=lambda item: (prong_rank[item.prong], item.name.casefold(), item.key)
    )
    _, excluded = _screen([_Selected(item, None, [], []) for item in everything], active, blockers)
    by_key: dict[str, list[Excluded]] = {}
    for entry in excluded:
        by_key.setdefault(entry.intervention, []).append(entry)
    return tuple(
        Contraindicated(key, library.interventions[key].name, library.interventions[key].prong, tuple(entries))
        for key, entries in by_key.items()
    )


# --- Items no rule can choose -------------------------------------------------------------------------------

# Every finding a rule can be matched against: derive_findings' codes and the conditions a clinician may add.
SELECTABLE_FINDINGS: frozenset[str] = frozenset(FINDING_CODES) | frozenset(CLINICIAN_CONDITION_LABELS)


def can_select(rule: PlanRule, findings: frozenset[str] = SELECTABLE_FINDINGS) -> bool:
    """Whether any patient's facts can ever make ``rule`` apply: it always applies, or one of its conditions is a
    finding, load fact or intake fact that exists."""
    return (
        rule.always
        or bool(rule.when_findings & findings)
        or bool(rule.when_load_facts & LOAD_FACT_LABELS.keys())
        or bool(rule.when_intake & INTAKE_FACT_LABELS.keys())
    )


def clinicians_choice_only(library: Library, findings: frozenset[str] = SELECTABLE_FINDINGS) -> frozenset[str]:
    """The keys of the interventions no rule of ``library`` can choose: only a clinician adds them to a plan."""
    reachable = {item.intervention for rule in library.rules if can_select(rule, findings) for item in rule.items}
    return frozenset(key for key in library.interventions if key not in reachable)


CLINICIANS_CHOICE = "clinician's choice only"


def add_item_marks(contraindicated: Sequence[Contraindicated], clinicians_choice: Iterable[str]) -> dict[str, str]:
    """What the add-item list says beside an item, by key: whether the patient's facts contraindicate it (and
    whether a written reason can keep it), and whether only a clinician ever adds it."""
    marks: dict[str, list[str]] = {}
    for entry in contraindicated:
        marks.setdefault(entry.intervention, []).append(
            "contraindicated, cannot be added" if entry.hard else "contraindicated, needs a written reason"
        )
    for key in clinicians_choice:
        marks.setdefault(key, []).append(CLINICIANS_CHOICE)
    return {key: "; ".join(parts) for key, parts in marks.items()}
