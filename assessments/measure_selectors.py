"""Reads for the assessment's "Outcome measures" form: the measures saved on it and the PSFS activities the patient
named last time (DOMAIN B5.4: the PSFS re-rates the same activities)."""

from __future__ import annotations

from django.utils import timezone

from assessments.models import Assessment, OutcomeScore
from intake.instruments import HIP_MEASURES, PSFS
from intake.models import QuestionnaireScore

MEASURE_CODES = tuple(instrument.code for instrument in HIP_MEASURES)


def saved(assessment: Assessment) -> list[OutcomeScore]:
    """The hip and tendon measures and PSFS saved on ``assessment``, in the measures' order."""
    rows = {row.instrument: row for row in assessment.outcome_scores.filter(instrument__in=MEASURE_CODES)}
    return [rows[code] for code in MEASURE_CODES if code in rows]


def earlier_psfs(assessment: Assessment) -> dict | None:
    """The detail of the episode's latest PSFS before ``assessment`` (another assessment's or the intake's)."""
    earlier = (
        OutcomeScore.objects.filter(
            assessment__episode_id=assessment.episode_id,
            assessment__assessed_on__lte=assessment.assessed_on,
            instrument=PSFS.code,
        )
        .exclude(assessment=assessment)
        .order_by("-assessment__assessed_on", "-assessment_id")
        .values_list("assessment__assessed_on", "detail")
        .first()
    )
    intake = (
        QuestionnaireScore.objects.filter(intake__episode_id=assessment.episode_id, instrument=PSFS.code)
        .exclude(intake__submitted_at__isnull=True)
        .values_list("intake__submitted_at", "detail")
        .first()
    )
    if intake and (earlier is None or timezone.localdate(intake[0]) > earlier[0]):
        return intake[1]
    return earlier[1] if earlier else None
