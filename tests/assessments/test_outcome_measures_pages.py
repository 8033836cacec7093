"""The assessment's "Outcome measures" page (HOS, iHOT-12, VISA-G score-only; PSFS re-rated) and the progress page's
judgement of those measures: meaningful change and acceptable state."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from assessments.models import AssessmentKind, OutcomeScore
from clinic.models import AuditEvent
from clinic.permissions import Role
from intake.models import Intake, IntakeStatus, QuestionnaireScore
from tests.factories import BASELINE_DAY, AssessmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _hos(code: str, values: list) -> dict[str, str]:
    return {f"{code}_item_{number:02d}": str(value) for number, value in enumerate(values, start=1)}


def _ihot(values: list) -> dict[str, str]:
    return {f"ihot12_item_{number:02d}": str(value) for number, value in enumerate(values, start=1)}


@pytest.fixture
def draft(episode):
    return AssessmentFactory(episode=episode, complete=False)


def _url(assessment) -> str:
    return f"/assessments/{assessment.pk}/measures/"


def test_a_clinician_enters_every_measure(client, clinician, draft):
    client.force_login(clinician)
    data = {
        **_hos("hos_adl", [4] * 16 + ["na"]),
        "hos_sport_total": "62.5",
        **_ihot([50] * 12),
        "visag_total": "71",
        "psfs_activity_1_name": "Running downhill",
        "psfs_activity_1": "3",
        "psfs_activity_2_name": "  Stairs   up ",
        "psfs_activity_2": "6",
    }
    response = client.post(_url(draft), data)
    assert response.status_code == 302
    assert response["Location"] == f"/assessments/{draft.pk}/"
    rows = {row.instrument: row for row in OutcomeScore.objects.filter(assessment=draft)}
    assert rows["hos_adl"].value == Decimal("100.000")
    assert rows["hos_adl"].answers["item_17"] == "na"
    assert rows["hos_sport"].value == Decimal("62.500")
    assert rows["hos_sport"].detail == {"entered_as": "total"}
    assert rows["ihot12"].value == Decimal("50.000")
    assert rows["visag"].value == Decimal("71.000")
    assert rows["psfs"].value == Decimal("4.500")
    assert rows["psfs"].detail["activities"] == {"activity_1": "Running downhill", "activity_2": "Stairs up"}
    page = client.get(f"/assessments/{draft.pk}/").content.decode()
    assert "Hip and tendon measures" in page
    assert "Running downhill: 3" in page
    assert "Change outcome measures" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_hos("hos_adl", [4] * 16), "hos_adl_item_17", "cannot be scored: 1 of 17 items unanswered"),
        ({"hos_sport_total": "104"}, "hos_sport_total", "the total must be 0-100, not 104"),
        ({**_hos("hos_sport", [4] * 9), "hos_sport_total": "90"}, "hos_sport_total", "not both"),
        ({"ihot12_item_01": "101"}, "ihot12_item_01", "less than or equal to 100"),
        ({"hos_adl_item_01": "7"}, "hos_adl_item_01", "Select a valid choice"),
        ({"visag_total": "-3"}, "visag_total", "greater than or equal to 0"),
        ({"visag_total": "abc"}, "visag_total", "Enter a whole number"),
        ({"psfs_activity_1": "5"}, "psfs_activity_1_name", "Name the activity"),
        ({"psfs_activity_2_name": "Hopping"}, "psfs_activity_2", "Rate this activity"),
        ({"psfs_activity_1_name": "x" * 101, "psfs_activity_1": "4"}, "psfs_activity_1_name", "at most 100"),
        ({"psfs_activity_1_name": "Run\x00ning", "psfs_activity_1": "4"}, "psfs_activity_1_name", ""),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_kept(client, clinician, draft, data, field, message):
    client.force_login(clinician)
    kept = {"visag_total": "55"} if "visag_total" not in data else {"hos_sport_total": "40"}
    response = client.post(_url(draft), {**data, **kept})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    page = response.content.decode()
    assert f'aria-describedby="id_{field}_errors"' in page or f"id_{field}_errors" in page
    for name, value in kept.items():
        assert f'name="{name}"' in page
        assert f'value="{value}"' in page
    assert not OutcomeScore.objects.filter(assessment=draft).exists()


def test_emptying_a_measure_removes_its_score_and_leaves_the_exam_forms_questionnaires(client, clinician, draft):
    OutcomeScore.objects.create(
        assessment=draft, instrument="visag", answers={"total": 40}, value=40, display="x", scored=True
    )
    OutcomeScore.objects.create(assessment=draft, instrument="odi", answers={}, value=20, display="20 %", scored=True)
    client.force_login(clinician)
    page = client.get(_url(draft)).content.decode()
    assert 'name="visag_total" value="40"' in page
    assert client.post(_url(draft), {}).status_code == 302
    assert list(OutcomeScore.objects.filter(assessment=draft).values_list("instrument", flat=True)) == ["odi"]


def test_the_psfs_activities_named_at_intake_are_filled_in_to_re_rate(client, clinician, episode, draft):
    intake = Intake.objects.create(
        episode=episode,
        status=IntakeStatus.SUBMITTED,
        submitted_at=datetime.datetime.combine(BASELINE_DAY, datetime.time(9), tzinfo=datetime.UTC),
    )
    QuestionnaireScore.objects.create(
        intake=intake,
        instrument="psfs",
        version="own wording v1",
        answers={"activity_1": 2},
        value=2,
        display="2.0 / 10",
        items_answered=1,
        items_total=3,
        complete=True,
        scored=True,
        detail={"ratings": {"activity_1": 2}, "activities": {"activity_1": "Hill repeats"}},
    )
    client.force_login(clinician)
    page = client.get(_url(draft)).content.decode()
    assert 'value="Hill repeats"' in page


def test_the_page_shows_the_licence_state(client, clinician, draft):
    client.force_login(clinician)
    page = client.get(_url(draft)).content.decode()
    assert page.count("Score-only: the licensed wording") == 4  # HOS ADL, HOS sport, iHOT-12, VISA-G
    assert "[placeholder" not in page  # item text is never shown: items are numbered


def test_front_desk_is_refused(client, front_desk, draft):
    client.force_login(front_desk)
    assert client.get(_url(draft)).status_code == 403
    assert client.post(_url(draft), {"visag_total": "50"}).status_code == 403
    assert not OutcomeScore.objects.exists()


def test_another_clinics_clinician_gets_404(client, other_clinic, draft):
    client.force_login(UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN]))
    assert client.get(_url(draft)).status_code == 404
    assert client.post(_url(draft), {"visag_total": "50"}).status_code == 404
    assert not OutcomeScore.objects.exists()


def test_a_completed_assessment_is_not_changed(client, clinician, episode):
    done = AssessmentFactory(episode=episode)
    client.force_login(clinician)
    response = client.post(_url(done), {"visag_total": "50"})
    assert response.status_code == 302
    assert not OutcomeScore.objects.filter(assessment=done).exists()


def test_reading_the_page_is_audited(client, clinician, draft):

    client.force_login(clinician)
    client.get(_url(draft))
    assert AuditEvent.objects.filter(action="assessment.viewed", object_id=draft.pk, actor=clinician).exists()


# --- Progress page ---------------------------------------------------------------------------------------------


def _scores(assessment, **values):
    for instrument, (value, detail) in values.items():
        OutcomeScore.objects.create(
            assessment=assessment, instrument=instrument, value=value, display=str(value), scored=True, detail=detail
        )


def _psfs(ratings: dict[str, int]) -> dict:
    codes = {name: f"activity_{number}" for number, name in enumerate(ratings, start=1)}
    return {
        "ratings": {codes[name]: rating for name, rating in ratings.items()},
        "activities": {code: name for name, code in codes.items()},
    }


@pytest.fixture
def measured(episode):
    first = AssessmentFactory(episode=episode)
    later = AssessmentFactory(episode=episode, kind=AssessmentKind.REASSESSMENT)
    _scores(
        first,
        hos_adl=(50, {}),
        hos_sport=(40, {}),
        ihot12=(45, {}),
        visag=(50, {}),
        psfs=(3, _psfs({"Running downhill": 2, "Stairs": 4})),
    )
    _scores(
        later,
        hos_adl=(70, {}),
        hos_sport=(44, {}),
        ihot12=(60, {}),
        visag=(80, {}),
        psfs=(6, _psfs({"running  DOWNHILL": 6, "Stairs": 5})),
    )
    return first, later


def _row(page: str, label: str) -> str:
    # The measures' own table, not the chart's data table below it.
    start = page.index(f'<th scope="row">{label}</th>', page.index('id="hip-measures-h"'))
    return page[start : page.index("</tr>", start)]


def test_progress_judges_each_measure_by_mcid_and_acceptable_state(client, clinician, episode, measured):
    client.force_login(clinician)
    page = client.get(f"/episodes/{episode.pk}/progress/").content.decode()
    adl = _row(page, "HOS activities of daily living")
    assert "Meaningful improvement" in adl
    assert "MCID 9 points" in adl
    assert "acceptable: at or above PASS 66" in adl
    sport = _row(page, "HOS sport")
    assert "Not a meaningful change" in sport
    assert "MCID 6 points" in sport
    assert "no published acceptable-state threshold" in sport
    ihot = _row(page, "iHOT-12")
    assert "Meaningful improvement" in ihot
    assert "MCID 14 points" in ihot
    assert "not yet acceptable: below PASS 63" in ihot
    visa = _row(page, "VISA-G")
    assert "Not judged" in visa
    assert "no published MCID (unverified)" in visa
    psfs = _row(page, "PSFS")
    assert "Meaningful improvement" in psfs
    assert "MDC 2 points for the mean" in psfs
    assert "running DOWNHILL: 2 → 6, better beyond the single-activity MDC" in psfs
    assert "Stairs: 4 → 5, within the single-activity MDC" in psfs
    # One chart panel per measure, in the outcome chart.
    for title in ("HOS activities of daily living %", "HOS sport %", "iHOT-12 (0–100", "VISA-G (0–100", "PSFS (0–10"):
        assert title in page


def test_progress_follows_the_clinics_settings(client, clinician, clinic, episode, measured):
    clinic.thresholds.create(key="hos_sport_mcid", value=4)
    clinic.thresholds.create(key="ihot12_pass", value=59)
    client.force_login(clinician)
    page = client.get(f"/episodes/{episode.pk}/progress/").content.decode()
    assert "Meaningful improvement" in _row(page, "HOS sport")
    assert "acceptable: at or above PASS 59" in _row(page, "iHOT-12")


def test_a_single_reading_is_shown_without_a_judgement(client, clinician, episode):
    first = AssessmentFactory(episode=episode)
    _scores(first, hos_adl=(70, {}))
    client.force_login(clinician)
    row = _row(client.get(f"/episodes/{episode.pk}/progress/").content.decode(), "HOS activities of daily living")
    assert "one score so far" in row
    assert "acceptable: at or above PASS 66" in row


def test_progress_query_count_does_not_grow_with_the_measures(
    client, clinician, episode, measured, django_assert_max_num_queries
):
    from tests.assessments.test_progress_page import PROGRESS_QUERIES

    client.force_login(clinician)
    with django_assert_max_num_queries(PROGRESS_QUERIES):
        assert client.get(f"/episodes/{episode.pk}/progress/").status_code == 200
