"""The return-to-run pain rule: after a run, propose to progress, hold, step back or wait.

Pure Python (no Django). DOMAIN B10.3's rule sketch, in its order, with every number a clinic setting
(``THRESHOLD_DEFAULTS`` rtr_*):

    if during > step_back or (morning is known and morning > before):   step back one phase
    elif during >= hold or swelling/stiffness or during > before:        hold (repeat the phase)
    elif morning is None:                                                 wait (next-morning answer needed)
    elif sessions done in the phase >= sessions_per_phase:                progress (complete after the last)
    else:                                                                 hold (sessions still to do)

The combination of sourced pieces is ours, and the model was tested in Achilles tendinopathy (DOMAIN B10.3), so
the help text says both. A clinician confirms every phase change; this module only proposes.

Where the sketch is silent (product decisions, conservative): a run without its pain during the run or its
swelling answer waits; pain before the run, when not recorded, counts as unknown, so nothing can be compared with
it and the run cannot progress; a step back from the first phase repeats the first phase; ``during >
progress_max_pain`` below the hold limit (a clinic that set the two apart) holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from domain.facts import THRESHOLD_DEFAULTS

RULE_HELP = (
    "The proposal combines published pain-monitoring limits into one rule; the combination is the clinic's own "
    "default. The pain-monitoring model was tested in people with Achilles tendinopathy; using it for hip and "
    "low-back pain is an extrapolation. A clinician confirms every change of phase."
)


class Step(StrEnum):
    PROGRESS = "progress"
    HOLD = "hold"
    STEP_BACK = "step_back"
    COMPLETE = "complete"
    WAIT = "wait"


STEP_LABELS = {
    Step.PROGRESS: "Progress to the next phase",
    Step.HOLD: "Hold: repeat this phase",
    Step.STEP_BACK: "Step back one phase",
    Step.COMPLETE: "Complete the plan",
    Step.WAIT: "Wait for the next-morning answer",
}


@dataclass(frozen=True)
class Limits:
    step_back_pain: int = int(THRESHOLD_DEFAULTS["rtr_step_back_pain"])
    hold_pain: int = int(THRESHOLD_DEFAULTS["rtr_hold_pain"])
    progress_max_pain: int = int(THRESHOLD_DEFAULTS["rtr_progress_max_pain"])
    sessions_per_phase: int = int(THRESHOLD_DEFAULTS["rtr_sessions_per_phase"])

    @classmethod
    def of(cls, values: Mapping[str, Decimal | int]) -> Limits:
        """From a clinic's thresholds (``clinic.thresholds.for_clinic``)."""
        return cls(
            step_back_pain=int(values["rtr_step_back_pain"]),
            hold_pain=int(values["rtr_hold_pain"]),
            progress_max_pain=int(values["rtr_progress_max_pain"]),
            sessions_per_phase=int(values["rtr_sessions_per_phase"]),
        )


@dataclass(frozen=True)
class RunResponse:
    """How one run felt: pain 0-10 before, during and the next morning; swelling or stiffness after it."""

    pain_before: int | None
    pain_during: int | None
    morning_pain: int | None
    swelling_or_stiffness: bool | None


@dataclass(frozen=True)
class Proposal:
    step: Step
    from_phase: int
    to_phase: int
    reasons: tuple[str, ...]

    @property
    def changes_phase(self) -> bool:
        """A change a clinician confirms (a hold or a wait keeps the runner where they are)."""
        return self.step in (Step.PROGRESS, Step.STEP_BACK, Step.COMPLETE)


def propose(
    response: RunResponse, *, phase: int, phase_count: int, sessions_in_phase: int, limits: Limits = Limits()
) -> Proposal:
    """The proposal after a run done in ``phase`` (1-based) of ``phase_count``; ``sessions_in_phase`` counts the
    runs done in this phase so far, this one included."""
    during, morning, before = response.pain_during, response.morning_pain, response.pain_before

    def made(step: Step, *reasons: str) -> Proposal:
        to_phase = {Step.PROGRESS: phase + 1, Step.STEP_BACK: max(phase - 1, 1)}.get(step, phase)
        return Proposal(step, phase, to_phase, tuple(reasons))

    if during is None:
        return made(Step.WAIT, "Pain during the run is not recorded yet.")

    back = []
    if during > limits.step_back_pain:
        back.append(f"Pain during the run was {during}/10, above {limits.step_back_pain}/10.")
    if morning is not None and before is not None and morning > before:
        back.append(f"Pain the next morning ({morning}/10) had not settled to the level before the run ({before}/10).")
    if back:
        if phase == 1:
            back.append("This is the first phase, so the proposal is to repeat it.")
        return made(Step.STEP_BACK, *back)

    hold = []
    if during >= limits.hold_pain:
        hold.append(f"Pain during the run was {during}/10 (from {limits.hold_pain}/10 the phase is held).")
    elif during > limits.progress_max_pain:
        hold.append(f"Pain during the run was {during}/10, above {limits.progress_max_pain}/10 for progressing.")
    if response.swelling_or_stiffness:
        hold.append("Swelling or stiffness after the run.")
    if before is not None and during > before:
        hold.append(f"Pain rose during the run, from {before}/10 before it to {during}/10.")
    if hold:
        return made(Step.HOLD, *hold)

    waiting = []
    if response.swelling_or_stiffness is None:
        waiting.append("Swelling or stiffness after the run is not answered yet.")
    if morning is None:
        waiting.append("The next-morning pain is not answered yet; it is needed before progressing.")
    if before is None:
        waiting.append("Pain before the run was not recorded, so a rise in pain cannot be ruled out.")
    if waiting:
        return made(Step.WAIT, *waiting)

    if sessions_in_phase < limits.sessions_per_phase:
        return made(
            Step.HOLD,
            f"{sessions_in_phase} of at least {limits.sessions_per_phase} sessions done in this phase.",
        )
    settled = (
        f"Pain during the run {during}/10, settled by the next morning, no swelling or stiffness, "
        f"{sessions_in_phase} sessions done in this phase."
    )
    if phase >= phase_count:
        return made(Step.COMPLETE, settled, "This was the last phase.")
    return made(Step.PROGRESS, settled)


def manual(step: Step, *, phase: int, phase_count: int) -> tuple[int, bool]:
    """Where a clinician's chosen step takes the runner: (the phase, whether the plan is completed)."""
    if step == Step.COMPLETE or (step == Step.PROGRESS and phase >= phase_count):
        return phase, True
    if step == Step.PROGRESS:
        return phase + 1, False
    if step == Step.STEP_BACK:
        return max(phase - 1, 1), False
    return phase, False
