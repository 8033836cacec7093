"""Writes of visit notes: open (pre-filled), save, sign, add an addendum. Each checks the role
and the clinic, runs in one transaction and writes its audit row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import audit, permissions
from clinic.models import ClinicianProfile, User
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.webhooks import services as webhooks
from clinic.webhooks.rules import EventType
from notes import rules, selectors
from notes.models import NOTE_FIELDS, NoteAddendum, NoteItem, VisitNote

SIGNED_NOTE = "This note is signed and cannot be changed; add an addendum instead."
NOT_YOURS = "Only the note's author can change or sign it; add an addendum once it is signed."
LINE_FIELDS = tuple(name for name in rules.LineDraft.__dataclass_fields__ if name not in ("prong", "name", "from_plan"))


class Action(StrEnum):
    CREATED = "visit_note.created"
    SAVED = "visit_note.saved"
    SIGNED = "visit_note.signed"
    ADDENDUM_ADDED = "visit_note.addendum_added"


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


def note_save(
    *,
    actor: User,
    note: VisitNote,
    values: Mapping[str, object],
    lines: Sequence[tuple[NoteItem | None, rules.LineDraft]],
) -> VisitNote:
    """Save the note's sections and its lines (``None``: a line added at the visit); refused
    once the note is signed."""
    with transaction.atomic():
        _lock_for_change(actor, note)
        for name in NOTE_FIELDS:
            if name in values:
                setattr(note, name, values[name])
        note.full_clean(exclude=["appointment", "author", "plan_version", "signed_by"])
        note.save()
        order = note.items.count()
        for item, line in lines:
            if item is None:
                item = NoteItem(note=note, order=order, prong=line.prong, name=line.name)
                order += 1
            elif item.note_id != note.pk:
                raise PermissionDenied
            for name in LINE_FIELDS:
                setattr(item, name, getattr(line, name))
            item.full_clean(exclude=["note"])
            item.save()
        audit.record(actor=actor, action=Action.SAVED, obj=note, patient=note.appointment.episode.patient)
    return note


def _content(note: VisitNote, credentials: str) -> rules.NoteContent:
    return rules.NoteContent(
        lines=tuple(selectors.line_of(item) for item in note.items.all()),
        total_minutes=note.total_minutes,
        timed_minutes=note.timed_minutes,
        response=note.response,
        next_visit=note.next_visit,
        signer_credentials=credentials,
    )


def note_sign(*, actor: User, note: VisitNote) -> VisitNote:
    """Sign the note as it is saved: refused, with every missing element named, until it has
    what a visit note must; read-only afterwards."""
    with transaction.atomic():
        locked = _lock_for_change(actor, note)
        credentials = ClinicianProfile.objects.filter(user=actor).values_list("credentials", flat=True).first() or ""
        problems = rules.sign_problems(_content(locked, credentials))
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
