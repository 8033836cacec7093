"""The visit note's pure rules: pre-fill, portal summary, "to finish", what signing requires."""

from __future__ import annotations

import datetime

import pytest

from notes import rules
from notes.rules import DayLog, LineDraft, NoteContent, PlannedItem

UTC = datetime.UTC
THRUST = PlannedItem(prong="manipulation", name="Lumbar thrust")
CLAMS = PlannedItem(prong="exercise", name="Clamshells", sets=3, reps="10")


@pytest.mark.parametrize(
    ("planned", "last", "expected"),
    [
        # No plan: nothing to pre-fill.
        ([], [], []),
        # First visit after the plan: the plan's own dosage, delivered.
        ([CLAMS], [], [LineDraft(prong="exercise", name="Clamshells", sets=3, reps="10", from_plan=True)]),
        # The last note's details carry over, its progression does not.
        (
            [CLAMS, THRUST],
            [
                LineDraft(
                    prong="exercise", name="Clamshells", sets=4, reps="12", load="red band", progression="+1 set"
                ),
                LineDraft(prong="manipulation", name="Lumbar thrust", region="L4", technique="side posture"),
            ],
            [
                LineDraft(prong="exercise", name="Clamshells", sets=4, reps="12", load="red band", from_plan=True),
                LineDraft(
                    prong="manipulation", name="Lumbar thrust", region="L4", technique="side posture", from_plan=True
                ),
            ],
        ),
        # Same name in another prong is another intervention; a line added last time is not repeated.
        (
            [CLAMS],
            [
                LineDraft(prong="soft_tissue", name="Clamshells", minutes=5),
                LineDraft(prong="soft_tissue", name="Foam rolling", minutes=5),
            ],
            [LineDraft(prong="exercise", name="Clamshells", sets=3, reps="10", from_plan=True)],
        ),
        # A last line without sets keeps the plan's.
        (
            [CLAMS],
            [LineDraft(prong="exercise", name="Clamshells", load="2 kg")],
            [LineDraft(prong="exercise", name="Clamshells", sets=3, reps="10", load="2 kg", from_plan=True)],
        ),
        # A not-done line last time comes back delivered, without its reason.
        (
            [THRUST],
            [LineDraft(prong="manipulation", name="Lumbar thrust", status="not_done", not_done_reason="pain")],
            [LineDraft(prong="manipulation", name="Lumbar thrust", from_plan=True)],
        ),
    ],
)
def test_prefill_lines(planned, last, expected):
    assert rules.prefill_lines(planned, last) == expected


D = datetime.date(2026, 11, 10)


def _day(offset: int) -> datetime.date:
    return D + datetime.timedelta(days=offset)


@pytest.mark.parametrize(
    ("logs", "since", "until", "days", "logged", "with_exercise", "pains", "text"),
    [
        ([], D, _day(6), 7, 0, 0, (), ""),
        (
            [DayLog(_day(1), 2, 5), DayLog(_day(0), 1, None), DayLog(_day(3), 0, 3)],
            D,
            _day(6),
            7,
            3,
            2,
            (5, 3),
            "Portal log: exercises done on 2 of 7 days; pain 3–5/10 (latest 3).",
        ),
        # Days outside the period are not counted.
        (
            [DayLog(_day(-1), 3, 8), DayLog(_day(2), 3, 4)],
            D,
            _day(2),
            3,
            1,
            1,
            (4,),
            "Portal log: exercises done on 1 of 3 days; pain 4/10 (latest 4).",
        ),
        ([DayLog(_day(0), 2, None)], D, D, 1, 1, 1, (), "Portal log: exercises done on 1 of 1 days."),
    ],
)
def test_portal_summary(logs, since, until, days, logged, with_exercise, pains, text):
    summary = rules.portal_summary(logs, since, until)
    assert (summary.days, summary.days_logged, summary.days_with_exercise, summary.pains) == (
        days,
        logged,
        with_exercise,
        pains,
    )
    assert summary.text == text


NOW = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours_ago", "signed", "limit", "expected"),
    [
        (49, False, None, True),
        (48, False, None, False),  # exactly the limit: not yet
        (47, False, None, False),
        (100, True, None, False),
        (25, False, 24, True),
        (23, False, 24, False),
    ],
)
def test_to_finish(hours_ago, signed, limit, expected):
    kwargs = {} if limit is None else {"limit_hours": limit}
    created = NOW - datetime.timedelta(hours=hours_ago)
    assert rules.to_finish(created_at=created, signed=signed, now=NOW, **kwargs) is expected
    assert (created < rules.unsigned_before(NOW, limit or 48) and not signed) is expected


def test_default_limit_is_the_clinic_setting_default():
    assert rules.to_finish.__kwdefaults__["limit_hours"] == 48


GOOD_LINE = LineDraft(prong="manipulation", name="Lumbar thrust", region="L4", technique="side posture", minutes=5)
GOOD = NoteContent(
    lines=(GOOD_LINE,),
    total_minutes=30,
    timed_minutes=15,
    response="better",
    next_visit="Repeat",
    signer_credentials="DC",
)


def _with(**changes) -> NoteContent:
    return NoteContent(**{**GOOD.__dict__, **changes})


@pytest.mark.parametrize(
    ("content", "problems"),
    [
        (GOOD, []),
        (_with(timed_minutes=0), []),
        (_with(lines=()), ["Record at least one intervention delivered at this visit."]),
        (
            _with(lines=(LineDraft(prong="exercise", name="Clamshells", status="not_done", not_done_reason="pain"),)),
            ["Record at least one intervention delivered at this visit."],
        ),
        (
            _with(lines=(GOOD_LINE, LineDraft(prong="exercise", name="Clamshells", status="modified"))),
            ["Clamshells: give the region or segment, the technique and the dose (sets × reps, load or minutes)."],
        ),
        # Sets without reps is no dose; load alone is one; so are sets × reps.
        (
            _with(lines=(LineDraft(prong="exercise", name="Bridge", region="hip", technique="bilateral", sets=3),)),
            ["Bridge: give the dose (sets × reps, load or minutes)."],
        ),
        (_with(lines=(LineDraft(prong="exercise", name="Bridge", region="hip", technique="x", load="5 kg"),)), []),
        (
            _with(lines=(LineDraft(prong="exercise", name="Bridge", region="hip", technique="x", sets=3, reps="10"),)),
            [],
        ),
        (
            _with(
                lines=(GOOD_LINE, LineDraft(prong="exercise", name="Bridge", status="not_done", not_done_reason=" "))
            ),
            ["Bridge: say why it was not done."],
        ),
        (_with(total_minutes=None), ["Give the total treatment minutes."]),
        (_with(timed_minutes=None), ["Give the timed-code minutes (0 if none)."]),
        (_with(timed_minutes=31), ["Timed minutes cannot be more than the total minutes."]),
        (_with(response=""), ["Record the patient's response to treatment (better, same or worse)."]),
        (_with(next_visit="  "), ["Give the plan for the next visit."]),
        (_with(signer_credentials=""), ["Add your credentials to your profile: a signed note carries them."]),
    ],
)
def test_sign_problems(content, problems):
    assert rules.sign_problems(content) == problems
