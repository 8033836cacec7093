"""Writes of the assessment's "Outcome measures" form: one ``OutcomeScore`` per measure entered, none for a measure
left empty (DOMAIN A "Hip/tendon PROMs", "PSFS"; B5.4, B12.4)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction

from assessments.measure_forms import Entry
from assessments.models import Assessment, OutcomeScore
from assessments.services import _require_clinical, _require_draft
from clinic import audit
from intake.instruments import HIP_MEASURES


def outcome_measures_save(*, actor, assessment: Assessment, entries: Mapping[str, Entry | None]) -> Assessment:
    """Store the measures of a draft assessment; a measure with no entry has its score removed. Measures not in
    ``entries`` (e.g. the ODI and LEFS of the exam form) are left as they are."""
    _require_clinical(actor, assessment.episode)
    _require_draft(assessment)
    with transaction.atomic():
        for instrument in HIP_MEASURES:
            if instrument.code not in entries:
                continue
            entry = entries[instrument.code]
            if entry is None:
                assessment.outcome_scores.filter(instrument=instrument.code).delete()
                continue
            value = entry.result.value
            OutcomeScore.objects.update_or_create(
                assessment=assessment,
                instrument=instrument.code,
                defaults={
                    "answers": entry.answers,
                    "value": None if value is None else value.quantize(Decimal("0.001")),
                    "display": entry.result.display,
                    "scored": entry.result.scored,
                    "detail": entry.detail,
                },
            )
        audit.record(actor=actor, action="assessment.measures_saved", obj=assessment)
    return assessment
