"""Writes of visit notes: open (pre-filled), save, sign, add an addendum. Each checks the role
and the clinic, runs in one transaction and writes its audit row."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.models import Assessment
from clinic import audit, permissions
from clinic.models import ClinicianProfile, EpisodeOfCare, User
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.webhooks import services as webhooks
from clinic.webhooks.rules import EventType
from intake import services as intake_services
from notes import measures, progression, rules, safety, selectors
from notes.models import (
    FUTURE_CERTIFICATION,
    NOTE_FIELDS,
    NoteAddendum,
    NoteItem,
    NoteMeasure,
    NotePartFinding,
    NotePlanDraft,
    PlanCertification,
    ProgressReport,
    VisitNote,
)
from plans import services as plan_services
from plans.models import Intervention, PlanStatus, Prong, TreatmentPlan

SIGNED_NOTE = "This note is signed and cannot be changed; add an addendum instead."
NOT_YOURS = "Only the note's author can change or sign it; add an addendum once it is signed."
# What a line's form may change; which intervention it is stays as the line was made.
_FIXED = ("prong", "name", "from_plan", "intervention_key")
LINE_FIELDS = tuple(name for name in rules.LineDraft.__dataclass_fields__ if name not in _FIXED)


class Action(StrEnum):
    CREATED = "visit_note.created"
    SAVED = "visit_note.saved"
    SIGNED = "visit_note.signed"
    ADDENDUM_ADDED = "visit_note.addendum_added"
    PLAN_DRAFTED = "visit_note.plan_drafted"
    PROGRESS_REPORT_RECORDED = "progress_report.recorded"
    PLAN_CERTIFICATION_RECORDED = "plan_certification.recorded"


def _require_clinician(actor: User, appointment: Appointment) -> None:
    if not permissions.can_change_clinical(actor, appointment.episode.patient):
        raise PermissionDenied


def note_open(*, actor: User, appointment: Appointment) -> VisitNote:
    """The visit's note, created and pre-filled on first open (the signed plan's items, the last
    note's details, the portal log since the last visit)."""
    _require_clinician(actor, appointment)
    existing = VisitNote.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    if appointment.status == AppointmentStatus.CANCELLED:
        raise ValidationError("A cancelled visit has no note.")
    start = selectors.note_start(appointment)
    try:
        with transaction.atomic():
            note = VisitNote.objects.create(
                appointment=appointment,
                author=actor,
                plan_version=start.version,
                adherence=start.portal.text,
            )
            NoteItem.objects.bulk_create(
                NoteItem(note=note, order=order, **asdict(line)) for order, line in enumerate(start.lines)
            )
            audit.record(actor=actor, action=Action.CREATED, obj=note, patient=appointment.episode.patient)
    except IntegrityError:
        # Opened twice at once (two tabs): the first one's note is the note.
        return VisitNote.objects.get(appointment=appointment)
    return note


def _lock_for_change(actor: User, note: VisitNote) -> VisitNote:
    _require_clinician(actor, note.appointment)
    locked = VisitNote.objects.select_for_update().get(pk=note.pk)
    if locked.signed_at is not None:
        raise ValidationError(SIGNED_NOTE)
    if locked.author_id != actor.pk:
        raise ValidationError(NOT_YOURS)
    return locked


class RefusedLines(ValidationError):
    """Lines marked delivered that a contraindication refuses: ``refusals`` maps each one's position
    in the lines given to ``note_save`` to its messages."""

    def __init__(self, refusals: Mapping[int, Sequence[str]]):
        self.refusals = dict(refusals)
        super().__init__([message for messages in self.refusals.values() for message in messages])


def _raise_red_flags(actor: User, note: VisitNote) -> None:
    """Raise on the episode, as the intake does, the red flags of the new symptoms the note records.
    Unticking a symptom later clears nothing: a flag is cleared by a clinician's recorded clearance."""
    episode = note.appointment.episode
    flags = safety.raised_flags(note.red_flag_symptoms)
    if flags:
        intake_services.red_flags_raise(episode=episode, flags=flags, actor=actor)


def _check_added(note: VisitNote, lines: Sequence[tuple[NoteItem | None, rules.LineDraft]]) -> None:
    """A line added at the visit names an intervention of the clinic's own active library, or none."""
    keys = {line.intervention_key for item, line in lines if item is None and line.intervention_key}
    clinic = note.appointment.episode.patient.clinic
    if keys and len(keys) != Intervention.objects.filter(clinic=clinic, active=True, key__in=keys).count():
        raise ValidationError("Choose the added intervention from your clinic's library, or name it.")


def note_save(
    *,
    actor: User,
    note: VisitNote,
    values: Mapping[str, object],
    lines: Sequence[tuple[NoteItem | None, rules.LineDraft]],
) -> VisitNote:
    """Save the note's sections and its lines (``None``: a line added at the visit); refused
    once the note is signed.

    The new symptoms raise their red flags first. Then, if a contraindication of the episode (an
    open red flag, a finding) refuses a line marked delivered, the lines are not saved and
    ``RefusedLines`` says why, beside each; the sections and the flags are kept, as a red flag is
    raised the moment it is recorded."""
    _check_added(note, lines)
    with transaction.atomic():
        _lock_for_change(actor, note)
        for name in NOTE_FIELDS:
            if name in values:
                setattr(note, name, values[name])
        note.full_clean(exclude=["appointment", "author", "plan_version", "signed_by"])
        note.save()
        _raise_red_flags(actor, note)
        screen = selectors.safety_screen(note, [line for _, line in lines])
        refused = {position: screen.hard(position) for position in range(len(lines)) if screen.hard(position)}
        if not refused:
            _save_lines(note, lines)
        audit.record(actor=actor, action=Action.SAVED, obj=note, patient=note.appointment.episode.patient)
    if refused:
        raise RefusedLines(refused)
    return note


def _save_lines(note: VisitNote, lines: Sequence[tuple[NoteItem | None, rules.LineDraft]]) -> None:
    order = note.items.count()
    for item, line in lines:
        if item is None:
            item = NoteItem(
                note=note, order=order, prong=line.prong, name=line.name, intervention_key=line.intervention_key
            )
            order += 1
        elif item.note_id != note.pk:
            raise PermissionDenied
        for name in LINE_FIELDS:
            setattr(item, name, getattr(line, name))
        item.full_clean(exclude=["note"])
        item.save()


def _content(note: VisitNote, credentials: str, blocked: bool) -> rules.NoteContent:
    return rules.NoteContent(
        lines=tuple(selectors.line_of(item) for item in note.items.all()),
        total_minutes=note.total_minutes,
        timed_minutes=note.timed_minutes,
        response=note.response,
        next_visit=note.next_visit,
        signer_credentials=credentials,
        blocked=blocked,
    )


def note_sign(*, actor: User, note: VisitNote) -> VisitNote:
    """Sign the note as it is saved: refused, with every missing element named, until it has
    what a visit note must, and while a contraindication refuses a line marked delivered (the
    reason named); read-only afterwards."""
    with transaction.atomic():
        locked = _lock_for_change(actor, note)
        credentials = ClinicianProfile.objects.filter(user=actor).values_list("credentials", flat=True).first() or ""
        lines = [selectors.line_of(item) for item in locked.items.all()]
        screen = selectors.safety_screen(locked, lines)
        problems = rules.sign_problems(_content(locked, credentials, screen.blocked)) + safety.sign_problems(screen)
        if problems:
            raise ValidationError(problems)
        note.signed_at = timezone.now()
        note.signed_by = actor
        note.signed_credentials = credentials
        note.save(update_fields=["signed_at", "signed_by", "signed_credentials", "updated_at"])
        audit.record(actor=actor, action=Action.SIGNED, obj=note, patient=note.appointment.episode.patient)
        # Owed with the signature (rolled back with it); sent after the commit. Ids only, as
        # every event: the receiver reads the note through the API with its own credentials.
        webhooks.emit(
            EventType.VISIT_NOTE_SIGNED,
            clinic_id=note.appointment.episode.patient.clinic_id,
            data={"episode": note.appointment.episode_id, "appointment": note.appointment_id, "visit_note": note.pk},
        )
    return note


def addendum_add(*, actor: User, note: VisitNote, text: str) -> NoteAddendum:
    """A correction or late entry to a signed note, with its own author and time; the note
    itself stays as signed."""
    _require_clinician(actor, note.appointment)
    text = text.strip()
    if not VisitNote.objects.filter(pk=note.pk, signed_at__isnull=False).exists():
        raise ValidationError("Edit the note itself until it is signed; addenda follow a signature.")
    addendum = NoteAddendum(note=note, author=actor, text=text)
    addendum.full_clean(exclude=["note", "author"])
    with transaction.atomic():
        addendum.save()
        audit.record(actor=actor, action=Action.ADDENDUM_ADDED, obj=addendum, patient=note.appointment.episode.patient)
    return addendum


# --- Re-measures and PART findings (the note's Objective section) -------------------------------------


class MeasureAction(StrEnum):
    MEASURE_SAVED = "visit_note.measure_saved"
    MEASURE_REMOVED = "visit_note.measure_removed"
    PART_SAVED = "visit_note.part_saved"
    PART_REMOVED = "visit_note.part_removed"


def measure_save(*, actor: User, note: VisitNote, measure: measures.Remeasure) -> NoteMeasure:
    """Record a re-measure on the note; the same measure on the same side measured again replaces
    the earlier value. Only the author, only while the note is unsigned."""
    with transaction.atomic():
        _lock_for_change(actor, note)
        row = NoteMeasure.objects.filter(note=note, kind=measure.kind, code=measure.code, side=measure.side).first()
        row = row or NoteMeasure(note=note, kind=measure.kind, code=measure.code, side=measure.side)
        row.degrees = measure.degrees
        row.result = measure.result
        method = measure.method
        row.position, row.device, row.mode = (method.position, method.device, method.mode) if method else ("", "", "")
        row.full_clean(exclude=["note"])
        row.save()
        audit.record(actor=actor, action=MeasureAction.MEASURE_SAVED, obj=row, patient=note.appointment.episode.patient)
    return row


def measure_remove(*, actor: User, note: VisitNote, measure_id: int) -> None:
    """Take a re-measure off the unsigned note (a typing slip); refused for another note's."""
    with transaction.atomic():
        _lock_for_change(actor, note)
        row = NoteMeasure.objects.filter(note=note, pk=measure_id).first()
        if row is None:
            raise ValidationError("That re-measure is not on this note.")
        audit.record(
            actor=actor, action=MeasureAction.MEASURE_REMOVED, obj=row, patient=note.appointment.episode.patient
        )
        row.delete()


def part_save(*, actor: User, note: VisitNote, segment: str, exam: measures.PartExam) -> NotePartFinding:
    """Record the PART exam at one segment; the segment examined again replaces the earlier row."""
    with transaction.atomic():
        _lock_for_change(actor, note)
        row = NotePartFinding.objects.filter(note=note, segment=segment).first() or NotePartFinding(
            note=note, segment=segment
        )
        for name, _ in measures.PART_CRITERIA:
            setattr(row, name, getattr(exam, name))
        row.full_clean(exclude=["note"])
        row.save()
        audit.record(actor=actor, action=MeasureAction.PART_SAVED, obj=row, patient=note.appointment.episode.patient)
    return row


def part_remove(*, actor: User, note: VisitNote, part_id: int) -> None:
    with transaction.atomic():
        _lock_for_change(actor, note)
        row = NotePartFinding.objects.filter(note=note, pk=part_id).first()
        if row is None:
            raise ValidationError("That segment is not on this note.")
        audit.record(actor=actor, action=MeasureAction.PART_REMOVED, obj=row, patient=note.appointment.episode.patient)
        row.delete()


def _progression_error(exercise: str, error: ValidationError) -> ValidationError:
    """A refusal of the plans' editing (a contraindication, a dose too long), said for the note's page."""
    return ValidationError(f"{exercise}: {' '.join(error.messages)} Make this change on the plan's page.")


def note_plan_draft(*, actor: User, note: VisitNote) -> NotePlanDraft:
    """Draft a new version of the episode's plan with the home-program changes the note's progressions
    make (``notes.progression``): the plan's working copy, copied from its current signed version, with
    each progressed exercise's dose changed or the exercise replaced through the plans' own editing (so
    contraindications are checked as when the plan was drafted). Never signed here.

    Idempotent: a note drafts once; asked again, its draft is returned. Refused while the plan already
    has a draft awaiting signature (edited on its page or drafted from another note), and when nothing in
    the note changes the home program."""
    _require_clinician(actor, note.appointment)
    existing = NotePlanDraft.objects.filter(note=note).first()
    if existing is not None:
        return existing
    if note.plan_version_id is None:
        raise ValidationError("The episode had no signed plan when this note was started: there is no plan to change.")
    patient = note.appointment.episode.patient
    with transaction.atomic():
        plan = TreatmentPlan.objects.select_for_update().get(pk=note.plan_version.plan_id)
        existing = NotePlanDraft.objects.filter(note=note).first()
        if existing is not None:
            return existing
        current = plan.versions.order_by("-number").first()
        if plan.status == PlanStatus.DRAFT:
            raise ValidationError(
                f"The plan already has changes awaiting signature as version {current.number + 1}: "
                "sign or finish them on the plan's page first."
            )
        found = selectors.home_program_changes(note, current)
        if found.problems:
            raise ValidationError(list(found.problems))
        if not found.changes:
            raise ValidationError("Nothing in this note changes the home program.")
        items = {item.name: item for item in plan.items.filter(prong=Prong.EXERCISE)}
        exercises = Intervention.objects.filter(clinic_id=patient.clinic_id, prong=Prong.EXERCISE)
        library = {row.name: row for row in exercises}
        for change in found.changes:
            item = items[change.name]
            try:
                if change.kind == progression.REPLACE:
                    added = plan_services.item_add(actor=actor, plan=plan, intervention=library[change.replacement])
                    if change.sets is not None or change.reps:
                        plan_services.item_update(actor=actor, item=added, sets=change.sets, reps=change.reps)
                    plan_services.item_remove(actor=actor, item=item)
                else:
                    plan_services.item_update(actor=actor, item=item, sets=change.sets, reps=change.reps)
            except ValidationError as error:
                raise _progression_error(change.name, error) from error
        draft = NotePlanDraft.objects.create(
            note=note,
            plan=plan,
            from_version=current,
            number=current.number + 1,
            changes=[change.text for change in found.changes],
            created_by=actor,
        )
        audit.record(actor=actor, action=Action.PLAN_DRAFTED, obj=draft, patient=patient)
    return draft


REPORTS_OFF = "Your clinic does not track progress reports; a clinic admin turns them on in the clinic settings."
NOT_A_REASSESSMENT = "A progress report is recorded with a re-assessment, not with the episode's first assessment."


def progress_report_record(
    *, actor: User, assessment: Assessment, goal_progress: str, plans: str, goal_changes: str = ""
) -> ProgressReport:
    """Record a completed re-assessment (an assessment after the episode's first) as the episode's
    progress report, with the progress toward each goal, the plans and any changes to the goals; the count
    of treatment days toward the next report starts again after its day. Once per re-assessment."""
    patient = assessment.episode.patient
    if not permissions.can_change_clinical(actor, patient):
        raise PermissionDenied
    if not patient.clinic.progress_reports:
        raise ValidationError(REPORTS_OFF)
    if not assessment.is_completed:
        raise ValidationError("Complete the re-assessment before recording it as the progress report.")
    if not selectors.is_reassessment(assessment):
        raise ValidationError(NOT_A_REASSESSMENT)
    report = ProgressReport(
        episode=assessment.episode,
        assessment=assessment,
        reported_on=assessment.assessed_on,
        goal_progress=goal_progress.strip(),
        plans=plans.strip(),
        goal_changes=goal_changes.strip(),
        author=actor,
    )
    report.full_clean(exclude=["episode", "assessment", "author"], validate_unique=False)
    try:
        with transaction.atomic():
            report.save()
            audit.record(actor=actor, action=Action.PROGRESS_REPORT_RECORDED, obj=report, patient=patient)
    except IntegrityError:
        raise ValidationError("This re-assessment is already recorded as a progress report.") from None
    return report


def plan_certification_record(
    *, actor: User, episode: EpisodeOfCare, certified_on: datetime.date, certified_by: str
) -> PlanCertification:
    """Record that a physician or non-physician practitioner certified (or re-certified) the episode's plan of
    care on ``certified_on``: the certified period starts again on that day. Where the clinic tracks progress
    reports only (the same US Medicare Part B switch)."""
    patient = episode.patient
    if not permissions.can_change_clinical(actor, patient):
        raise PermissionDenied
    if not patient.clinic.progress_reports:
        raise ValidationError(REPORTS_OFF)
    if certified_on > timezone.localdate(timezone=patient.clinic.zone):
        raise ValidationError({"certified_on": FUTURE_CERTIFICATION})
    certification = PlanCertification(
        episode=episode, certified_on=certified_on, certified_by=certified_by.strip(), recorded_by=actor
    )
    certification.full_clean(exclude=["episode", "recorded_by"])
    with transaction.atomic():
        certification.save()
        audit.record(actor=actor, action=Action.PLAN_CERTIFICATION_RECORDED, obj=certification, patient=patient)
    return certification
