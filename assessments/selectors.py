"""Read queries of the assessments: exam input for the findings rules, and progress."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.utils import timezone

from assessments import finding_order, findings, progress, scoring, sections
from assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Finding,
    FindingOrigin,
    SpecialTest,
    SpecialTestResult,
)
from assessments.records import OUTCOME_INSTRUMENTS
from clinic import permissions, thresholds
from clinic.models import EpisodeOfCare, EpisodeStatus, User
from intake.instruments import item_label
from intake.models import Intake, IntakeStatus, ReviewNote

_CHILDREN = ("rom", "fms", "special_tests")


def with_measurements(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return assessments.prefetch_related(*_CHILDREN, Prefetch("findings", queryset=Finding.objects.all()))


def in_reading_order(rows: QuerySet[Finding]) -> QuerySet[Finding]:
    """Findings per assessment in assessments.finding_order's reading order, in SQL so a paged list keeps it;
    active before dismissed."""
    rank = Case(
        *(
            When(code__in=(code, finding_order.CLINICIAN_PREFIX + code), then=Value(position))
            for code, position in finding_order.CODE_RANKS.items()
        ),
        default=Value(finding_order.FREE_TEXT_RANK),
        output_field=IntegerField(),
    )
    side = Case(When(side="left", then=Value(1)), When(side="right", then=Value(2)), default=Value(0))
    return rows.order_by("assessment_id", F("dismissed_at").asc(nulls_first=True), rank.asc(), side.asc(), "id")


def completed(episode: EpisodeOfCare) -> list[Assessment]:
    return list(
        with_measurements(episode.assessments.filter(status=AssessmentStatus.COMPLETED).order_by("assessed_on", "id"))
    )


def baseline(episode: EpisodeOfCare) -> Assessment | None:
    """The completed initial evaluation: what every re-assessment is compared with."""
    return episode.assessments.filter(status=AssessmentStatus.COMPLETED, kind=AssessmentKind.INITIAL).first()


def tight_structures(row: SpecialTest) -> frozenset[str]:
    """The structures a stored Thomas row records as tight (none on any other test)."""
    return frozenset(structure for structure in findings.THOMAS_STRUCTURES if getattr(row, f"{structure}_tight"))


def _read_by_rules() -> Q:
    return Q(origin=FindingOrigin.DERIVED) | Q(code__in=list(findings.CLINICIAN_CONDITION_LABELS))


def rule_findings(assessment: Assessment) -> QuerySet[Finding]:
    """The findings the plan rules read: not dismissed, derived or a clinician condition from the list."""
    return assessment.findings.filter(_read_by_rules(), dismissed_at__isnull=True)


def own_words_findings(assessment: Assessment) -> QuerySet[Finding]:
    """Findings not dismissed that the clinician added in their own words: on the record, not read by the rules."""
    return assessment.findings.filter(dismissed_at__isnull=True).exclude(_read_by_rules()).select_related("added_by")


def exam_input(assessment: Assessment) -> findings.ExamInput:
    """The pure rules' view of one assessment's measurements."""
    patient = assessment.episode.patient
    fms_raw: dict[str, int | None] = {}
    fms_clearing: dict[str, bool] = {}
    for row in assessment.fms.all():
        test = scoring.FMS_TESTS_BY_CODE[row.test]
        if test.bilateral:
            fms_raw[f"{row.test}_left"], fms_raw[f"{row.test}_right"] = row.left, row.right
        else:
            fms_raw[row.test] = row.left
        if test.clearing:
            fms_clearing[test.clearing] = row.clearing_painful
    special: dict[str, dict[str, findings.SpecialTest]] = {}
    for row in assessment.special_tests.all():
        special.setdefault(row.test, {})[row.side] = findings.SpecialTest(
            result=row.result,
            tight=tight_structures(row),
            angle=row.angle if row.test == "slr" else None,
            reproduces_leg_symptoms=row.reproduces_leg_symptoms if row.test == "slr" else None,
            pain_location=(row.pain_location or None) if row.test == "faber" else None,
        )
    return findings.ExamInput(
        rom=tuple(
            scoring.RomReading(
                row.motion,
                row.left,
                row.right,
                row.left_painful,
                row.right_painful,
                position=row.position,
                device=row.device,
            )
            for row in assessment.rom.all()
        ),
        fms_raw=fms_raw,
        fms_clearing=fms_clearing,
        true_left=assessment.true_left_mm,
        true_right=assessment.true_right_mm,
        apparent_left=assessment.apparent_left_mm,
        apparent_right=assessment.apparent_right_mm,
        special_tests=special,
        running_form={name: getattr(assessment, name) for name in findings.RUNNING_FORM},
        cadence=assessment.cadence,
        not_tested=assessment.not_tested,
        age=patient.age_on(assessment.assessed_on),
        sex=patient.sex,
    )


@dataclass(frozen=True)
class Summary:
    """What the assessment page shows under the form: the computed results."""

    rom: list[scoring.RomResult]
    fms: scoring.FmsResult
    leg_length: scoring.LegLengthResult | None


def summary(assessment: Assessment, limits: dict | None = None) -> Summary:
    exam = exam_input(assessment)
    limits = limits or thresholds.for_clinic(assessment.episode.patient.clinic)
    rom = [
        scoring.rom_result(
            reading,
            norm=scoring.norm_for(reading.motion, age=exam.age, sex=exam.sex),
            asymmetry_threshold=limits["rom_asymmetry_deg"],
            mdc=limits["rom_mdc_deg"],
        )
        for reading in exam.rom
        if reading.left is not None or reading.right is not None
    ]
    fms = scoring.fms_result(exam.fms_raw, exam.fms_clearing, low_composite_cutoff=limits["fms_low_composite"])
    leg_length = None
    if exam.true_left is not None and exam.true_right is not None:
        leg_length = scoring.leg_length_result(
            exam.true_left,
            exam.true_right,
            exam.apparent_left,
            exam.apparent_right,
            normal_below_mm=limits["lld_normal_below_mm"],
            significant_from_mm=limits["lld_significant_from_mm"],
        )
    return Summary(rom=rom, fms=fms, leg_length=leg_length)


# --- A completed assessment as recorded, read-only ---------------------------------------------------


@dataclass(frozen=True)
class RomRow:
    label: str
    left: int | None
    right: int | None
    left_painful: bool
    right_painful: bool
    result: scoring.RomResult | None  # None when neither side was measured
    position: str  # display label, "not recorded" when the reading kept none
    device: str  # display label


@dataclass(frozen=True)
class SpecialSide:
    result: str  # "Positive", "Negative" or "Not tested"
    details: tuple[str, ...]  # e.g. "SLR angle 45°", "reproduces leg symptoms"


@dataclass(frozen=True)
class ExamRecord:
    """Everything recorded at a visit, in the screen's section order, for the read-only page."""

    not_tested: tuple[tuple[str, str, str], ...]  # (section code, label, reason) in the screen's order
    rom: tuple[RomRow, ...]
    fms: tuple[tuple[scoring.FmsTestResult, str | None], ...]  # each test with its clearing test's label
    special_tests: tuple[tuple[str, tuple[SpecialSide, SpecialSide]], ...]  # (label, (left, right))
    running_faults: tuple[str, ...]  # labels of the faults ticked
    outcomes: tuple  # (instrument, the visit's OutcomeScore, [(item label, answer)]) per questionnaire given

    @property
    def reasons(self) -> dict[str, str]:
        """{section code: reason} of the sections not tested."""
        return {code: reason for code, _, reason in self.not_tested}

    @property
    def nothing_recorded(self) -> bool:
        return len(self.not_tested) == len(sections.SECTIONS)


def _tight_detail(tight: frozenset[str]) -> str:
    labels = [label for structure, label in findings.THOMAS_STRUCTURE_LABELS.items() if structure in tight]
    if not labels:
        return "tight structure not recorded"
    if len(labels) == 1:
        return f"tight structure: {labels[0]}"
    return f"tight structures: {', '.join(labels[:-1])} and {labels[-1]}"


def _special_side(test: str, row) -> SpecialSide:
    if row is None:
        return SpecialSide(SpecialTestResult.NOT_TESTED.label, ())
    details = []
    if test == "thomas" and row.result == SpecialTestResult.POSITIVE:
        details.append(_tight_detail(tight_structures(row)))
    if row.angle is not None:
        details.append(f"angle {row.angle}°")
    if test == "slr" and row.result == SpecialTestResult.POSITIVE:
        details.append("reproduces leg symptoms" if row.reproduces_leg_symptoms else "no leg symptoms")
    if row.pain_location:
        details.append(f"pain: {findings.FABER_PAIN_LOCATION_LABELS.get(row.pain_location, row.pain_location)}")
    return SpecialSide(SpecialTestResult(row.result).label, tuple(details))


def exam_record(assessment: Assessment, summary: Summary) -> ExamRecord:
    rom_results = {result.motion: result for result in summary.rom}
    rom_rows = {row.motion: row for row in assessment.rom.all()}
    rom = []
    for motion in scoring.MOTIONS:
        row = rom_rows.get(motion)
        rom.append(
            RomRow(
                label=scoring.MOTION_LABELS[motion],
                left=row.left if row else None,
                right=row.right if row else None,
                left_painful=bool(row and row.left_painful),
                right_painful=bool(row and row.right_painful),
                result=rom_results.get(motion),
                position=row.get_position_display() if row and row.position else "not recorded",
                device=row.get_device_display() if row else "",
            )
        )
    fms = tuple(
        (result, scoring.FMS_CLEARING_LABELS.get(scoring.FMS_TESTS_BY_CODE[result.code].clearing))
        for result in summary.fms.tests
    )
    special_rows = {(row.test, row.side): row for row in assessment.special_tests.all()}
    special = tuple(
        (label, tuple(_special_side(test, special_rows.get((test, side))) for side in scoring.SIDES))
        for test, label in findings.SPECIAL_TESTS
    )
    faults = tuple(label for name, (_, label) in findings.RUNNING_FORM.items() if getattr(assessment, name))
    instruments = {instrument.code: instrument for instrument in OUTCOME_INSTRUMENTS}
    outcomes = tuple(
        (
            instruments[score.instrument],
            score,
            [
                (item_label(score.instrument, item.code), score.answers.get(item.code))
                for item in instruments[score.instrument].items
            ],
        )
        for score in assessment.outcome_scores.all()
        if score.instrument in instruments
    )
    return ExamRecord(
        not_tested=tuple(
            (code, sections.SECTION_LABELS[code], reason) for code, reason in assessment.not_tested.items()
        ),
        rom=tuple(rom),
        fms=fms,
        special_tests=special,
        running_faults=faults,
        outcomes=outcomes,
    )


# --- Progress against the baseline ---------------------------------------------------------------


def _rom_method(assessment: Assessment, row) -> progress.RomMethod:
    return progress.RomMethod(position=row.position, device=row.device, mode=assessment.rom_mode)


def _lld(assessment: Assessment, limits) -> int | None:
    if assessment.true_left_mm is None or assessment.true_right_mm is None:
        return None
    return scoring.leg_length_result(
        assessment.true_left_mm,
        assessment.true_right_mm,
        assessment.apparent_left_mm,
        assessment.apparent_right_mm,
        normal_below_mm=limits["lld_normal_below_mm"],
        significant_from_mm=limits["lld_significant_from_mm"],
    ).discrepancy_mm


def _day_text(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _outcomes(episode: EpisodeOfCare, assessments: list[Assessment]) -> list[progress.Reading]:
    """Every scored outcome in the episode, in ``progress.in_day_order``."""
    points = []
    intake = getattr(episode, "intake", None)  # no intake: the reverse accessor raises AttributeError
    if intake is not None and intake.submitted_at:
        day = timezone.localdate(intake.submitted_at)
        source = f"Intake, {_day_text(day)}"
        for score in intake.scores.filter(scored=True):
            points.append(
                progress.Reading(score.instrument, day, source, score.value, at_visit=False, detail=score.detail)
            )
    prefetch_related_objects(assessments, "outcome_scores")
    for assessment in assessments:
        source = f"{assessment.get_kind_display()}, {_day_text(assessment.assessed_on)}"
        if assessment.pain_today is not None:
            points.append(
                progress.Reading("nprs", assessment.assessed_on, source, Decimal(assessment.pain_today), at_visit=True)
            )
        for score in assessment.outcome_scores.all():
            if score.scored:
                day = assessment.assessed_on
                points.append(
                    progress.Reading(score.instrument, day, source, score.value, at_visit=True, detail=score.detail)
                )
    return progress.in_day_order(points)


@dataclass(frozen=True)
class ProgressRecords:
    """What the progress page reads, loaded once for the comparisons and the charts."""

    assessments: list[Assessment]  # completed, in visit order, with their measurements
    outcomes: list[progress.Reading]
    limits: dict


def progress_records(episode: EpisodeOfCare) -> ProgressRecords:
    assessments = completed(episode)
    return ProgressRecords(assessments, _outcomes(episode, assessments), thresholds.for_clinic(episode.patient.clinic))


def comparisons(
    episode: EpisodeOfCare, records: ProgressRecords | None = None
) -> tuple[Assessment | None, Assessment | None, list[progress.Comparison]]:
    """The latest completed assessment compared with the baseline, with the clinic's MCIDs/MDCs."""
    records = records or progress_records(episode)
    series = records.assessments
    first = next((assessment for assessment in series if assessment.kind == AssessmentKind.INITIAL), None)
    later = [assessment for assessment in series if assessment is not first]
    if first is None or not later:
        return first, None, []
    last = later[-1]
    limits = records.limits

    def not_tested(section: str) -> progress.NotTested:
        return progress.NotTested(baseline=section in first.not_tested, current=section in last.not_tested)

    rows: list[progress.Comparison] = []
    first_rom = {row.motion: row for row in first.rom.all()}
    for row in last.rom.all():
        before = first_rom.get(row.motion)
        for side in scoring.SIDES:
            rows.append(
                progress.compare_rom(
                    row.motion,
                    side,
                    getattr(before, side) if before else None,
                    getattr(row, side),
                    # With no baseline row the reading is missing, whatever the method given here.
                    baseline_method=_rom_method(first, before or row),
                    current_method=_rom_method(last, row),
                    mdc=limits["rom_mdc_deg"],
                    not_tested=not_tested("rom"),
                )
            )
    first_fms, last_fms = summary(first, limits).fms, summary(last, limits).fms
    rows.append(
        progress.compare_fms_total(
            first_fms.composite, last_fms.composite, mdc=limits["fms_total_mdc"], not_tested=not_tested("fms")
        )
    )
    before_tests = first_fms.by_code
    for test in last_fms.tests:
        rows.append(
            progress.compare_fms_test(
                test.code, before_tests[test.code].final, test.final, not_tested=not_tested("fms")
            )
        )
    rows.append(
        progress.compare_leg_length(
            _lld(first, limits),
            _lld(last, limits),
            tolerance_mm=limits["lld_normal_below_mm"],
            not_tested=not_tested("leg_length"),
        )
    )
    for instrument in ("nprs", "odi", "lefs"):
        readings = [reading for reading in records.outcomes if reading.instrument == instrument]
        if len(readings) >= 2:
            before, now = readings[0], readings[-1]
            row = progress.compare_outcome(instrument, before.value, now.value, **thresholds.mcid(limits))
            # The readings need not be the two visits compared above (an intake can be older or newer).
            rows.append(replace(row, rule=f"{row.rule}; {before.source} to {now.source}"))
    return first, last, rows


def chart_series(episode: EpisodeOfCare, records: ProgressRecords | None = None) -> dict:
    """Data for the progress charts: ROM per motion and side, outcomes, and FMS profiles.

    A ROM line holds only the readings taken like the latest one (``progress.comparable_with_latest``);
    ``rom_left_out`` lists (motion label, number of visits) left out for being measured another way.
    """
    records = records or progress_records(episode)
    series = records.assessments
    readings: dict[str, dict[str, list[tuple[object, int, progress.RomMethod]]]] = {}
    for assessment in series:
        for row in assessment.rom.all():
            for side in scoring.SIDES:
                value = getattr(row, side)
                if value is not None:
                    readings.setdefault(row.motion, {}).setdefault(side, []).append(
                        (assessment.assessed_on, value, _rom_method(assessment, row))
                    )
    rom: dict[str, dict[str, list[tuple[object, int]]]] = {}
    left_out: dict[str, int] = {}
    for motion, sides in readings.items():
        for side, points in sides.items():
            rom.setdefault(motion, {})[side], count = progress.comparable_with_latest(points)
            left_out[motion] = max(left_out.get(motion, 0), count)
    rom_left_out = [
        (scoring.MOTION_LABELS[motion], left_out[motion]) for motion in scoring.MOTIONS if left_out.get(motion)
    ]
    outcomes: dict[str, list[tuple[object, Decimal]]] = {}
    for reading in records.outcomes:
        outcomes.setdefault(reading.instrument, []).append((reading.day, reading.value))
    limits = records.limits
    fms = [(assessment.assessed_on, summary(assessment, limits).fms) for assessment in series]
    return {"rom": rom, "rom_left_out": rom_left_out, "outcomes": outcomes, "fms": fms}


def intakes_to_review(*, user: User) -> QuerySet[Intake]:
    """Submitted intakes waiting for their lead clinician, newest first.

    An intake has no "reviewed" mark of its own: the clinician has looked at it once they have
    written a review note on it or started an assessment of the episode. Until then it waits
    here, red flag or not, for as long as the episode is open.
    """
    if not permissions.can_view_clinical_records(user):
        return Intake.objects.none()
    return (
        Intake.objects.filter(
            episode__in=permissions.scoped_episodes(user).filter(lead_clinician=user, status=EpisodeStatus.OPEN),
            status=IntakeStatus.SUBMITTED,
        )
        .exclude(Exists(ReviewNote.objects.filter(intake=OuterRef("pk"))))
        .exclude(Exists(Assessment.objects.filter(episode=OuterRef("episode_id"))))
        .select_related("episode__patient")
        .order_by("-submitted_at", "-id")
    )
