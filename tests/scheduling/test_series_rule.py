"""What a signed plan still needs (rules.propose_plan_series) and the check made again when the front desk books
(rules.series_problems): tables of cases, then properties over random visits, hours and preferences (no database).

Interpretation tested here: the visits that count toward the plan are the episode's booked, checked-in
("held") and completed ("done") visits since the plan was signed; cancelled visits and no-shows are not given
to the rule (the service leaves them out), as they delivered nothing of the plan and hold no time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.scheduling.rules import (
    FOLLOW_UP,
    REASSESSMENT,
    Busy,
    EpisodeVisit,
    PlanNeed,
    Preference,
    SeriesProposal,
    WorkingHours,
    is_within_working_hours,
    overlaps,
    propose_plan_series,
    series_problems,
)

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = date(2026, 1, 5)  # the first day of week 1; CST throughout January
THIRTY, HOUR = timedelta(minutes=30), timedelta(hours=1)
WEEKDAYS = [WorkingHours(weekday, time(9), time(17)) for weekday in range(5)]


def at(day: str, hh_mm: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(hh_mm), tzinfo=CHICAGO)


def visit(day: str, hh_mm: str, *, reassessment: bool = False, done: bool = False) -> EpisodeVisit:
    start = at(day, hh_mm)
    return EpisodeVisit(start, start + (HOUR if reassessment else THIRTY), reassessment=reassessment, done=done)


def busy(day: str, start: str, end: str) -> Busy:
    return Busy(at(day, start), at(day, end))


def propose(**overrides) -> SeriesProposal:
    arguments = {
        "need": PlanNeed(visits_per_week=2, weeks=2),
        "existing": [],
        "first_day": MONDAY,
        "length": THIRTY,
        "reassessment_length": HOUR,
        "hours": WEEKDAYS,
        "clinician_busy": [],
        "patient_busy": [],
        "zone": CHICAGO,
    }
    return propose_plan_series(**(arguments | overrides))


def summary(proposal: SeriesProposal) -> list[str]:
    return [
        visit.start.strftime("%a %d %H:%M") + (" R" if visit.kind == REASSESSMENT else "")
        for visit in proposal.proposed
    ]


# --- propose_plan_series: tables ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "overrides", "expected", "counts"),
    [
        ("nothing booked yet", {}, ["Mon 05 09:00", "Wed 07 09:00", "Mon 12 09:00", "Wed 14 09:00 R"], (0, 4)),
        (
            "six-visit plan, two held in week 1: four more, in weeks 2 and 3",
            {
                "need": PlanNeed(visits_per_week=2, weeks=3),
                "existing": [visit("2026-01-05", "09:00"), visit("2026-01-07", "09:00")],
            },
            ["Mon 12 09:00", "Wed 14 09:00", "Mon 19 09:00", "Wed 21 09:00 R"],
            (2, 4),
        ),
        (
            "one held on Tuesday: week 1 takes one more, spread away from it",
            {"existing": [visit("2026-01-06", "09:00")]},
            ["Thu 08 09:00", "Mon 12 09:00", "Wed 14 09:00 R"],
            (1, 3),
        ),
        (
            "all four done: nothing to propose",
            {"existing": [visit(f"2025-12-{day:02}", "09:00", done=True) for day in (15, 17, 22, 24)]},
            [],
            (4, 0),
        ),
        (
            "three done: the last visit left is the re-assessment",
            {"existing": [visit(f"2025-12-{day:02}", "09:00", done=True) for day in (15, 17, 22)]},
            ["Mon 05 09:00 R"],
            (3, 1),
        ),
        (
            "re-assessment already held: not proposed again",
            {"existing": [visit("2026-01-14", "09:00", reassessment=True)]},
            ["Mon 05 09:00", "Wed 07 09:00", "Mon 12 09:00"],
            (1, 3),
        ),
        (
            "the plan asks for no re-assessment",
            {"need": PlanNeed(visits_per_week=2, weeks=2, reassessment=False)},
            ["Mon 05 09:00", "Wed 07 09:00", "Mon 12 09:00", "Wed 14 09:00"],
            (0, 4),
        ),
        (
            "more visits than the plan: nothing more (and none taken back)",
            {"existing": [visit(f"2026-01-{day:02}", "09:00") for day in (5, 6, 7, 8, 9)]},
            [],
            (5, 0),
        ),
        (
            "a visit with another clinician on Monday keeps Monday free",
            {"patient_busy": [busy("2026-01-05", "09:00", "10:00")]},
            ["Tue 06 09:00", "Thu 08 09:00", "Mon 12 09:00", "Wed 14 09:00 R"],
            (0, 4),
        ),
        (
            "two a day allowed: Monday after the other visit, never over it",
            {"patient_busy": [busy("2026-01-05", "09:00", "10:00")], "two_a_day": True},
            ["Mon 05 10:00", "Wed 07 09:00", "Mon 12 09:00", "Wed 14 09:00 R"],
            (0, 4),
        ),
        (
            "a visit late on Sunday counts for Sunday only (clinic zone), not for Monday",
            {"patient_busy": [Busy(at("2026-01-04", "23:00"), at("2026-01-04", "23:30"))]},
            ["Mon 05 09:00", "Wed 07 09:00", "Mon 12 09:00", "Wed 14 09:00 R"],
            (0, 4),
        ),
        (
            "the clinician's busy time is kept",
            {"clinician_busy": [busy("2026-01-05", "09:00", "12:00")]},
            ["Mon 05 12:00", "Wed 07 09:00", "Mon 12 09:00", "Wed 14 09:00 R"],
            (0, 4),
        ),
    ],
)
def test_propose_plan_series(case, overrides, expected, counts):
    proposal = propose(**overrides)
    assert summary(proposal) == expected, case
    assert (proposal.booked, len(proposal.proposed)) == counts, case


def test_held_and_done_are_told_apart():
    existing = [visit("2025-12-29", "09:00", done=True), visit("2026-01-06", "09:00")]
    proposal = propose(existing=existing)
    assert (len(proposal.held), len(proposal.done), proposal.total, proposal.still_needed) == (1, 1, 4, 2)


@pytest.mark.parametrize(
    ("clinician_busy", "expected", "messages"),
    [
        # Week 1 full: week 2 takes its two; the plan falls short and says so.
        (
            [busy(f"2026-01-{day:02}", "08:00", "18:00") for day in range(5, 10)],
            ["Mon 12 09:00", "Wed 14 09:00 R"],
            [
                "Week 1: no visit fits the clinician's free time (2 visits wanted)",
                "2 visits of the plan did not fit in its 2 weeks",
            ],
        ),
        # Only 45 minutes free on Wednesday of week 2: the re-assessment goes to Thursday.
        (
            [busy("2026-01-14", "09:00", "16:15")],
            ["Mon 05 09:00", "Wed 07 09:00", "Mon 12 09:00", "Thu 15 09:00 R"],
            [],
        ),
    ],
)
def test_shortfalls_give_messages(clinician_busy, expected, messages):
    proposal = propose(clinician_busy=clinician_busy)
    assert (summary(proposal), list(proposal.messages)) == (expected, messages)


def test_a_reassessment_that_fits_nowhere_is_said():
    short_days = [WorkingHours(weekday, time(9), time(9, 45)) for weekday in range(5)]
    proposal = propose(hours=short_days)
    assert [visit.kind for visit in proposal.proposed] == [FOLLOW_UP] * 4
    assert list(proposal.messages) == ["Week 2: no free time is long enough for the reassessment (60 min)"]


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: PlanNeed(visits_per_week=0, weeks=2), "visits_per_week"),
        (lambda: PlanNeed(visits_per_week=2, weeks=0), "weeks"),
        (lambda: EpisodeVisit(at("2026-01-05", "10:00"), at("2026-01-05", "09:00")), "end after"),
        (lambda: EpisodeVisit(datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 10)), "aware"),
        (lambda: propose(need=(2, 2)), "need"),
        (lambda: propose(existing=[(at("2026-01-05", "09:00"), at("2026-01-05", "10:00"))]), "existing"),
        (lambda: propose(patient_busy=[visit("2026-01-05", "09:00")]), "patient_busy"),
    ],
)
def test_impossible_input_is_refused(build, match):
    with pytest.raises(ValueError, match=match):
        build()


# --- series_problems: tables -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "existing", "chosen", "patient_busy", "two_a_day", "expected"),
    [
        ("fits", [], [visit("2026-01-05", "09:00"), visit("2026-01-07", "09:00")], [], False, []),
        (
            "over the plan's total",
            [visit("2026-01-05", "09:00"), visit("2026-01-07", "09:00"), visit("2026-01-12", "09:00")],
            [visit("2026-01-14", "09:00"), visit("2026-01-16", "09:00")],
            [],
            False,
            ["The plan has 4 visits and 3 are booked already: choose at most 1 more."],
        ),
        (
            "a second re-assessment",
            [visit("2026-01-07", "09:00", reassessment=True)],
            [visit("2026-01-14", "09:00", reassessment=True)],
            [],
            False,
            ["The plan has one re-assessment; it is booked already or chosen twice."],
        ),
        (
            "the same day as a visit of the plan",
            [visit("2026-01-05", "09:00")],
            [visit("2026-01-05", "09:30")],
            [],
            False,
            ["The patient already has a visit on the day of Mon 05 Jan 09:30."],
        ),
        ("the same day, allowed", [visit("2026-01-05", "09:00")], [visit("2026-01-05", "09:30")], [], True, []),
        (
            "two chosen on one day",
            [],
            [visit("2026-01-05", "09:00"), visit("2026-01-05", "15:00")],
            [],
            False,
            ["The patient already has a visit on the day of Mon 05 Jan 15:00."],
        ),
        (
            "over a visit with another clinician, even when two a day are allowed",
            [],
            [visit("2026-01-05", "09:00")],
            [busy("2026-01-05", "09:15", "10:00")],
            True,
            ["The patient already has a visit at Mon 05 Jan 09:00."],
        ),
    ],
)
def test_series_problems(case, existing, chosen, patient_busy, two_a_day, expected):
    need = PlanNeed(visits_per_week=2, weeks=2)
    problems = series_problems(
        need=need, existing=existing, chosen=chosen, patient_busy=patient_busy, zone=CHICAGO, two_a_day=two_a_day
    )
    assert problems == expected, case


# --- Properties --------------------------------------------------------------------------------------------

# Weeks with nothing special, and the weeks of both daylight-saving changes.
FIRST_DAYS = [MONDAY, date(2026, 3, 2), date(2026, 10, 26)]
HORIZON_DAYS = 5 * 7


@st.composite
def working_hours(draw) -> list[WorkingHours]:
    rows = []
    for _ in range(draw(st.integers(0, 9))):
        start = draw(st.integers(0, 22 * 4)) * 15
        end = draw(st.integers(start // 15 + 1, 24 * 4 - 1)) * 15
        rows.append(WorkingHours(draw(st.integers(0, 6)), time(start // 60, start % 60), time(end // 60, end % 60)))
    return rows


@st.composite
def intervals(draw, first_day: date, *, before: int = 0) -> tuple[datetime, datetime]:
    day = first_day + timedelta(days=draw(st.integers(-before, HORIZON_DAYS)))
    start = datetime.combine(day, time(), tzinfo=CHICAGO) + timedelta(minutes=15 * draw(st.integers(0, 95)))
    return start, start + timedelta(minutes=15 * draw(st.integers(1, 16)))


@st.composite
def preferences(draw) -> Preference:
    earliest = draw(st.none() | st.integers(0, 23).map(lambda hour: time(hour)))
    latest = draw(st.none() | st.integers(earliest.hour if earliest else 0, 23).map(lambda hour: time(hour, 59)))
    return Preference(weekdays=draw(st.frozensets(st.integers(0, 6))), earliest=earliest, latest=latest)


@st.composite
def situations(draw) -> dict:
    first_day = draw(st.sampled_from(FIRST_DAYS))
    existing = [
        EpisodeVisit(*draw(intervals(first_day, before=21)), reassessment=draw(st.booleans()), done=draw(st.booleans()))
        for _ in range(draw(st.integers(0, 8)))
    ]
    return {
        "need": PlanNeed(
            visits_per_week=draw(st.integers(1, 4)), weeks=draw(st.integers(1, 4)), reassessment=draw(st.booleans())
        ),
        "existing": existing,
        "first_day": first_day,
        "length": timedelta(minutes=draw(st.sampled_from([20, 30, 45]))),
        "reassessment_length": timedelta(minutes=draw(st.sampled_from([30, 45, 60, 90]))),
        "hours": draw(working_hours()),
        "clinician_busy": [Busy(*draw(intervals(first_day))) for _ in range(draw(st.integers(0, 12)))],
        "patient_busy": [Busy(*draw(intervals(first_day))) for _ in range(draw(st.integers(0, 6)))],
        "zone": CHICAGO,
        "preference": draw(preferences()),
        "two_a_day": draw(st.booleans()),
    }


def _days(start: datetime, end: datetime) -> set[date]:
    return {start.astimezone(CHICAGO).date(), end.astimezone(CHICAGO).date()}


PROPERTIES = settings(max_examples=150, deadline=None, database=None)


@PROPERTIES
@given(situations())
def test_never_over_books_the_plan(situation):
    proposal = propose_plan_series(**situation)
    need, existing = situation["need"], situation["existing"]
    assert len(existing) + len(proposal.proposed) <= need.total or not proposal.proposed
    reassessments = [visit for visit in proposal.proposed if visit.kind == REASSESSMENT]
    assert len(reassessments) <= 1
    if reassessments:
        assert need.reassessment
        assert not any(visit.reassessment for visit in existing)
        assert proposal.proposed[-1].kind == REASSESSMENT  # the re-assessment comes last


@PROPERTIES
@given(situations())
def test_never_double_books_the_patient(situation):
    proposal = propose_plan_series(**situation)
    theirs = [(visit.start, visit.end) for visit in situation["existing"]]
    theirs += [(entry.start, entry.end) for entry in situation["patient_busy"]]
    taken_days = set().union(*(_days(*interval) for interval in theirs))
    for index, visit in enumerate(proposal.proposed):
        assert not any(overlaps(visit.start, visit.end, *other) for other in theirs)
        if not situation["two_a_day"]:
            assert not _days(visit.start, visit.end) & taken_days
        for other in proposal.proposed[index + 1 :]:
            assert visit.start.astimezone(CHICAGO).date() != other.start.astimezone(CHICAGO).date()
            assert not overlaps(visit.start, visit.end, other.start, other.end)


@PROPERTIES
@given(situations())
def test_never_double_books_the_clinician(situation):
    proposal = propose_plan_series(**situation)
    for visit in proposal.proposed:
        assert not any(
            overlaps(visit.start, visit.end, entry.start, entry.end) for entry in situation["clinician_busy"]
        )
        assert is_within_working_hours(visit.start, visit.end, situation["hours"], CHICAGO)
        assert visit.start.astimezone(CHICAGO).date() >= situation["first_day"]


@PROPERTIES
@given(situations())
def test_what_is_proposed_passes_the_check_made_when_booking(situation):
    proposal = propose_plan_series(**situation)
    chosen = [
        EpisodeVisit(visit.start, visit.end, reassessment=visit.kind == REASSESSMENT) for visit in proposal.proposed
    ]
    if not chosen:
        return
    problems = series_problems(
        need=situation["need"],
        existing=situation["existing"],
        chosen=chosen,
        patient_busy=situation["patient_busy"],
        zone=CHICAGO,
        two_a_day=situation["two_a_day"],
    )
    assert problems == []
