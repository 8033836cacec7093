"""A visit note's quick re-measures compared with the episode's baseline, and the chiropractic
PART findings by segment.

Pure Python (no Django). The comparisons call the progress page's own rules
(``assessments.progress``), so a re-measure at a visit and a re-assessment are judged alike:

- Hip ROM (DOMAIN A "ROM change", B2.3; S29, S30): a change is real only beyond the clinic's MDC
  (default 5°), and readings taken in another position, with another device or in another mode
  are not compared (``progress.compare_rom``).
- SLR angle: DOMAIN.md is silent on a measurement error for the angle at which the straight-leg
  raise brings on symptoms. The angle is hip flexion with the knee straight (the exam checks it
  against the plausible hip-flexion range for the same reason), so it is judged as hip flexion,
  with the clinic's ROM MDC; higher is better.
- Special tests (DOMAIN B4): a result, not a number, so there is no measurement error to allow
  for. DOMAIN.md is silent on how to judge a change: every test records a problem when positive,
  so positive then negative is better, negative then positive is worse (clinic default).
- PART (DOMAIN B12.1; S225, secondary): subluxation by exam needs at least 2 of the 4 criteria,
  one of them asymmetry/misalignment or range-of-motion abnormality. It is shown as information,
  never as a diagnosis. The initial evaluation records no PART, so a segment is compared with the
  episode's first note that examined it; DOMAIN.md is silent on a change rule: fewer criteria
  found is better (clinic default).

The baseline is the episode's completed initial evaluation (what the progress page compares with).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from assessments import progress
from assessments.findings import SPECIAL_TEST_LABELS, SPECIAL_TESTS
from assessments.scoring import MOTION_LABELS, MOTIONS, PLAUSIBLE_ROM, SIDES, validate_rom
from domain.citations import citation
from domain.facts import THRESHOLD_DEFAULTS

ROM = "rom"
SLR = "slr"
SPECIAL_TEST = "special_test"
KINDS = (ROM, SLR, SPECIAL_TEST)

# A special test's result at a visit: a re-measure is a test done, so "not tested" is no result.
RESULTS = ("positive", "negative")
RESULT_LABELS = {"positive": "Positive", "negative": "Negative"}

# The SLR angle is hip flexion with the knee straight: the same plausible range rejects typing errors.
SLR_RANGE = PLAUSIBLE_ROM["flexion"]

# Spinal segments and the sacroiliac joints a PART exam is recorded for. DOMAIN B12.1 asks for "the
# precise level" (S227) and gives "L4, SIJ R" as examples; DOMAIN.md gives no list, so this is the
# usual listing from the occiput to the coccyx (clinic default).
SEGMENTS: tuple[tuple[str, str], ...] = (
    ("occiput", "Occiput"),
    *((f"C{number}", f"C{number}") for number in range(1, 8)),
    *((f"T{number}", f"T{number}") for number in range(1, 13)),
    *((f"L{number}", f"L{number}") for number in range(1, 6)),
    ("sacrum", "Sacrum"),
    ("coccyx", "Coccyx"),
    ("sij_left", "SI joint left"),
    ("sij_right", "SI joint right"),
)
SEGMENT_LABELS = dict(SEGMENTS)

# DOMAIN B12.1 (S225, secondary): the four PART elements, in their order.
PART_CRITERIA: tuple[tuple[str, str], ...] = (
    ("pain", "Pain / tenderness"),
    ("asymmetry", "Asymmetry / misalignment"),
    ("range_of_motion", "Range-of-motion abnormality"),
    ("tissue_tone", "Tissue / tone change"),
)
PART_LETTERS = {"pain": "P", "asymmetry": "A", "range_of_motion": "R", "tissue_tone": "T"}
PART_RULE = (
    "Subluxation by exam needs at least 2 of the 4 PART criteria, one of them asymmetry/misalignment "
    "or range-of-motion abnormality"
)
PART_SOURCE = citation(225)


# --- Labels ------------------------------------------------------------------------------------------


def measure_label(kind: str, code: str, side: str) -> str:
    """The words a page shows for a re-measure, e.g. "Hip flexion left" (the progress page's label)."""
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")
    if kind == ROM and code in MOTIONS:
        return f"{MOTION_LABELS[code]} {side}"
    if kind == SLR and code == SLR:
        return f"SLR angle {side}"
    if kind == SPECIAL_TEST and code in SPECIAL_TEST_LABELS:
        return f"{SPECIAL_TEST_LABELS[code]} {side}"
    raise ValueError(f"Unknown re-measure {kind!r} {code!r}")


def measure_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """What a clinician may re-measure, grouped, as "kind:code" values."""
    return [
        ("Hip range of motion", [(f"{ROM}:{motion}", MOTION_LABELS[motion]) for motion in MOTIONS]),
        ("Straight-leg raise", [(f"{SLR}:{SLR}", "SLR angle (degrees)")]),
        ("Special test", [(f"{SPECIAL_TEST}:{code}", label) for code, label in SPECIAL_TESTS]),
    ]


# --- Values --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Remeasure:
    """One re-measure: a hip motion (degrees and how it was taken), an SLR angle (degrees), or a
    special test's result, on one side."""

    kind: str
    code: str
    side: str
    degrees: int | None = None
    result: str = ""
    method: progress.RomMethod | None = None  # hip ROM only

    def __post_init__(self) -> None:
        measure_label(self.kind, self.code, self.side)  # refuses an unknown measure or side
        if self.kind == SPECIAL_TEST:
            if self.result not in RESULTS:
                raise ValueError(f"A special test's result is positive or negative, not {self.result!r}")
            if self.degrees is not None or self.method is not None:
                raise ValueError("A special test records a result, not degrees")
            return
        if self.result:
            raise ValueError("Only a special test has a result")
        if self.degrees is None:
            raise ValueError("Give the degrees")
        if self.kind == ROM:
            if self.method is None:
                raise ValueError("A hip ROM re-measure records how it was taken")
            validate_rom(self.code, self.degrees)
        else:
            if self.method is not None:
                raise ValueError("The SLR angle records no ROM method")
            low, high = SLR_RANGE
            if isinstance(self.degrees, bool) or not isinstance(self.degrees, int) or not low <= self.degrees <= high:
                raise ValueError(f"SLR angle must be a whole number of degrees {low}-{high}, not {self.degrees!r}")

    @property
    def label(self) -> str:
        return measure_label(self.kind, self.code, self.side)

    @property
    def shown(self) -> str:
        """The value as a page writes it."""
        if self.kind == SPECIAL_TEST:
            return RESULT_LABELS[self.result]
        return f"{self.degrees}°"


@dataclass(frozen=True)
class Baseline:
    """The initial evaluation's values a visit's re-measures are compared with."""

    rom: Mapping[tuple[str, str], tuple[int, progress.RomMethod]]  # (motion, side) -> (degrees, method)
    slr: Mapping[str, int]  # side -> angle
    special_tests: Mapping[tuple[str, str], str]  # (test, side) -> positive / negative / not_tested
    not_tested: frozenset[str] = frozenset()  # exam sections marked not tested (assessments.sections)


NO_BASELINE = Baseline(rom={}, slr={}, special_tests={})


# --- Comparisons ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureComparison:
    """A re-measure against its baseline: how it moved and the rule that decided it."""

    baseline: str  # as shown, "" when there is none
    change: progress.Change
    rule: str  # e.g. "change beyond MDC 5°", "taken supine then prone: not comparable"
    has_mdc: bool  # judged against a measurement error (degrees) rather than a result

    @property
    def text(self) -> str:
        """ "changed beyond MDC: better", "within MDC", "changed: worse", "unchanged", or why not comparable."""
        if self.change == progress.Change.NOT_COMPARABLE:
            return self.rule if "not comparable" in self.rule else f"not comparable: {self.rule}"
        if self.change == progress.Change.NO_CHANGE:
            return "within MDC" if self.has_mdc else "unchanged"
        direction = "better" if self.change == progress.Change.IMPROVED else "worse"
        return f"changed beyond MDC: {direction}" if self.has_mdc else f"changed: {direction}"


def _from_progress(comparison: progress.Comparison) -> MeasureComparison:
    shown = "" if comparison.baseline is None else f"{comparison.baseline}°"
    return MeasureComparison(shown, comparison.change, comparison.rule, has_mdc=True)


def compare(
    measure: Remeasure,
    baseline: Baseline,
    *,
    rom_mdc: int | Decimal = THRESHOLD_DEFAULTS["rom_mdc_deg"],
) -> MeasureComparison:
    """``measure`` against the initial evaluation, with the clinic's ROM MDC."""
    if measure.kind == ROM:
        before = baseline.rom.get((measure.code, measure.side))
        return _from_progress(
            progress.compare_rom(
                measure.code,
                measure.side,
                before[0] if before else None,
                measure.degrees,
                # With no baseline reading the comparison says so, whatever method is given for it.
                baseline_method=before[1] if before else measure.method,
                current_method=measure.method,
                mdc=rom_mdc,
                not_tested=progress.NotTested(baseline="rom" in baseline.not_tested),
            )
        )
    if measure.kind == SLR:
        # The exam keeps no position, device or mode for the SLR angle: the test fixes how it is taken
        # (supine, leg raised passively with the knee straight), so both readings are taken as alike.
        alike = progress.RomMethod(position="supine", device="goniometer", mode="passive")
        return _from_progress(
            progress.compare_rom(
                "flexion",
                measure.side,
                baseline.slr.get(measure.side),
                measure.degrees,
                baseline_method=alike,
                current_method=alike,
                mdc=rom_mdc,
                not_tested=progress.NotTested(baseline="special_tests" in baseline.not_tested),
            )
        )
    return compare_special_test(baseline.special_tests.get((measure.code, measure.side)), measure.result)


def compare_special_test(baseline: str | None, current: str) -> MeasureComparison:
    """A special test's result against the initial evaluation's (see the module's docstring)."""
    if current not in RESULTS:
        raise ValueError(f"A special test's result is positive or negative, not {current!r}")
    if baseline is not None and baseline not in (*RESULTS, "not_tested"):
        raise ValueError(f"Unknown baseline result {baseline!r}")
    if baseline is None or baseline == "not_tested":
        return MeasureComparison("", progress.Change.NOT_COMPARABLE, "not tested at baseline", has_mdc=False)
    shown = RESULT_LABELS[baseline]
    if baseline == current:
        return MeasureComparison(shown, progress.Change.NO_CHANGE, "same result", has_mdc=False)
    change = progress.Change.IMPROVED if current == "negative" else progress.Change.WORSE
    rule = f"{baseline} then {current}: a special test has no measurement error, any change of result counts"
    return MeasureComparison(shown, change, rule, has_mdc=False)


# --- PART ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartExam:
    """The PART criteria found at one segment."""

    pain: bool = False
    asymmetry: bool = False
    range_of_motion: bool = False
    tissue_tone: bool = False

    @property
    def found(self) -> tuple[str, ...]:
        """Labels of the criteria found, in PART's order."""
        return tuple(label for name, label in PART_CRITERIA if getattr(self, name))

    @property
    def letters(self) -> str:
        """E.g. "P, A, T"; "none" when nothing was found."""
        return ", ".join(PART_LETTERS[name] for name, _ in PART_CRITERIA if getattr(self, name)) or "none"


def part_supports_subluxation(exam: PartExam) -> bool:
    """DOMAIN B12.1 (S225, secondary): at least 2 of the 4 criteria, one of them A or R."""
    return len(exam.found) >= 2 and (exam.asymmetry or exam.range_of_motion)


def compare_part(first: PartExam | None, current: PartExam) -> MeasureComparison:
    """A segment's PART exam against the episode's first one at that segment (see the module's docstring)."""
    if first is None:
        return MeasureComparison("", progress.Change.NOT_COMPARABLE, "first exam of this segment", has_mdc=False)
    before, now = len(first.found), len(current.found)
    if now == before:
        change, rule = progress.Change.NO_CHANGE, f"{before} of 4 criteria then and now"
    else:
        change = progress.Change.IMPROVED if now < before else progress.Change.WORSE
        rule = f"{before} of 4 criteria then, {now} now: fewer is better"
    return MeasureComparison(first.letters, change, rule, has_mdc=False)
