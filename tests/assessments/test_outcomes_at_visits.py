"""Questionnaires re-scored at a visit (score-only) count in progress against the intake."""

from __future__ import annotations

import datetime
from decimal import Decimal

from assessments.models import Assessment, OutcomeScore
from intake import instruments
from intake.models import Intake, IntakeStatus, QuestionnaireScore
from tests.assessments.helpers import BASELINE_DAY, exam_data, post_exam, started
from tests.factories import AssessmentFactory


def _odi(values: int) -> dict:
    return {f"outcome_odi_{item.code}": str(values) for item in instruments.ODI.items if not item.optional}


def test_odi_entered_at_a_re_assessment_is_scored_and_compared_with_the_intake(client, clinician, episode):
    # The intake comes before the first visit.
    before = datetime.datetime.combine(
        BASELINE_DAY - datetime.timedelta(days=1), datetime.time(12), tzinfo=datetime.UTC
    )
    intake = Intake.objects.create(episode=episode, status=IntakeStatus.SUBMITTED, submitted_at=before)
    QuestionnaireScore.objects.create(
        intake=intake,
        instrument="odi",
        version="2.1a",
        value=Decimal("40"),
        display="40.0 %",
        items_answered=10,
        items_total=10,
        complete=True,
        scored=True,
    )
    AssessmentFactory(episode=episode)
    client.force_login(clinician)
    later = started(client, episode, kind="reassessment")
    post_exam(client, later, {**exam_data(), **_odi(1)}, action="complete")

    score = OutcomeScore.objects.get(assessment=later, instrument="odi")
    assert score.scored
    assert score.value == Decimal("20.000")  # 9 sections x 1 point = 9 / 45
    page = client.get(f"/episodes/{episode.pk}/progress/").content.decode()
    row = page[page.index(">ODI<") :][:400]
    assert "40" in row
    assert "Improved" in row


def test_visit_questionnaire_answers_are_kept_in_the_draft(client, clinician, episode):
    client.force_login(clinician)
    assessment = started(client, episode)
    post_exam(client, assessment, {**exam_data(), **_odi(2)})
    page = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert 'name="outcome_odi_lifting"' in page
    assert Assessment.objects.get(pk=assessment.pk).outcome_scores.get().answers["lifting"] == 2


def test_no_answers_no_score(client, clinician, episode):
    client.force_login(clinician)
    assessment = started(client, episode)
    post_exam(client, assessment, exam_data())
    assert not OutcomeScore.objects.exists()
