"""The run log's pure rules: durations and distances as typed, the day a run may be logged for,
the phase row, the protocol match and when the next-morning question is due."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from running import run_rules
from running.run_rules import Phase

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
UTC = datetime.UTC


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [
        ("45", 2700),
        ("45.5", 2730),
        ("45,5", 2730),
        ("32:10", 1930),
        ("1:05:30", 3930),
        (" 0:30:00 ", 1800),
        ("24:00:00", 86_400),
        ("24:00:01", None),
        ("1:60:00", None),
        ("10:61", None),
        ("0", None),
        ("", None),
        ("abc", None),
        ("-5", None),
        ("1e3", None),
        ("1:2:3:4", None),
        ("9" * 40, None),
        ("45\x00", None),
    ],
)
def test_parse_duration(typed, seconds):
    assert run_rules.parse_duration(typed) == seconds


@pytest.mark.parametrize(("seconds", "shown"), [(None, ""), (59, "0:59"), (1930, "32:10"), (3930, "1:05:30")])
def test_format_duration(seconds, shown):
    assert run_rules.format_duration(seconds) == shown


TODAY = datetime.date(2026, 12, 3)
OPENED = datetime.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("day", "problem"),
    [
        (TODAY, None),
        (OPENED, None),
        (TODAY + datetime.timedelta(days=1), "The day of the run cannot be in the future."),
        (
            OPENED - datetime.timedelta(days=1),
            "The day of the run cannot be before your care began (01 November 2026).",
        ),
    ],
)
def test_run_day_problem(day, problem):
    assert run_rules.run_day_problem(day, today=TODAY, opened_on=OPENED) == problem


EVENING = datetime.datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
MORNING = datetime.datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "start", "now", "expected"),
    [
        (TODAY, None, EVENING, datetime.datetime(2026, 12, 3, 18, 0, tzinfo=UTC)),
        # Logged at 09:00 without a time: now, not noon (which is still to come).
        (TODAY, None, MORNING, MORNING),
        (TODAY, datetime.time(6, 30), EVENING, datetime.datetime(2026, 12, 3, 12, 30, tzinfo=UTC)),
        (datetime.date(2026, 7, 1), datetime.time(23, 0), EVENING, datetime.datetime(2026, 7, 2, 4, 0, tzinfo=UTC)),
    ],
)
def test_started_at_is_the_local_time_in_utc(day, start, now, expected):
    assert run_rules.started_at(day, start, CHICAGO, now=now) == expected


@pytest.mark.parametrize(
    ("phases", "number", "expected"),
    [
        ([{"walk_min": 2, "run_min": 3, "distance_km": "1.61", "rpe": 3}], 1, Phase(1, 2, 3, Decimal("1.61"), 3)),
        ([{"distance_m": 3220}], 1, Phase(1, distance_km=Decimal("3.22"))),
        ([{"walk_min": "x", "rpe": 11, "distance_km": -1}], 1, Phase(1)),
        ([{"walk_min": True}], 1, Phase(1)),
        ([{"distance_km": "NaN"}], 1, Phase(1)),
        ([{}], 2, None),
        ([{}], 0, None),
        (["phase one"], 1, None),
        ({"1": {}}, 1, None),
        (None, 1, None),
    ],
)
def test_phase_row_reads_what_the_table_gives_and_guesses_nothing(phases, number, expected):
    assert run_rules.phase_row(phases, number) == expected


PHASE_1 = Phase(1, distance_km=Decimal("1.61"))


@pytest.mark.parametrize(
    ("distance_m", "phase", "tolerance", "matches"),
    [
        (1610, PHASE_1, Decimal(10), True),
        (1771, PHASE_1, Decimal(10), True),
        (1772, PHASE_1, Decimal(10), False),
        (1449, PHASE_1, Decimal(10), True),
        (1448, PHASE_1, Decimal(10), False),
        (1611, PHASE_1, Decimal(0), False),
        (None, PHASE_1, Decimal(10), False),
        (1610, Phase(1), Decimal(10), False),
        (1610, None, Decimal(10), False),
    ],
)
def test_matches_phase_within_the_tolerance(distance_m, phase, tolerance, matches):
    assert run_rules.matches_phase(distance_m, phase, tolerance) is matches


RUN_DAY = datetime.date(2026, 12, 3)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        # Logged in the evening of the run: 08:00 Chicago the next day.
        (datetime.datetime(2026, 12, 4, 1, 0, tzinfo=UTC), datetime.datetime(2026, 12, 4, 14, 0, tzinfo=UTC)),
        # Logged the next morning before 08:00: at 08:00.
        (datetime.datetime(2026, 12, 4, 12, 0, tzinfo=UTC), datetime.datetime(2026, 12, 4, 14, 0, tzinfo=UTC)),
        # Logged later that next morning: now.
        (datetime.datetime(2026, 12, 4, 17, 0, tzinfo=UTC), datetime.datetime(2026, 12, 4, 17, 0, tzinfo=UTC)),
        # Logged two days later: that morning is over.
        (datetime.datetime(2026, 12, 5, 15, 0, tzinfo=UTC), None),
    ],
)
def test_morning_prompt_due_in_the_patients_zone(now, due):
    assert run_rules.morning_prompt_due(RUN_DAY, hour=8, zone=CHICAGO, now=now) == due


def test_morning_prompt_due_across_a_daylight_saving_change():
    # Chicago falls back on 1 November 2026: 08:00 CST is 14:00 UTC, the day before it was 13:00.
    now = datetime.datetime(2026, 10, 31, 20, 0, tzinfo=UTC)
    assert run_rules.morning_prompt_due(datetime.date(2026, 10, 31), hour=8, zone=CHICAGO, now=now) == (
        datetime.datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    )
