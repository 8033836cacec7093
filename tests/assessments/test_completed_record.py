"""A completed assessment's page: everything recorded, read-only, in the screen's section order
(negative special tests, SLR angles, cadence and notes included), and findings wording that
never calls a section normal when it was not tested."""

from __future__ import annotations

import re
from html import unescape

import pytest

from assessments.findings import SPECIAL_TESTS
from assessments.scoring import FMS_RAW_KEYS, MOTIONS
from intake import instruments
from tests.assessments.helpers import login, started
from tests.factories import AssessmentFactory

NORMAL_WORDING = "No findings: the measurements recorded are within the thresholds."

SIDES = ("left", "right")
ALL_SPECIAL_NOT_TESTED = {f"{test}_{side}_result": "not_tested" for test, _ in SPECIAL_TESTS for side in SIDES}

# Every section recorded and nothing beyond a threshold: no finding is derived. ROM at the AAOS norms
# (DOMAIN A), FMS all 3, equal leg lengths, every special test negative, no running fault.
_AAOS = {
    "flexion": 120,
    "extension": 30,
    "abduction": 45,
    "adduction": 30,
    "internal_rotation": 45,
    "external_rotation": 45,
}
NORMAL_EXAM = {
    **{f"rom_{motion}_{side}": _AAOS[motion] for motion in MOTIONS for side in SIDES},
    "rom_flexion_left_pain": False,
    "rom_internal_rotation_right_pain": False,
    **{f"fms_{key}": 3 for key in FMS_RAW_KEYS},
    "true_right_cm": "90.0",
    "apparent_right_cm": "95.0",
    **{f"{test}_{side}_result": "negative" for test, _ in SPECIAL_TESTS for side in SIDES},
    "thomas_left_iliopsoas": False,
    "slr_right_angle": None,
    "slr_right_leg_symptoms": False,
    "faber_left_location": None,
    "overstriding": False,
    "hip_drop": False,
    "cadence": 170,
    "form_notes": "No fault seen.",
}

# The sections of the normal exam emptied and marked not tested instead.
LEG_LENGTH_AND_RUNNING_NOT_TESTED = {
    "true_left_cm": None,
    "true_right_cm": None,
    "apparent_left_cm": None,
    "apparent_right_cm": None,
    "cadence": None,
    "form_notes": "",
    "leg_length_not_tested": True,
    "leg_length_not_tested_reason": "Tape measure missing",
    "running_form_not_tested": True,
}


def _text(html: str) -> str:
    """The text as read: inline tags join their neighbours, block tags separate them."""
    inline = re.sub(r"</?(strong|span|em)\b[^>]*>", "", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def _section(html: str, heading_id: str) -> str:
    """The section labelled by ``heading_id``, up to its own closing tag (sections nest one level)."""
    start = html.index(f'<section aria-labelledby="{heading_id}"')
    depth, position = 0, start
    for match in re.finditer(r"<section\b|</section>", html[start:]):
        depth += 1 if match.group(0) != "</section>" else -1
        if depth == 0:
            position = start + match.end()
            break
    return html[start:position]


def _rows(section: str) -> dict[str, list[str]]:
    """Each table row of the section: its row header -> the text of its cells."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section, re.S):
        header = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if header:
            rows[_text(header.group(1))] = [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return rows


@pytest.fixture
def as_clinician(client, clinician):
    return login(client, clinician)


def _page(client, assessment) -> str:
    response = client.get(f"/assessments/{assessment.pk}/")
    assert response.status_code == 200
    return response.content.decode()


# --- Everything recorded, read-only -------------------------------------------------------------------


def test_completed_page_shows_every_recorded_value_read_only(as_clinician, episode):
    assessment = AssessmentFactory(
        episode=episode, exam={"slr_left_angle": 70, "rom_internal_rotation_device": "inclinometer"}
    )

    html = _page(as_clinician, assessment)

    record = _section(html, "record-h")
    assert not re.search(r"<(input|select|textarea)\b", record), "the record is read-only"
    visit = _text(_section(record, "visit-h"))
    assert "Pain today (NPRS 0–10) 6/10" in visit
    assert "Usual ROM device Goniometer" in visit
    assert "ROM mode Passive" in visit
    rom = _rows(_section(record, "rom-h"))
    assert rom["Hip flexion"][:2] == ["Left: 110° painful below norm", "Right: 118°"]
    assert rom["Hip extension"][:2] == ["Left: 12° below norm", "Right: -4° below norm"]
    assert rom["Hip internal rotation"][:2] == ["Left: 35° below norm", "Right: 38° painful below norm"]
    assert rom["Hip adduction"] == [
        "Left: 25°",
        "Right: 26°",
        "Norm: 30° (AAOS normal hip ROM (Goniometer.io))",
        "L–R: 1°",
        "Position: Supine",
        "Device: Goniometer",
    ]
    assert rom["Hip internal rotation"][4:] == ["Position: Prone", "Device: Inclinometer"]
    fms = _rows(_section(record, "fms-h"))
    assert fms["Hurdle step"][:2] == ["Left: 2", "Right: 1"]
    assert fms["Deep squat"][0] == "Score: 2"
    assert fms["Shoulder mobility"][2] == "Clearing test: Shoulder clearing test: not marked painful"
    assert "Composite: 14 / 21" in _text(_section(record, "fms-h"))
    lengths = _text(_section(record, "lld-h"))
    assert "True lengths L 900 mm / R 888 mm" in lengths
    assert "Apparent lengths L 950 mm / R 939 mm" in lengths
    assert "Band Minor – interpret with symptoms" in lengths
    assert "Interpretation Structural" in lengths
    special = _rows(_section(record, "special-h"))
    assert special["Thomas test"] == ["Left: Positive (tight structure: iliopsoas)", "Right: Negative"]
    assert special["Straight-leg raise"] == [
        "Left: Negative (angle 70°)",
        "Right: Positive (angle 45°, reproduces leg symptoms)",
    ]
    assert special["FABER (Patrick) test"] == ["Left: Positive (pain: Back / sacral)", "Right: Not tested"]
    assert special["Ober test"] == ["Left: Not tested", "Right: Not tested"]
    running = _text(_section(record, "run-h"))
    assert "Faults observed Overstriding, Contralateral hip drop" in running
    assert "Cadence 162 steps/min" in running
    assert "Running-form notes Heel strikes well ahead of the body; trunk upright." in running


def test_completed_page_follows_the_screens_section_order(as_clinician, episode):
    assessment = AssessmentFactory(episode=episode)
    draft = started(as_clinician, episode, "reassessment")
    form_order = re.findall(r'<section aria-labelledby="([^"]+)"', _page(as_clinician, draft))

    record = _section(_page(as_clinician, assessment), "record-h")

    assert re.findall(r'<section aria-labelledby="([^"]+)"', record)[1:] == form_order


def test_completed_page_shows_the_questionnaire_answers(as_clinician, episode):
    answers = {f"outcome_odi_{item.code}": 1 for item in instruments.ODI.items if not item.optional}
    assessment = AssessmentFactory(episode=episode, exam=answers)

    outcomes = _section(_section(_page(as_clinician, assessment), "record-h"), "outcomes-h")

    assert "Oswestry Disability Index: " in _text(outcomes)
    answered = [cells for cells in _rows(outcomes).values() if cells == ["Answer: 1"]]
    assert len(answered) == len(answers)
    assert "ODI pain intensity" in _rows(outcomes)


# --- Findings wording -----------------------------------------------------------------------------------


def test_no_findings_with_every_section_recorded_says_within_thresholds(as_clinician, episode):
    assessment = AssessmentFactory(episode=episode, exam=NORMAL_EXAM)
    assert not assessment.findings.exists()

    findings = _text(_section(_page(as_clinician, assessment), "findings-h"))

    assert NORMAL_WORDING in findings
    assert "Not tested" not in findings


def test_no_findings_with_sections_not_tested_says_what_was_not_tested(as_clinician, episode):
    assessment = AssessmentFactory(episode=episode, exam={**NORMAL_EXAM, **LEG_LENGTH_AND_RUNNING_NOT_TESTED})
    assert not assessment.findings.exists()

    html = _page(as_clinician, assessment)

    findings = _text(_section(html, "findings-h"))
    assert NORMAL_WORDING not in html
    assert "No findings from the sections recorded." in findings
    assert "Not tested at this visit Leg length: Tape measure missing Running form (no reason given)" in findings
    assert _text(_section(html, "lld-h")) == "Leg length Not tested: Tape measure missing"
    assert _text(_section(html, "run-h")) == "Running form Not tested (no reason given)"


def test_completed_page_shows_every_tight_thomas_structure(as_clinician, episode):
    assessment = AssessmentFactory(
        episode=episode,
        exam={
            "thomas_left_rectus_femoris": True,
            "thomas_left_tfl_itb": True,
            "thomas_right_result": "positive",
            "thomas_right_iliopsoas": False,
            "thomas_right_tfl_itb": True,
        },
    )

    html = _page(as_clinician, assessment)

    special = _rows(_section(_section(html, "record-h"), "special-h"))
    assert special["Thomas test"] == [
        "Left: Positive (tight structures: iliopsoas, rectus femoris and TFL / ITB)",
        "Right: Positive (tight structure: TFL / ITB)",
    ]
    findings = _text(_section(html, "findings-h"))
    for label in (
        "Hip flexor tightness – left",
        "Rectus femoris tightness – left",
        "TFL / ITB tension – left",
        "TFL / ITB tension – right",
    ):
        assert label in findings
    assert "Hip flexor tightness – right" not in findings


def test_a_positive_thomas_saved_without_a_structure_says_none_was_recorded(as_clinician, episode):
    """Assessments from before each structure had to be named keep what was written, nothing more."""
    assessment = AssessmentFactory(episode=episode)
    assessment.special_tests.filter(test="thomas", side="left").update(iliopsoas_tight=False)

    special = _rows(_section(_page(as_clinician, assessment), "special-h"))

    assert special["Thomas test"] == ["Left: Positive (tight structure not recorded)", "Right: Negative"]


def test_findings_and_sections_not_tested_are_both_listed(as_clinician, episode):
    assessment = AssessmentFactory(
        episode=episode,
        exam={
            "special_tests_not_tested": True,
            "special_tests_not_tested_reason": "Acute pain",
            **ALL_SPECIAL_NOT_TESTED,
            "thomas_left_iliopsoas": False,
            "slr_right_angle": None,
            "slr_right_leg_symptoms": False,
            "faber_left_location": None,
        },
    )

    findings = _text(_section(_page(as_clinician, assessment), "findings-h"))

    assert "Overstriding" in findings
    assert "Not tested at this visit Special tests: Acute pain" in findings


def test_nothing_recorded_says_so(as_clinician, clinician, episode):
    draft = started(as_clinician, episode)
    marks = {f"{code}_not_tested": "on" for code in ("rom", "fms", "leg_length", "special_tests", "running_form")}
    form = {
        "assessed_on": draft.assessed_on.isoformat(),
        "rom_device": "goniometer",
        "rom_mode": "passive",
        **ALL_SPECIAL_NOT_TESTED,
        **marks,
        "complete": "",
    }
    assert as_clinician.post(f"/assessments/{draft.pk}/", form).status_code == 302

    findings = _text(_section(_page(as_clinician, draft), "findings-h"))

    assert "No findings: no section of the exam was recorded." in findings
    assert NORMAL_WORDING not in findings
