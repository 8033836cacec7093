"""Differences between two signed plan bodies: items, order, top-level fields."""

from __future__ import annotations

import pytest

from plans.versions import Change, diff


def body(*items, **fields):
    return {
        "items": list(items),
        "visits_per_week": fields.get("visits_per_week", 1),
        "weeks": fields.get("weeks", 6),
        "running_advice": fields.get("running_advice", ["Run less for now."]),
        "goals": fields.get("goals", ["Reduce pain (NPRS) from 6 to 4 or lower"]),
        "missing_prong_reasons": fields.get("missing_prong_reasons", {}),
    }


def entry(key, name, dosage="2 × 10–15", prong="exercise", instructions="Do it slowly."):
    return {"intervention": key, "name": name, "prong": prong, "dosage": dosage, "instructions": instructions}


BRIDGE = entry("glute-bridge", "Glute bridge")
PLANK = entry("plank", "Front plank", dosage="3–5 holds, 10–30 s each")
STRETCH = entry("hip-flexor-stretch", "Half-kneeling hip-flexor stretch", dosage="2–4 holds each side")
MASSAGE = entry("paraspinal-massage", "Paraspinal massage", dosage="", prong="soft_tissue", instructions="")
FREE = {"intervention": None, "name": "Walking programme", "prong": "exercise", "dosage": "20 min daily"}


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (body(BRIDGE, PLANK), body(BRIDGE, PLANK), []),
        (body(BRIDGE), body(BRIDGE, PLANK), [Change("added", "Front plank", "", "3–5 holds, 10–30 s each")]),
        (body(BRIDGE, PLANK), body(BRIDGE), [Change("removed", "Front plank", "3–5 holds, 10–30 s each", "")]),
        (
            body(BRIDGE),
            body({**BRIDGE, "dosage": "3 × 12, 2–3 times a week"}),
            [Change("changed", "Glute bridge – dosage", "2 × 10–15", "3 × 12, 2–3 times a week")],
        ),
        (
            body(BRIDGE),
            body({**BRIDGE, "instructions": "Lift, then lower."}),
            [Change("changed", "Glute bridge – instructions", "Do it slowly.", "Lift, then lower.")],
        ),
        (
            body(BRIDGE),
            body({**BRIDGE, "name": "Bridge"}),
            [Change("changed", "Bridge – name", "Glute bridge", "Bridge")],
        ),
        (
            body(BRIDGE),
            body({**BRIDGE, "prong": "soft_tissue"}),
            [Change("changed", "Glute bridge – prong", "Corrective exercise", "Soft-tissue work")],
        ),
        (
            body(BRIDGE, PLANK, STRETCH),
            body(PLANK, BRIDGE, STRETCH),
            [
                Change(
                    "changed",
                    "Order",
                    "Glute bridge, Front plank, Half-kneeling hip-flexor stretch",
                    "Front plank, Glute bridge, Half-kneeling hip-flexor stretch",
                )
            ],
        ),
        # Adding or removing an item is not an order change of the items both versions share.
        (body(BRIDGE, PLANK), body(STRETCH, BRIDGE, PLANK), [Change("added", STRETCH["name"], "", STRETCH["dosage"])]),
        (body(MASSAGE, BRIDGE, PLANK), body(BRIDGE, PLANK), [Change("removed", "Paraspinal massage", "", "")]),
        # A swap: removed, added, then nothing else.
        (
            body(BRIDGE, PLANK),
            body(BRIDGE, STRETCH),
            [
                Change("removed", "Front plank", PLANK["dosage"], ""),
                Change("added", STRETCH["name"], "", STRETCH["dosage"]),
            ],
        ),
        # Items without an intervention key are matched by name.
        (
            body(FREE),
            body({**FREE, "dosage": "30 min daily"}),
            [Change("changed", "Walking programme – dosage", "20 min daily", "30 min daily")],
        ),
        (
            body(FREE),
            body({**FREE, "name": "Walking"}),
            [
                Change("removed", "Walking programme", "20 min daily", ""),
                Change("added", "Walking", "", "20 min daily"),
            ],
        ),
        # A renamed keyed item stays the same item.
        (
            body(BRIDGE, PLANK),
            body(PLANK, {**BRIDGE, "name": "Bridge"}),
            [
                Change("changed", "Bridge – name", "Glute bridge", "Bridge"),
                Change("changed", "Order", "Glute bridge, Front plank", "Front plank, Bridge"),
            ],
        ),
    ],
)
def test_item_changes(previous, current, expected):
    assert diff(previous, current) == expected


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (body(visits_per_week=1), body(visits_per_week=2), [Change("changed", "Visits per week", "1", "2")]),
        (body(weeks=6), body(weeks=8), [Change("changed", "Weeks", "6", "8")]),
        (
            body(goals=["A", "B"]),
            body(goals=["B", "C"]),
            [Change("removed", "Goal", "A", ""), Change("added", "Goal", "", "C")],
        ),
        (body(goals=["A", "B"]), body(goals=["B", "A"]), []),  # goal order is not reported
        (
            body(running_advice=["Run less for now."]),
            body(running_advice=["Run less for now.", "Shorter steps."]),
            [Change("added", "Running advice", "", "Shorter steps.")],
        ),
        (
            body(running_advice=["Same.", "Same."]),
            body(running_advice=["Same."]),
            [Change("removed", "Running advice", "Same.", "")],
        ),
        (
            body(missing_prong_reasons={}),
            body(missing_prong_reasons={"manipulation": "Patient declined."}),
            [Change("added", "Reason for leaving out: Joint manipulation / mobilisation", "", "Patient declined.")],
        ),
        (
            body(missing_prong_reasons={"manipulation": "Patient declined."}),
            body(missing_prong_reasons={"manipulation": "Urgent red flag."}),
            [
                Change(
                    "changed",
                    "Reason for leaving out: Joint manipulation / mobilisation",
                    "Patient declined.",
                    "Urgent red flag.",
                )
            ],
        ),
        (
            body(missing_prong_reasons={"soft_tissue": "No time."}),
            body(missing_prong_reasons=[]),
            [Change("removed", "Reason for leaving out: Soft-tissue work", "No time.", "")],
        ),
        (
            body(missing_prong_reasons=[{"prong": "soft_tissue", "reason": "No time."}]),
            body(missing_prong_reasons={"soft_tissue": "No time."}),
            [],
        ),
    ],
)
def test_top_level_changes(previous, current, expected):
    assert diff(previous, current) == expected


def test_changes_come_in_a_fixed_order():
    previous = body(BRIDGE, PLANK, MASSAGE, visits_per_week=1, weeks=6, goals=["A"], running_advice=["X."])
    current = body(
        STRETCH,
        {**PLANK, "dosage": "5 holds"},
        BRIDGE,
        visits_per_week=2,
        weeks=8,
        goals=["B"],
        running_advice=["Y."],
        missing_prong_reasons={"soft_tissue": "Not wanted."},
    )
    assert [(change.kind, change.subject) for change in diff(previous, current)] == [
        ("removed", "Paraspinal massage"),
        ("added", "Half-kneeling hip-flexor stretch"),
        ("changed", "Front plank – dosage"),
        ("changed", "Order"),
        ("changed", "Visits per week"),
        ("changed", "Weeks"),
        ("removed", "Goal"),
        ("added", "Goal"),
        ("removed", "Running advice"),
        ("added", "Running advice"),
        ("added", "Reason for leaving out: Soft-tissue work"),
    ]


def test_missing_fields_read_as_empty():
    assert diff({}, {}) == []
    assert diff({}, {"items": [BRIDGE], "weeks": 6}) == [
        Change("added", "Glute bridge", "", "2 × 10–15"),
        Change("changed", "Weeks", "", "6"),
    ]
    assert diff({"items": [{"name": "Walking"}]}, {"items": [{"name": "Walking", "dosage": "daily"}]}) == [
        Change("changed", "Walking – dosage", "", "daily")
    ]


def test_the_same_item_twice_is_matched_in_turn():
    twice = body(BRIDGE, {**BRIDGE, "dosage": "1 × 5"})
    assert diff(twice, twice) == []
    assert diff(body(BRIDGE), twice) == [Change("added", "Glute bridge", "", "1 × 5")]
