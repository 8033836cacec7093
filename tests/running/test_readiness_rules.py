"""The readiness rule, table by table: red flags first, every task pain-free with acceptable pelvic
control, each target met, the Y-balance LSI per direction, and the HOS subscales."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from running import readiness
from running.readiness import CRITERIA, ItemInput, YBalance

D = Decimal


def _passing_items() -> dict[str, ItemInput]:
    items = {}
    for criterion in CRITERIA:
        if criterion.kind != readiness.TASK:
            continue
        if criterion.target is None:
            items[criterion.key] = ItemInput(criterion.key, met=True)
        else:
            items[criterion.key] = ItemInput(criterion.key, value=criterion.target, pelvic_control="ok")
        if criterion.control and criterion.target is None:
            items[criterion.key] = dataclasses.replace(items[criterion.key], pelvic_control="ok")
    return items


LEFT, RIGHT = (D(80), D(90), D(90)), (D(72), D(81), D(81))


def _y(involved="right", left=LEFT, right=RIGHT, **extra) -> YBalance:
    directions = list(readiness.DIRECTIONS)
    return YBalance(
        involved=involved,
        reaches={"left": dict(zip(directions, left, strict=True)), "right": dict(zip(directions, right, strict=True))},
        pelvic_control=extra.pop("pelvic_control", "ok"),
        **extra,
    )


ADL, SPORT = D(96), D(91)


def _verdict(items=None, y_balance="default", hos_adl=ADL, hos_sport=SPORT, red_flags=(), **kwargs):
    items = _passing_items() if items is None else items
    y_balance = _y() if y_balance == "default" else y_balance
    return readiness.readiness(items.values(), y_balance, hos_adl, hos_sport, red_flags, **kwargs)


def test_everything_passed_says_start():
    verdict = _verdict()
    assert verdict.start
    assert verdict.reasons == ()
    assert [item.key for item in verdict.items] == [criterion.key for criterion in CRITERIA]


@pytest.mark.parametrize(
    ("red_flags", "start", "first_reason"),
    [
        ((), True, None),
        ((("caution", "Age over 50 with new back pain"),), True, None),
        ((("urgent", "History of cancer"),), False, "Open red flag: History of cancer."),
        ((("emergency", "Saddle numbness"),), False, "Open red flag: Saddle numbness."),
        ((("caution", "Age"), ("urgent", "Weight loss")), False, "Open red flag: Weight loss."),
    ],
)
def test_open_emergency_or_urgent_red_flags_come_first(red_flags, start, first_reason):
    verdict = _verdict(red_flags=red_flags, items={})
    assert not verdict.start
    verdict = _verdict(red_flags=red_flags)
    assert verdict.start is start
    if first_reason:
        assert verdict.reasons[0].startswith(first_reason)


@pytest.mark.parametrize(
    ("key", "change", "reason"),
    [
        ("plank", {"value": D(44)}, "44 seconds, 45 needed."),
        ("plank", {"value": D(45)}, None),
        ("plank", {"value": D(60)}, None),
        ("plank", {"value": None}, "not tested."),
        ("side_plank", {"value": D("44.9")}, "44.9 seconds, 45 needed."),
        ("bird_dog", {"value": D(29)}, "29 seconds, 30 needed."),
        ("side_lying_abduction", {"value": D(25)}, "25 repetitions, 30 needed."),
        ("lateral_step_down", {"value": D(9)}, "9 repetitions, 10 needed."),
        ("walk", {"value": D(12)}, "12 minutes, 15 needed."),
        ("plank", {"pain": True}, "painful; every task must be pain-free."),
        ("single_leg_squat", {"pelvic_control": "poor"}, "poor pelvic control."),
        ("single_leg_squat", {"pelvic_control": ""}, "pelvic control not recorded."),
        ("rom", {"met": False}, "not met."),
        ("rom", {"met": None}, "not tested."),
        ("strength", {"pain": True}, "painful; every task must be pain-free."),
        # The ROM and strength exam is not watched for pelvic control.
        ("strength", {"pelvic_control": ""}, None),
    ],
)
def test_each_task(key, change, reason):
    items = _passing_items()
    items[key] = dataclasses.replace(items[key], **change)
    verdict = _verdict(items=items)
    result = next(item for item in verdict.items if item.key == key)
    assert result.passed is (reason is None)
    assert verdict.start is (reason is None)
    if reason:
        assert reason in result.reasons


def test_a_missing_item_is_not_tested():
    items = _passing_items()
    del items["walk"]
    verdict = _verdict(items=items)
    assert not verdict.start
    assert verdict.reasons == ("Walk: not tested.",)


@pytest.mark.parametrize(
    ("y_balance", "lsi", "reasons"),
    [
        (_y(), {"anterior": D("90.0"), "posteromedial": D("90.0"), "posterolateral": D("90.0")}, ()),
        # 85 % exactly passes ("at least 85 %").
        (_y(right=(D(68), D(85), D(85)), left=(D(80), D(100), D(100))), {"anterior": D("85.0")}, ()),
        (
            _y(right=(D(67), D(85), D(85)), left=(D(80), D(100), D(100))),
            {"anterior": D("83.8")},
            ("Anterior LSI 83.8 %, at least 85 % needed.",),
        ),
        # The involved side is the numerator: the same reaches, the other side involved.
        (_y(involved="left", left=(D(72), D(81), D(81)), right=(D(80), D(90), D(90))), {"anterior": D("90.0")}, ()),
        # LSI above 100 % (the involved side reaches further) passes.
        (_y(involved="left"), {"anterior": D("111.1")}, ()),
        (_y(left=(D(80), None, None), right=(D(72), D(81), None)), {"anterior": D("90.0")}, ()),
        (_y(left=(None, None, None), right=(D(72), D(81), D(81))), {}, ("no direction with both sides",)),
        (None, {}, ("not tested.",)),
        (_y(pain=True), {}, ("painful",)),
        (_y(pelvic_control="poor"), {}, ("poor pelvic control.",)),
    ],
)
def test_y_balance_lsi_per_direction(y_balance, lsi, reasons):
    verdict = _verdict(y_balance=y_balance)
    result = next(item for item in verdict.items if item.key == "y_balance")
    for direction, value in lsi.items():
        assert verdict.lsi[direction] == value
    assert result.passed is (not reasons)
    for expected, got in zip(reasons, result.reasons, strict=True):
        assert got.startswith(expected)


def test_y_balance_threshold_is_the_clinics():
    y_balance = _y(right=(D(72), D(72), D(72)), left=(D(80), D(80), D(80)))
    assert _verdict(y_balance=y_balance).start
    assert not _verdict(y_balance=y_balance, thresholds={"rtr_y_balance_lsi_pct": D(95)}).start


@pytest.mark.parametrize(
    ("hos_adl", "hos_sport", "failing"),
    [
        (D(96), D(91), set()),
        (D(95), D(91), {"hos_adl"}),
        (D("95.1"), D("90.1"), set()),
        (D(100), D(90), {"hos_sport"}),
        (None, D(91), {"hos_adl"}),
        (D(96), None, {"hos_sport"}),
        (D(50), D(10), {"hos_adl", "hos_sport"}),
    ],
)
def test_hos_must_be_above_its_threshold(hos_adl, hos_sport, failing):
    verdict = _verdict(hos_adl=hos_adl, hos_sport=hos_sport)
    assert {item.key for item in verdict.failed} == failing
    assert verdict.start is (not failing)


def test_hos_thresholds_are_the_clinics():
    thresholds = {"rtr_hos_adl_pct": D(80), "rtr_hos_sport_pct": D(70)}
    assert _verdict(hos_adl=D(81), hos_sport=D(71), thresholds=thresholds).start


def test_a_criterion_the_clinic_switched_off_is_not_checked_and_its_targets_are_its_own():
    criteria = [c for c in CRITERIA if c.key != "walk"]
    criteria = [dataclasses.replace(c, target=D(60)) if c.key == "plank" else c for c in criteria]
    items = _passing_items()
    del items["walk"]
    verdict = _verdict(items=items, criteria=criteria)
    assert [item.key for item in verdict.failed] == ["plank"]
    assert "45 seconds, 60 needed." in verdict.failed[0].reasons


def test_every_reason_is_listed_item_by_item_after_the_red_flags():
    items = _passing_items()
    items["plank"] = dataclasses.replace(items["plank"], value=D(30), pain=True)
    verdict = _verdict(items=items, hos_adl=None, red_flags=[("urgent", "Fever")])
    assert verdict.reasons == (
        "Open red flag: Fever. Red flags are dealt with before running.",
        "Plank: 30 seconds, 45 needed.",
        "Plank: painful; every task must be pain-free.",
        "HOS activities of daily living: not entered.",
    )


def test_the_defaults_are_the_clinical_ones():
    assert readiness.defaults() == {
        "rtr_y_balance_lsi_pct": D(85),
        "rtr_hos_adl_pct": D(95),
        "rtr_hos_sport_pct": D(90),
    }
    assert len(CRITERIA) == 15
    assert all(criterion.source for criterion in CRITERIA)
