"""The return-to-run pain rule (DOMAIN B10.3), branch by branch and at each limit."""

from __future__ import annotations

import pytest

from running.progression import Limits, Proposal, RunResponse, Step, manual, propose

DEFAULTS = Limits()


def _propose(before, during, morning, swelling=False, *, phase=2, count=6, sessions=2, limits=DEFAULTS) -> Proposal:
    return propose(
        RunResponse(before, during, morning, swelling),
        phase=phase,
        phase_count=count,
        sessions_in_phase=sessions,
        limits=limits,
    )


@pytest.mark.parametrize(
    ("before", "during", "morning", "swelling", "step", "to_phase"),
    [
        # Step back: above 5 during, or the morning not settled to the level before.
        (0, 6, 0, False, Step.STEP_BACK, 1),
        (0, 10, None, False, Step.STEP_BACK, 1),
        (1, 2, 2, False, Step.STEP_BACK, 1),
        (0, 0, 1, True, Step.STEP_BACK, 1),
        # 5 is the top of "acceptable": a hold, not a step back.
        (5, 5, 5, False, Step.HOLD, 2),
        (4, 4, 4, False, Step.HOLD, 2),
        # Hold: swelling or stiffness, or any rise during the run.
        (0, 0, 0, True, Step.HOLD, 2),
        (1, 2, 1, False, Step.HOLD, 2),
        (2, 3, None, False, Step.HOLD, 2),
        # Wait: all good so far, the next morning not answered yet.
        (0, 0, None, False, Step.WAIT, 2),
        (3, 3, None, False, Step.WAIT, 2),
        # Progress: at most 3 during, no rise, settled, no swelling, 2 sessions.
        (3, 3, 3, False, Step.PROGRESS, 3),
        (2, 1, 0, False, Step.PROGRESS, 3),
        (0, 0, 0, False, Step.PROGRESS, 3),
    ],
)
def test_each_branch(before, during, morning, swelling, step, to_phase):
    proposal = _propose(before, during, morning, swelling)
    assert (proposal.step, proposal.from_phase, proposal.to_phase) == (step, 2, to_phase)
    assert proposal.reasons


@pytest.mark.parametrize(("sessions", "step"), [(0, Step.HOLD), (1, Step.HOLD), (2, Step.PROGRESS), (5, Step.PROGRESS)])
def test_sessions_in_the_phase(sessions, step):
    assert _propose(0, 0, 0, sessions=sessions).step == step


@pytest.mark.parametrize(
    ("phase", "count", "step", "to_phase", "changes"),
    [(6, 6, Step.COMPLETE, 6, True), (5, 6, Step.PROGRESS, 6, True), (1, 1, Step.COMPLETE, 1, True)],
)
def test_the_last_phase_completes(phase, count, step, to_phase, changes):
    proposal = _propose(0, 0, 0, phase=phase, count=count)
    assert (proposal.step, proposal.to_phase, proposal.changes_phase) == (step, to_phase, changes)


def test_a_step_back_from_the_first_phase_repeats_it():
    proposal = _propose(0, 7, 0, phase=1)
    assert (proposal.step, proposal.to_phase) == (Step.STEP_BACK, 1)
    assert "first phase" in proposal.reasons[-1]


@pytest.mark.parametrize(
    ("before", "during", "morning", "swelling", "step"),
    [
        (0, None, 0, False, Step.WAIT),  # pain during not recorded
        (0, 0, 0, None, Step.WAIT),  # swelling not answered
        (None, 0, 0, False, Step.WAIT),  # pain before unknown: no rise can be ruled out
        (None, 6, 0, False, Step.STEP_BACK),  # the absolute limits still apply
        (None, 4, 9, False, Step.HOLD),  # a morning without a level before is not compared
    ],
)
def test_missing_answers(before, during, morning, swelling, step):
    assert _propose(before, during, morning, swelling).step == step


@pytest.mark.parametrize(
    ("limits", "during", "step"),
    [
        (Limits(step_back_pain=3), 4, Step.STEP_BACK),
        (Limits(hold_pain=3), 3, Step.HOLD),
        (Limits(progress_max_pain=2), 3, Step.HOLD),
        (Limits(progress_max_pain=2), 2, Step.PROGRESS),
        (Limits(sessions_per_phase=3), 0, Step.HOLD),
    ],
)
def test_every_number_is_a_setting(limits, during, step):
    assert _propose(during, during, during, limits=limits).step == step


def test_limits_from_clinic_values():
    limits = Limits.of(
        {"rtr_step_back_pain": 6, "rtr_hold_pain": 5, "rtr_progress_max_pain": 2, "rtr_sessions_per_phase": 3}
    )
    assert limits == Limits(step_back_pain=6, hold_pain=5, progress_max_pain=2, sessions_per_phase=3)


@pytest.mark.parametrize(
    ("step", "phase", "expected"),
    [
        (Step.PROGRESS, 2, (3, False)),
        (Step.PROGRESS, 6, (6, True)),
        (Step.STEP_BACK, 2, (1, False)),
        (Step.STEP_BACK, 1, (1, False)),
        (Step.HOLD, 4, (4, False)),
        (Step.COMPLETE, 3, (3, True)),
    ],
)
def test_a_clinicians_step(step, phase, expected):
    assert manual(step, phase=phase, phase_count=6) == expected
