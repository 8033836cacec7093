"""A signed version's body read as a ``SignedPlan``: its fields, early bodies, and its days."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from plans.library import Prong
from plans.signed import SignedClinician, SignedItem, SignedPlan, plan_last_day

CHICAGO = ZoneInfo("America/Chicago")
TOKYO = ZoneInfo("Asia/Tokyo")
# 03:30 UTC on 2 March is the evening of 1 March in Chicago and midday of 2 March in Tokyo.
SIGNED_AT = datetime.datetime(2026, 3, 2, 3, 30, tzinfo=datetime.UTC)


def item(name: str, prong: str = "exercise", home_program: bool = True, **extra) -> dict:
    return {"name": name, "prong": prong, "home_program": home_program, **extra}


def version(signed_at: datetime.datetime = SIGNED_AT, **body) -> SimpleNamespace:
    return SimpleNamespace(body={"visits_per_week": 2, "weeks": 6, **body}, signed_at=signed_at)


SNAPSHOT_ITEM = {
    "intervention": "glute-bridge",
    "name": "Glute bridge",
    "prong": "exercise",
    "dosage": "2 × 10, daily",
    "sets": 2,
    "reps": "10",
    "hold_seconds": "",
    "frequency": "daily",
    "instructions": "Lift your hips.",
    "progression": "One leg.",
    "cautions": "Stop if it hurts.",
    "home_program": True,
    "because": ["Weak hip abductors – left"],
    "illustration": "static:plans/exercises/glute-bridge.svg",
    "override_contraindication": "",
    "override_reason": "",
}


def test_a_snapshot_body_reads_as_typed_fields():
    signed = SignedPlan.of(
        version(
            clinician={"name": "Dana Lead", "credentials": "DC"},
            goals=["Reduce pain"],
            running_advice=["Shorter steps."],
            referrals=["See a GP."],
            missing_prong_reasons={"manipulation": "Not needed."},
            items=[SNAPSHOT_ITEM],
        )
    )
    assert signed.clinician == SignedClinician("Dana Lead", "DC")
    assert (signed.visits_per_week, signed.weeks, signed.planned_visits) == (2, 6, 12)
    assert (signed.goals, signed.running_advice, signed.referrals) == (
        ("Reduce pain",),
        ("Shorter steps.",),
        ("See a GP.",),
    )
    assert signed.missing_prong_reasons == {"manipulation": "Not needed."}
    assert signed.items == (
        SignedItem(
            intervention="glute-bridge",
            name="Glute bridge",
            prong=Prong.EXERCISE,
            dosage="2 × 10, daily",
            sets=2,
            reps="10",
            hold_seconds="",
            frequency="daily",
            instructions="Lift your hips.",
            progression="One leg.",
            cautions="Stop if it hurts.",
            home_program=True,
            because=("Weak hip abductors – left",),
            illustration="static:plans/exercises/glute-bridge.svg",
            override_contraindication="",
            override_reason="",
        ),
    )


def test_a_body_signed_before_later_fields_existed_reads_them_as_empty():
    signed = SignedPlan.of(version(items=[{"intervention": None, "name": "Walk", "prong": "exercise"}]))
    assert signed.clinician == SignedClinician("", "")
    assert (signed.goals, signed.running_advice, signed.missing_prong_reasons) == ((), (), {})
    (walk,) = signed.items
    assert (walk.intervention, walk.dosage, walk.frequency, walk.illustration, walk.home_program) == (
        "",
        "",
        "",
        "",
        False,
    )
    assert SignedPlan.of(version()).items == ()


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        ({"soft_tissue": "Declined."}, {"soft_tissue": "Declined."}),
        ([{"prong": "soft_tissue", "reason": "Declined."}], {"soft_tissue": "Declined."}),
        (None, {}),
    ],
)
def test_missing_prong_reasons_in_either_stored_shape(reasons, expected):
    assert SignedPlan.of(version(missing_prong_reasons=reasons)).missing_prong_reasons == expected


def test_home_items_and_prongs_keep_the_signed_order():
    signed = SignedPlan.of(
        version(
            items=[
                item("Bridge"),
                item("Hip mobilisation", prong="manipulation", home_program=False),
                item("Plank"),
                item("Foam roller", prong="soft_tissue"),
            ],
            missing_prong_reasons={},
        )
    )
    assert [entry.name for entry in signed.home_items] == ["Bridge", "Plank", "Foam roller"]
    assert [(prong, [entry.name for entry in items], reason) for prong, items, reason in signed.by_prong] == [
        (Prong.MANIPULATION, ["Hip mobilisation"], ""),
        (Prong.SOFT_TISSUE, ["Foam roller"], ""),
        (Prong.EXERCISE, ["Bridge", "Plank"], ""),
    ]
    empty = SignedPlan.of(version(missing_prong_reasons={"manipulation": "Not needed."}))
    assert empty.by_prong[0] == (Prong.MANIPULATION, (), "Not needed.")


@pytest.mark.parametrize(
    ("zone", "weeks", "first", "last"),
    [
        (CHICAGO, 6, datetime.date(2026, 3, 1), datetime.date(2026, 4, 11)),
        (TOKYO, 6, datetime.date(2026, 3, 2), datetime.date(2026, 4, 12)),
        (TOKYO, 1, datetime.date(2026, 3, 2), datetime.date(2026, 3, 8)),
    ],
)
def test_the_plan_runs_from_the_clinic_day_of_signing_for_its_weeks(zone, weeks, first, last):
    signed = SignedPlan.of(version(weeks=weeks))
    assert signed.first_day(zone) == first
    assert signed.last_day(zone) == last == plan_last_day(first, weeks)


def test_the_plan_ends_its_weeks_after_the_signature():
    assert SignedPlan.of(version(weeks="3")).ends_at == SIGNED_AT + datetime.timedelta(days=21)
