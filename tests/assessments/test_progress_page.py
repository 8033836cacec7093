"""The progress page: the latest completed assessment against the baseline, judged against the
MDC / MCID, with three inline SVG charts; and how its query count grows with more visits."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import AssessmentKind
from clinic.models import ClinicThreshold
from clinic.permissions import Role
from intake.models import Intake, IntakeStatus, QuestionnaireScore
from tests.assessments.helpers import BASELINE_DAY, days_ago, login, started
from tests.factories import AssessmentFactory, UserFactory

# The progress page with an intake and two completed assessments; loading the assessments and the
# questionnaires once for both the comparison table and the charts keeps it here (it was 29).
PROGRESS_QUERIES = 19
SVG_IMAGE = re.compile(r'<svg\b[^>]*\brole="img"[^>]*>')

# The re-assessment: flexion left 110 -> 125 (+15, beyond the 5° MDC), flexion right 118 -> 121 (+3, within),
# abduction left 40 -> 30 (-10, worse); hurdle step 2/1 -> 3/3 and deep squat 2 -> 3, so the FMS composite
# goes 14 -> 17 (+3, beyond the 2.5 MDC); pain today 6 -> 2.
BETTER = {
    "rom_flexion_left": 125,
    "rom_flexion_right": 121,
    "rom_abduction_left": 30,
    "fms_hurdle_step_left": 3,
    "fms_hurdle_step_right": 3,
    "fms_deep_squat": 3,
    "pain_today": 2,
}


@pytest.fixture
def as_clinician(client, clinician):
    return login(client, clinician)


def _rows(html: str) -> dict[str, list[str]]:
    """Progress table: measure label -> [baseline, now, change, judgement, rule]."""
    table = re.search(r'<section aria-labelledby="cmp-h">.*?</section>', html, re.S)
    assert table, "no comparison table"
    rows = {}
    for row in re.findall(r"<tr class=\"change-[^\"]*\">(.*?)</tr>", table.group(0), re.S):
        label = re.search(r"<th[^>]*>(.*?)</th>", row, re.S).group(1)
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows[unescape(label.strip())] = [unescape(cell) for cell in cells]
    return rows


def _progress(client, episode) -> str:
    response = client.get(f"/episodes/{episode.pk}/progress/")
    assert response.status_code == 200
    return response.content.decode()


def test_rom_change_beyond_the_mdc_is_improved_within_is_no_change(as_clinician, episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)

    rows = _rows(_progress(as_clinician, episode))

    assert rows["Hip flexion left"][:4] == ["110", "125", "15", "Improved"]
    assert rows["Hip flexion right"][:4] == ["118", "121", "3", "No change"]
    assert rows["Hip abduction left"][:4] == ["40", "30", "-10", "Worse"]
    assert rows["Hip extension right"][:4] == ["-4", "-4", "0", "No change"]
    assert "MDC 5°" in rows["Hip flexion left"][4]
    # Every motion and side is compared.
    assert sum(label.startswith("Hip ") for label in rows) == 12


def test_motion_codes_are_shown_as_words(as_clinician, episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)

    html = _progress(as_clinician, episode)

    assert "Hip internal rotation left" in _rows(html)
    assert "FMS active straight-leg raise" in _rows(html)
    assert "nternal_rotation" not in html


def test_rom_measured_with_another_device_is_not_comparable(as_clinician, episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam={**BETTER, "rom_device": "inclinometer"})

    rows = _rows(_progress(as_clinician, episode))

    hip_rows = {label: cells for label, cells in rows.items() if label.startswith("Hip ")}
    assert len(hip_rows) == 12
    assert {cells[3] for cells in hip_rows.values()} == {"Not comparable"}
    assert rows["Hip flexion left"][2] == "—"  # no difference shown for readings that cannot be compared


def test_rom_in_another_mode_is_not_comparable(as_clinician, episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam={**BETTER, "rom_mode": "active"})

    rows = _rows(_progress(as_clinician, episode))

    assert rows["Hip flexion left"][3] == "Not comparable"


@pytest.mark.parametrize(
    ("changes", "composite", "judgement"),
    [
        (BETTER, "17", "Improved"),  # +3 > 2.5
        ({"fms_hurdle_step_right": 2}, "15", "No change"),  # +1
        ({"fms_shoulder_mobility_left": 1, "fms_shoulder_mobility_right": 1, "fms_deep_squat": 1}, "11", "Worse"),
    ],
    ids=["beyond MDC", "within MDC", "worse"],
)
def test_fms_total_change_is_judged_against_its_mdc(as_clinician, episode, changes, composite, judgement):
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=changes)

    rows = _rows(_progress(as_clinician, episode))

    assert rows["FMS composite"][:2] == ["14", composite]
    assert rows["FMS composite"][3] == judgement


def test_fms_single_test_change_counts_any_point(as_clinician, episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)

    rows = _rows(_progress(as_clinician, episode))

    assert rows["FMS hurdle step"][:4] == ["1", "3", "2", "Improved"]
    assert rows["FMS in-line lunge"][3] == "No change"


def test_nprs_comes_from_pain_today(as_clinician, episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)

    rows = _rows(_progress(as_clinician, episode))

    assert rows["NPRS"][:4] == ["6", "2", "-4", "Improved"]


def test_nprs_is_judged_against_the_clinics_own_mcid(as_clinician, episode):
    # 6 -> 2 is 4 points and 67 %: short of a clinic MCID of 5 points or 70 %.
    clinic = episode.patient.clinic
    ClinicThreshold.objects.create(clinic=clinic, key="nprs_mcid_points", value=5)
    ClinicThreshold.objects.create(clinic=clinic, key="nprs_mcid_relative_pct", value=70)
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)

    nprs = _rows(_progress(as_clinician, episode))["NPRS"]

    assert nprs[3] == "No change"
    assert "MCID 5 points or 70 %" in nprs[4]


def test_nprs_baseline_comes_from_the_intake_score_when_there_is_one(as_clinician, episode):
    intake = Intake.objects.create(
        episode=episode,
        status=IntakeStatus.SUBMITTED,
        submitted_at=timezone.now() - datetime.timedelta(days=60),
    )
    QuestionnaireScore.objects.create(
        intake=intake,
        instrument="nprs",
        version="own wording v1",
        display="8 / 10",
        value=8,
        items_answered=3,
        items_total=3,
        complete=True,
        scored=True,
    )
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam={**BETTER, "pain_today": 5})

    html = _progress(as_clinician, episode)

    nprs = _rows(html)["NPRS"]
    # Stored scores are decimals (8.000); the page shows them as people write them.
    assert nprs[:3] == ["8", "5", "-3"]
    assert nprs[3] == "Improved"  # 8 -> 5: 3 points, beyond the MCID of 2


def _intake_submitted(episode, day: datetime.date, nprs: int) -> None:
    """An intake submitted at noon, clinic time, on ``day``."""
    zone = episode.patient.clinic.zone
    noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=zone)
    intake = Intake.objects.create(episode=episode, status=IntakeStatus.SUBMITTED, submitted_at=noon)
    QuestionnaireScore.objects.create(
        intake=intake,
        instrument="nprs",
        version="own wording v1",
        display=f"{nprs} / 10",
        value=nprs,
        items_answered=3,
        items_total=3,
        complete=True,
        scored=True,
    )


def test_an_intake_submitted_after_the_visits_is_the_newest_pain_reading_and_says_so(as_clinician, episode):
    """Past visits entered after the online intake: the dates decide, so the intake submitted after the
    re-assessment is "now", and the row names the readings compared."""
    baseline = AssessmentFactory(episode=episode, exam={"pain_today": 5})
    later = AssessmentFactory(episode=episode, kind="reassessment", exam={**BETTER, "pain_today": 2})
    _intake_submitted(episode, later.assessed_on + datetime.timedelta(days=3), nprs=5)

    nprs = _rows(_progress(as_clinician, episode))["NPRS"]

    assert nprs[:4] == ["5", "5", "0", "No change"]
    day = later.assessed_on + datetime.timedelta(days=3)
    first = baseline.assessed_on
    assert nprs[4].endswith(f"; Initial evaluation, {first.day} {first:%b %Y} to Intake, {day.day} {day:%b %Y}")


def test_on_the_intakes_day_the_reassessments_own_pain_reading_is_now(as_clinician, episode):
    AssessmentFactory(episode=episode, exam={"pain_today": 5})
    later = AssessmentFactory(episode=episode, kind="reassessment", exam={**BETTER, "pain_today": 2})
    _intake_submitted(episode, later.assessed_on, nprs=5)

    nprs = _rows(_progress(as_clinician, episode))["NPRS"]

    assert nprs[:4] == ["5", "2", "-3", "Improved"]
    assert nprs[4].endswith(f"to Re-assessment, {later.assessed_on.day} {later.assessed_on:%b %Y}")


def test_leg_length_change_is_compared(as_clinician, episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(
        episode=episode,
        kind="reassessment",
        exam={"true_right_cm": Decimal("89.8"), "apparent_right_cm": Decimal("94.9")},
    )

    rows = _rows(_progress(as_clinician, episode))

    assert rows["Leg length discrepancy"][:4] == ["12", "2", "-10", "Improved"]


LEG_LENGTH_NOT_TESTED = {
    "true_left_cm": None,
    "true_right_cm": None,
    "apparent_left_cm": None,
    "apparent_right_cm": None,
    "leg_length_not_tested": True,
    "leg_length_not_tested_reason": "Tape measure missing",
}


@pytest.mark.parametrize(
    ("baseline", "latest", "rule"),
    [
        (LEG_LENGTH_NOT_TESTED, {}, "not comparable: not tested at baseline"),
        ({}, LEG_LENGTH_NOT_TESTED, "not comparable: not tested at the latest visit"),
        (LEG_LENGTH_NOT_TESTED, LEG_LENGTH_NOT_TESTED, "not comparable: not tested at both visits"),
    ],
)
def test_leg_length_not_tested_says_so_rather_than_missing(as_clinician, episode, baseline, latest, rule):
    AssessmentFactory(episode=episode, exam=baseline)
    AssessmentFactory(episode=episode, kind="reassessment", exam=latest)

    row = _rows(_progress(as_clinician, episode))["Leg length discrepancy"]

    assert row[3:] == ["Not comparable", rule]


def test_page_shows_three_accessible_svg_charts(as_clinician, episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)

    html = _progress(as_clinician, episode)

    charts = SVG_IMAGE.findall(html)
    assert len(charts) == 3
    assert all("aria-label=" in chart for chart in charts)
    assert "<?xml" not in html


def test_with_only_the_baseline_the_page_asks_for_a_reassessment(as_clinician, episode):
    AssessmentFactory(episode=episode)
    started(as_clinician, episode, "reassessment", days_ago(7))  # a draft does not count

    html = _progress(as_clinician, episode)

    assert "Progress needs a completed baseline and at least one completed re-assessment." in html
    assert not SVG_IMAGE.search(html)
    assert 'aria-labelledby="cmp-h"' not in html


def test_with_no_assessment_the_page_asks_for_one(as_clinician, episode):
    html = _progress(as_clinician, episode)

    assert "Progress needs a completed baseline" in html
    assert not SVG_IMAGE.search(html)


def test_latest_reassessment_is_compared_with_the_baseline(as_clinician, episode):
    AssessmentFactory(episode=episode)
    middle = AssessmentFactory(episode=episode, kind="reassessment", exam={"rom_flexion_left": 140})
    middle.assessed_on = days_ago(20)
    middle.save(update_fields=["assessed_on"])
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)

    html = _progress(as_clinician, episode)

    assert _rows(html)["Hip flexion left"][:2] == ["110", "125"]
    assert BASELINE_DAY.strftime("%-d %b %Y") in html


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_progress_is_403_for_non_clinicians(client, clinic, episode, as_clinician, role):
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)
    login(client, UserFactory(clinic=clinic, roles=[role]))

    assert client.get(f"/episodes/{episode.pk}/progress/").status_code == 403


def test_progress_of_another_clinics_episode_is_404(as_clinician, foreign_episode):
    assert as_clinician.get(f"/episodes/{foreign_episode.pk}/progress/").status_code == 404


# --- Query count ----------------------------------------------------------------------------------------


def _count_progress_queries(client, episode) -> int:
    with CaptureQueriesContext(connection) as queries:
        html = _progress(client, episode)
    assert len(SVG_IMAGE.findall(html)) == 3
    return len(queries.captured_queries)


def test_progress_queries_do_not_grow_per_assessment_or_measurement(
    as_clinician, episode, django_assert_max_num_queries
):
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)
    with_two = _count_progress_queries(as_clinician, episode)

    for number in range(2):
        extra = AssessmentFactory(episode=episode, kind="reassessment", exam={"pain_today": 3 - number})
        assert extra.kind == AssessmentKind.REASSESSMENT

    # Two more visits bring 2 x (6 ROM rows + 7 FMS rows + 18 special tests + findings): loading any of them
    # per assessment (3+ queries each) or per row would exceed this bound.
    with django_assert_max_num_queries(with_two + 5):
        html = _progress(as_clinician, episode)
    assert len(SVG_IMAGE.findall(html)) == 3


# --- Charts -----------------------------------------------------------------------------------------


def _intake_scores(episode, **values: int) -> None:
    intake = Intake.objects.create(
        episode=episode, status=IntakeStatus.SUBMITTED, submitted_at=timezone.now() - datetime.timedelta(days=60)
    )
    for instrument, value in values.items():
        QuestionnaireScore.objects.create(
            intake=intake,
            instrument=instrument,
            version="own wording v1",
            display=str(value),
            value=value,
            items_answered=1,
            items_total=1,
            complete=True,
            scored=True,
        )


def _section(html: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">.*?</section>', html, re.S)
    assert found, heading_id
    return found.group(0)


def test_every_scored_questionnaire_is_charted_and_tabled(as_clinician, episode):
    _intake_scores(episode, nprs=8, odi=40, lefs=38)
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)

    outcomes = _section(_progress(as_clinician, episode), "out-chart-h")

    for label in ("NPRS (0–10, lower is better)", "ODI % (lower is better)", "LEFS (0–80, higher is better)"):
        assert f">{label}</text>" in outcomes
    table = outcomes[outcomes.index("<table>") :]
    lefs_row = re.search(r'<th scope="row">LEFS</th>(.*?)</tr>', table, re.S).group(1)
    # Scored once, at the intake: the value is in the table, and written out in the chart.
    assert "<td>38</td>" in lefs_row
    assert ">38</text>" in outcomes


def test_each_chart_has_its_numbers_as_a_table(as_clinician, episode):
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)

    html = _progress(as_clinician, episode)

    rom = _section(html, "rom-chart-h")
    assert re.search(r'<th scope="row">Hip flexion left</th><td>110°</td><td>125°</td></tr>', rom)
    fms = _section(html, "fms-chart-h")
    assert re.search(r'<th scope="row">Deep squat</th><td>2</td><td>3</td></tr>', fms)
    for section in (rom, fms, _section(html, "out-chart-h")):
        assert "<summary>The chart's numbers as a table</summary>" in section


def test_progress_page_query_count(as_clinician, episode, django_assert_max_num_queries):
    _intake_scores(episode, nprs=8, odi=40, lefs=38)
    AssessmentFactory(episode=episode)
    AssessmentFactory(episode=episode, kind="reassessment", exam=BETTER)

    # Session, user and roles, the episode, the audit row, the clinic's thresholds, the completed assessments
    # with their measurements, findings and questionnaires, and the intake's scores: each once.
    with django_assert_max_num_queries(PROGRESS_QUERIES):
        _progress(as_clinician, episode)
