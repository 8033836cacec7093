"""Every write of the assessments: drafts, completion (which derives findings), and the
clinician's dismissals and additions."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from assessments import findings, scoring, sections, selectors, signals
from assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Finding,
    FindingOrigin,
    FmsScore,
    OutcomeScore,
    RomMeasurement,
    SpecialTest,
)
from assessments.records import OUTCOME_INSTRUMENTS, Visit
from clinic import audit, permissions, thresholds
from clinic.models import EpisodeOfCare, User
from clinic.webhooks import services as webhooks
from clinic.webhooks.rules import EventType
from intake import scoring as intake_scoring


def _require_clinical(actor: User, episode: EpisodeOfCare) -> None:
    if not permissions.can_change_clinical(actor, episode.patient):
        raise PermissionDenied


def _require_draft(assessment: Assessment) -> None:
    if assessment.is_completed:
        raise ValidationError("This assessment is completed; reopen it to change it.")


def assessment_start(
    *, actor: User, episode: EpisodeOfCare, kind: str, assessed_on: datetime.date | None = None
) -> Assessment:
    _require_clinical(actor, episode)
    if kind == AssessmentKind.INITIAL and episode.assessments.filter(kind=AssessmentKind.INITIAL).exists():
        raise ValidationError({"kind": "This episode already has an initial evaluation; record a re-assessment."})
    if kind == AssessmentKind.REASSESSMENT and not selectors.baseline(episode):
        raise ValidationError({"kind": "Complete the initial evaluation before a re-assessment."})
    assessment = Assessment(
        episode=episode, kind=kind, clinician=actor, assessed_on=assessed_on or timezone.localdate()
    )
    assessment.full_clean()
    with transaction.atomic():
        assessment.save()
        audit.record(actor=actor, action="assessment.started", obj=assessment)
    return assessment


def _rom_rows(assessment: Assessment, exam: findings.ExamInput) -> list[RomMeasurement]:
    """A row for every motion, an unmeasured one empty."""
    readings = {reading.motion: reading for reading in exam.rom}
    rows = []
    for motion in scoring.MOTIONS:
        reading = readings.get(motion) or scoring.RomReading(motion, None, None)
        rows.append(
            RomMeasurement(
                assessment=assessment,
                motion=motion,
                left=reading.left,
                right=reading.right,
                left_painful=reading.left_painful,
                right_painful=reading.right_painful,
                position=reading.position,
                device=reading.device or assessment.rom_device,
            )
        )
    return rows


def _fms_rows(assessment: Assessment, exam: findings.ExamInput) -> list[FmsScore]:
    return [
        FmsScore(
            assessment=assessment,
            test=test.code,
            left=exam.fms_raw.get(f"{test.code}_left" if test.bilateral else test.code),
            right=exam.fms_raw.get(f"{test.code}_right") if test.bilateral else None,
            clearing_painful=bool(exam.fms_clearing.get(test.clearing)) if test.clearing else False,
        )
        for test in scoring.FMS_TESTS
    ]


def _special_test_rows(assessment: Assessment, exam: findings.ExamInput) -> list[SpecialTest]:
    """A row for every test and side, one not recorded being "not tested"."""
    rows = []
    for test, _ in findings.SPECIAL_TESTS:
        for side in scoring.SIDES:
            recorded = exam.special_tests.get(test, {}).get(side) or findings.SpecialTest("not_tested")
            rows.append(
                SpecialTest(
                    assessment=assessment,
                    test=test,
                    side=side,
                    result=recorded.result,
                    **{f"{structure}_tight": structure in recorded.tight for structure in findings.THOMAS_STRUCTURES},
                    angle=recorded.angle,
                    reproduces_leg_symptoms=recorded.reproduces_leg_symptoms,
                    pain_location=recorded.pain_location or "",
                )
            )
    return rows


def assessment_save(*, actor: User, assessment: Assessment, visit: Visit, exam: findings.ExamInput) -> Assessment:
    """Store a draft: the visit's details and the exam as recorded (anything may be missing in a draft,
    but a section marked not tested holds no values)."""
    _require_clinical(actor, assessment.episode)
    _require_draft(assessment)
    if contradicted := sections.contradicted(exam, form_notes=visit.form_notes):
        raise ValidationError({f"{code}_not_tested": sections.MARKED_BUT_RECORDED for code in contradicted})
    for code, _ in sections.SECTIONS:
        setattr(assessment, f"{code}_not_tested", code in exam.not_tested)
        setattr(assessment, f"{code}_not_tested_reason", exam.not_tested.get(code, "").strip())
    assessment.assessed_on = visit.assessed_on
    assessment.rom_device, assessment.rom_mode = visit.rom_device, visit.rom_mode
    assessment.pain_today = visit.pain_today
    assessment.form_notes = visit.form_notes
    assessment.cadence = exam.cadence
    for name in findings.RUNNING_FORM:
        setattr(assessment, name, bool(exam.running_form.get(name)))
    for name in ("true_left", "true_right", "apparent_left", "apparent_right"):
        setattr(assessment, f"{name}_mm", getattr(exam, name))
    assessment.full_clean()
    with transaction.atomic():
        assessment.save()
        assessment.rom.all().delete()
        RomMeasurement.objects.bulk_create(_rom_rows(assessment, exam))
        assessment.fms.all().delete()
        FmsScore.objects.bulk_create(_fms_rows(assessment, exam))
        assessment.special_tests.all().delete()
        SpecialTest.objects.bulk_create(_special_test_rows(assessment, exam))
        _save_outcomes(assessment, visit.outcomes)
        audit.record(actor=actor, action="assessment.saved", obj=assessment)
    return assessment


def _save_outcomes(assessment: Assessment, outcomes: Mapping[str, Mapping[str, int | None]]) -> None:
    """Score each questionnaire entered at the visit with the intake's scoring engine."""
    odi_min = int(thresholds.for_clinic(assessment.episode.patient.clinic)["odi_min_sections"])
    for instrument in OUTCOME_INSTRUMENTS:
        given = outcomes.get(instrument.code, {})
        answers = {item.code: given.get(item.code) for item in instrument.items}
        if all(value is None for value in answers.values()):
            assessment.outcome_scores.filter(instrument=instrument.code).delete()
            continue
        result = intake_scoring.score(instrument, answers, odi_min_sections=odi_min)
        OutcomeScore.objects.update_or_create(
            assessment=assessment,
            instrument=instrument.code,
            defaults={
                "answers": answers,
                "value": None if result.value is None else result.value.quantize(Decimal("0.001")),
                "display": result.display,
                "scored": result.scored,
            },
        )


def _sync_findings(assessment: Assessment, derived: list[findings.Finding]) -> None:
    """Replace derived findings, keeping a clinician's dismissal of one that is derived again."""
    existing = {(row.code, row.side): row for row in assessment.findings.filter(origin=FindingOrigin.DERIVED)}
    wanted = {}
    for finding in derived:
        key = (finding.code, finding.side or "")
        evidence = [{"source": item.source, "detail": item.detail} for item in finding.evidence]
        wanted[key] = (finding.label, evidence)
    for key, row in existing.items():
        if key not in wanted:
            row.delete()
    for (code, side), (label, evidence) in wanted.items():
        row = existing.get((code, side))
        if row is None:
            Finding.objects.create(assessment=assessment, code=code, side=side, label=label, evidence=evidence)
        else:
            row.label, row.evidence = label, evidence
            row.save(update_fields=["label", "evidence"])


def _require_sections_accounted(assessment: Assessment, exam: findings.ExamInput) -> None:
    """An empty section is never read as normal: each is recorded or marked not tested."""
    if missing := sections.unaccounted(exam, form_notes=assessment.form_notes):
        raise ValidationError(
            {
                NON_FIELD_ERRORS: sections.not_completed_message(missing),
                **{f"{code}_not_tested": sections.UNACCOUNTED for code in missing},
            }
        )


def assessment_complete(*, actor: User, assessment: Assessment) -> list[Finding]:
    """Lock the assessment and derive its findings from the measurements. Every exam section must be
    recorded or marked not tested."""
    _require_clinical(actor, assessment.episode)
    with transaction.atomic():
        assessment = (
            Assessment.objects.select_for_update().select_related("episode__patient__clinic").get(pk=assessment.pk)
        )
        _require_draft(assessment)
        exam = selectors.exam_input(assessment)
        _require_sections_accounted(assessment, exam)
        try:
            derived = findings.derive_findings(
                exam, thresholds=thresholds.for_clinic(assessment.episode.patient.clinic)
            )
        except ValueError as error:
            raise ValidationError(f"The measurements cannot be interpreted: {error}") from error
        _sync_findings(assessment, derived)
        assessment.status = AssessmentStatus.COMPLETED
        assessment.completed_at = timezone.now()
        assessment.save(update_fields=["status", "completed_at", "updated_at"])
        audit.record(actor=actor, action="assessment.completed", obj=assessment)
        webhooks.emit(
            EventType.ASSESSMENT_COMPLETED,
            clinic_id=assessment.episode.patient.clinic_id,
            data={"episode": assessment.episode_id, "assessment": assessment.pk},
        )
        signals.record_changed.send(sender=Assessment, episode=assessment.episode)
    return list(assessment.findings.all())


def assessment_reopen(*, actor: User, assessment: Assessment) -> Assessment:
    _require_clinical(actor, assessment.episode)
    if assessment.is_completed:
        with transaction.atomic():
            assessment.status = AssessmentStatus.DRAFT
            assessment.completed_at = None
            assessment.save(update_fields=["status", "completed_at", "updated_at"])
            audit.record(actor=actor, action="assessment.reopened", obj=assessment)
            signals.record_changed.send(sender=Assessment, episode=assessment.episode)
    return assessment


def finding_dismiss(*, actor: User, finding: Finding, reason: str) -> Finding:
    _require_clinical(actor, finding.assessment.episode)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the finding is dismissed."})
    with transaction.atomic():
        finding.dismissed_at = timezone.now()
        finding.dismissed_by = actor
        finding.dismiss_reason = reason.strip()
        finding.save(update_fields=["dismissed_at", "dismissed_by", "dismiss_reason"])
        audit.record(actor=actor, action="finding.dismissed", obj=finding)
        signals.record_changed.send(sender=Finding, episode=finding.assessment.episode)
    return finding


def finding_restore(*, actor: User, finding: Finding) -> Finding:
    _require_clinical(actor, finding.assessment.episode)
    with transaction.atomic():
        finding.dismissed_at = None
        finding.dismissed_by = None
        finding.dismiss_reason = ""
        finding.save(update_fields=["dismissed_at", "dismissed_by", "dismiss_reason"])
        audit.record(actor=actor, action="finding.restored", obj=finding)
        signals.record_changed.send(sender=Finding, episode=finding.assessment.episode)
    return finding


def finding_add(
    *, actor: User, assessment: Assessment, reason: str, side: str = "", label: str = "", condition: str = ""
) -> Finding:
    """Add a finding of the clinician's own: a condition from ``findings.CLINICIAN_CONDITIONS``, which the plan
    rules read as they read derived findings, or a finding in the clinician's own words, kept on the record but not
    read by the rules."""
    _require_clinical(actor, assessment.episode)
    label = label.strip()
    if condition and condition not in findings.CLINICIAN_CONDITION_LABELS:
        raise ValidationError({"condition": "Choose a condition from the list."})
    if condition and label:
        raise ValidationError(
            {"label": "Choose a condition from the list or describe the finding in your own words, not both."}
        )
    if not condition and not label:
        raise ValidationError({"label": "Choose a condition from the list or describe the finding in your own words."})
    if condition:
        code, label = condition, findings.condition_label(condition, side or None)
    else:
        code = "clinician_" + (slugify(label).replace("-", "_")[:48] or "finding")
    if assessment.findings.filter(code=code, side=side or "").exists():
        raise ValidationError(
            {"condition" if condition else "label": f"{label} is already a finding of this assessment."}
        )
    finding = Finding(
        assessment=assessment,
        code=code,
        side=side or "",
        label=label,
        origin=FindingOrigin.ADDED,
        reason=reason.strip(),
        added_by=actor,
        evidence=[{"source": "Clinician", "detail": reason.strip()}],
    )
    finding.full_clean()
    with transaction.atomic():
        finding.save()
        audit.record(actor=actor, action="finding.added", obj=finding)
        signals.record_changed.send(sender=Assessment, episode=assessment.episode)
    return finding
