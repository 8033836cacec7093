"""Questionnaires as data: structure, licence state, region mapping and licensed-text import."""

from __future__ import annotations

import pytest

from intake.instruments import (
    BODY_REGIONS,
    INSTRUMENTS,
    PLACEHOLDER_MARK,
    Instrument,
    instruments_for_regions,
    involves_back,
    with_licensed_text,
)
from intake.scoring import score

ODI_CODES = (
    "pain_intensity",
    "personal_care",
    "lifting",
    "walking",
    "sitting",
    "standing",
    "sleeping",
    "sex_life",
    "social_life",
    "travelling",
)


@pytest.mark.parametrize(
    ("code", "n_items", "values", "better", "text_status", "scoring"),
    [
        ("nprs", 3, tuple(range(11)), "lower", "own_wording", "nprs"),
        ("odi", 10, tuple(range(6)), "lower", "placeholder", "odi"),
        ("lefs", 20, tuple(range(5)), "higher", "placeholder", "lefs"),
    ],
)
def test_instrument_structure(code, n_items, values, better, text_status, scoring):
    instrument = INSTRUMENTS[code]
    assert instrument.code == code
    assert len(instrument.items) == n_items
    assert all(tuple(o.value for o in item.options) == values for item in instrument.items)
    assert instrument.better == better
    assert instrument.text_status == text_status
    assert instrument.scoring == scoring
    assert instrument.name
    assert instrument.version
    assert instrument.instructions.strip()


def test_nprs_own_wording():
    nprs = INSTRUMENTS["nprs"]
    assert nprs.item_codes == ("now", "least", "worst")
    assert "right now" in nprs.item("now").text
    for code in ("least", "worst"):
        assert code in nprs.item(code).text
        assert "24 hours" in nprs.item(code).text
    labels = [o.label for o in nprs.item("now").options]
    assert labels[0] == "0 – no pain"
    assert labels[10] == "10 – worst pain imaginable"
    assert labels[1:10] == [str(n) for n in range(1, 10)]
    assert not any(PLACEHOLDER_MARK in item.text for item in nprs.items)


def test_odi_is_placeholder_only():
    odi = INSTRUMENTS["odi"]
    assert odi.name == "Oswestry Disability Index"
    assert odi.version == "2.1a"
    assert odi.item_codes == ODI_CODES
    assert odi.item("lifting").text == "Section 3 – Lifting [placeholder: the licensed ODI wording is not installed]"
    for item in odi.items:
        assert PLACEHOLDER_MARK in item.text
        assert all(PLACEHOLDER_MARK in option.label for option in item.options)
    labels = [o.label for o in odi.item("walking").options]
    assert labels[0] == "0 – [placeholder statement 0, least disability]"
    assert labels[5] == "5 – [placeholder statement 5, most disability]"
    assert [item.code for item in odi.items if item.optional] == ["sex_life"]


def test_lefs_placeholder_items_and_domain_anchors():
    lefs = INSTRUMENTS["lefs"]
    assert lefs.item_codes == tuple(f"activity_{n:02d}" for n in range(1, 21))
    assert lefs.item("activity_07").text == "Activity 7 of 20 [placeholder: the LEFS wording is not installed]"
    labels = [o.label for o in lefs.item("activity_01").options]
    assert labels[0] == "Extreme difficulty or unable to perform"
    assert labels[4] == "No difficulty"
    assert not any(item.optional for item in lefs.items)


def test_body_regions():
    codes = [code for code, _ in BODY_REGIONS]
    assert len(codes) == 14 == len(set(codes))
    for region in ("low_back", "buttock", "hip_front", "hip_side", "thigh_back", "thigh_front", "lower_leg"):
        assert f"{region}_left" in codes
        assert f"{region}_right" in codes
    assert all(label for _, label in BODY_REGIONS)


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        ((), ["nprs"]),
        (("low_back_left",), ["nprs", "odi"]),
        (("buttock_right",), ["nprs", "odi"]),
        (("hip_side_right",), ["nprs", "lefs"]),
        (("hip_front_left",), ["nprs", "lefs"]),
        (("thigh_back_left",), ["nprs", "lefs"]),
        (("thigh_front_right",), ["nprs", "lefs"]),
        (("lower_leg_left",), ["nprs", "lefs"]),
        (("lower_leg_left", "low_back_right"), ["nprs", "odi", "lefs"]),
        (("buttock_left", "buttock_right", "hip_side_left"), ["nprs", "odi", "lefs"]),
        (iter(["low_back_left", "low_back_left"]), ["nprs", "odi"]),
    ],
)
def test_instruments_for_regions(regions, expected):
    assert [instrument.code for instrument in instruments_for_regions(regions)] == expected


def test_instruments_for_regions_refuses_unknown_region():
    with pytest.raises(ValueError, match="knee_left"):
        instruments_for_regions(["low_back_left", "knee_left"])


@pytest.mark.parametrize(
    ("regions", "expected"),
    [((), False), (("buttock_left",), True), (("low_back_right",), True), (("hip_side_left",), False)],
)
def test_involves_back(regions, expected):
    assert involves_back(regions) is expected


def _full_odi_texts():
    odi = INSTRUMENTS["odi"]
    texts = {code: f"Licensed text for {code}" for code in odi.item_codes}
    labels = {code: [f"Licensed statement {n}" for n in range(6)] for code in odi.item_codes}
    return texts, labels


def test_with_licensed_text_odi():
    odi = INSTRUMENTS["odi"]
    texts, labels = _full_odi_texts()
    licensed = with_licensed_text(odi, texts, labels)
    assert isinstance(licensed, Instrument)
    assert licensed.text_status == "licensed"
    assert licensed.item("lifting").text == "Licensed text for lifting"
    assert [o.label for o in licensed.item("lifting").options][2] == "Licensed statement 2"
    # Codes, values, optionality, version and scoring unchanged; the original is untouched.
    assert licensed.item_codes == odi.item_codes
    assert licensed.item("sex_life").optional
    assert (licensed.version, licensed.scoring, licensed.better) == (odi.version, odi.scoring, odi.better)
    assert odi.text_status == "placeholder"
    answers = dict.fromkeys(odi.item_codes, 2)
    assert score(licensed, answers) == score(odi, answers)


def test_with_licensed_text_lefs_keeps_domain_labels():
    lefs = INSTRUMENTS["lefs"]
    licensed = with_licensed_text(lefs, {code: f"Task {code}" for code in lefs.item_codes}, instructions="Rate each.")
    assert licensed.text_status == "licensed"
    assert licensed.instructions == "Rate each."
    assert licensed.item("activity_20").options == lefs.item("activity_20").options


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        ({"not_an_item": "x"}, None, "not_an_item"),
        ({}, {"not_an_item": ["a"] * 6}, "not_an_item"),
        ({"lifting": "   "}, None, "blank"),
        ({}, {"lifting": ["a"] * 5}, "5 option labels given, 6 needed"),
        ({}, {"lifting": ["a", "b", "c", "d", "e", ""]}, "blank"),
    ],
)
def test_with_licensed_text_refuses_bad_input(texts, labels, message):
    full_texts, full_labels = _full_odi_texts()
    full_texts.update(texts)
    if labels:
        full_labels.update(labels)
    with pytest.raises(ValueError, match=message):
        with_licensed_text(INSTRUMENTS["odi"], full_texts, full_labels)


def test_with_licensed_text_refuses_leftover_placeholders():
    odi = INSTRUMENTS["odi"]
    texts, _labels = _full_odi_texts()
    with pytest.raises(ValueError, match="placeholder text remains"):
        with_licensed_text(odi, texts)  # ODI statements still placeholders
    lefs = INSTRUMENTS["lefs"]
    with pytest.raises(ValueError, match=r"placeholder text remains for item\(s\): activity_20$"):
        with_licensed_text(lefs, dict.fromkeys(lefs.item_codes[:-1], "Task"))


def test_instrument_refuses_bad_definition():
    nprs = INSTRUMENTS["nprs"]
    with pytest.raises(ValueError, match="scoring"):
        Instrument("x", "X", "1", nprs.items, "sum", "lower", "own_wording", "Do it.")
    with pytest.raises(ValueError, match="better"):
        Instrument("x", "X", "1", nprs.items, "nprs", "up", "own_wording", "Do it.")
    with pytest.raises(ValueError, match="unique"):
        Instrument("x", "X", "1", nprs.items * 2, "nprs", "lower", "own_wording", "Do it.")
