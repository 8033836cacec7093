"""Reads of the visit notes' re-measures and their trend across visits, each compared with the
episode's baseline: a fixed number of queries whatever the number of notes and measures."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import prefetch_related_objects
from django.utils import timezone

from assessments import charts, progress, scoring
from assessments import selectors as assessment_selectors
from clinic import thresholds
from clinic.models import EpisodeOfCare
from notes import measures
from notes.models import VisitNote


@dataclass(frozen=True)
class MeasureRow:
    pk: int
    label: str  # e.g. "Hip flexion left"
    shown: str  # e.g. "118°", "Negative"
    method: str  # how a hip motion was taken, e.g. "supine, goniometer, passive"; "" otherwise
    comparison: measures.MeasureComparison


@dataclass(frozen=True)
class PartRow:
    pk: int
    segment: str  # label, e.g. "L4"
    exam: measures.PartExam
    supports_subluxation: bool
    comparison: measures.MeasureComparison


@dataclass(frozen=True)
class NoteObjective:
    """A note with its re-measures and PART findings, each compared."""

    note: VisitNote
    day: datetime.date  # the visit's day in the clinic's time zone
    measures: tuple[MeasureRow, ...]
    part: tuple[PartRow, ...]


def episode_notes(episode: EpisodeOfCare) -> list[VisitNote]:
    """The episode's notes in visit order, with their visit, author, re-measures and PART rows."""
    return list(
        VisitNote.objects.filter(appointment__episode=episode)
        .select_related("appointment", "author")
        .prefetch_related("measures", "part_findings")
        .order_by("appointment__starts_at", "pk")
    )


def baseline_of(episode: EpisodeOfCare) -> measures.Baseline:
    """The completed initial evaluation's values (the progress page's baseline); none without one."""
    initial = assessment_selectors.baseline(episode)
    if initial is None:
        return measures.NO_BASELINE
    prefetch_related_objects([initial], "rom", "special_tests")
    rom = {}
    for row in initial.rom.all():
        method = progress.RomMethod(position=row.position, device=row.device, mode=initial.rom_mode)
        for side in scoring.SIDES:
            if getattr(row, side) is not None:
                rom[(row.motion, side)] = (getattr(row, side), method)
    return measures.Baseline(
        rom=rom,
        slr={row.side: row.angle for row in initial.special_tests.all() if row.test == "slr" and row.angle is not None},
        special_tests={(row.test, row.side): row.result for row in initial.special_tests.all()},
        not_tested=frozenset(initial.not_tested),
    )


def _method_text(row) -> str:
    if row.kind != measures.ROM:
        return ""
    return ", ".join(
        (
            scoring.ROM_POSITIONS[row.position].lower(),
            scoring.ROM_DEVICES[row.device].lower(),
            scoring.ROM_MODES[row.mode].lower(),
        )
    )


def _measure_row(row, value: measures.Remeasure, baseline: measures.Baseline, mdc) -> MeasureRow:
    return MeasureRow(
        pk=row.pk,
        label=value.label,
        shown=value.shown,
        method=_method_text(row),
        comparison=measures.compare(value, baseline, rom_mdc=mdc),
    )


def objectives(episode: EpisodeOfCare, notes: list[VisitNote] | None = None) -> list[NoteObjective]:
    """Every note of the episode (``episode_notes``) with its re-measures compared with the
    baseline, using the clinic's ROM MDC, and its PART rows compared with the first exam of the
    segment in an earlier note."""
    notes = episode_notes(episode) if notes is None else notes
    if not notes:
        return []
    # The baseline and the clinic's MDC are read only when there is a re-measure to compare.
    baseline, mdc = measures.NO_BASELINE, None
    if any(note.measures.all() for note in notes):
        baseline = baseline_of(episode)
        mdc = thresholds.for_clinic(episode.patient.clinic)["rom_mdc_deg"]
    zone = episode.patient.clinic.zone
    first_part: dict[str, measures.PartExam] = {}
    result = []
    for note in notes:
        rows = tuple(_measure_row(row, row.value, baseline, mdc) for row in note.measures.all())
        part = tuple(
            PartRow(
                pk=row.pk,
                segment=row.get_segment_display(),
                exam=row.exam,
                supports_subluxation=measures.part_supports_subluxation(row.exam),
                comparison=measures.compare_part(first_part.get(row.segment), row.exam),
            )
            for row in note.part_findings.all()
        )
        for row in note.part_findings.all():
            first_part.setdefault(row.segment, row.exam)
        day = timezone.localtime(note.appointment.starts_at, zone).date()
        result.append(NoteObjective(note=note, day=day, measures=rows, part=part))
    return result


def pain_chart(rows: list[NoteObjective]) -> str:
    """The pain the patient reported at each visit (NPRS, 0-10), drawn as the progress page draws
    its charts; empty when no note has a rating."""
    points = [(row.day, row.note.pain_now) for row in rows if row.note.pain_now is not None]
    if not points:
        return ""
    return charts.line_chart("Pain now at each visit (0–10, lower is better)", "pain (0–10)", points, y_range=(0, 10))
