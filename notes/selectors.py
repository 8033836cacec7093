"""Reads of visit notes, with their rows fetched in a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, CharField, Prefetch, QuerySet, Value, When
from django.utils import timezone

from clinic import permissions, thresholds
from clinic.models import User
from clinic.portal.models import HomeProgramCheckIn
from clinic.scheduling.models import Appointment
from notes import rules
from notes.models import NoteAddendum, NoteItem, VisitNote
from plans.models import PlanVersion

# The dashboard lists this many notes to finish; the count says how many there are in all.
DASHBOARD_NOTES = 10


def line_of(item: NoteItem) -> rules.LineDraft:
    return rules.LineDraft(
        prong=item.prong,
        name=item.name,
        status=item.status,
        not_done_reason=item.not_done_reason,
        region=item.region,
        technique=item.technique,
        minutes=item.minutes,
        sets=item.sets,
        reps=item.reps,
        load=item.load,
        progression=item.progression,
        from_plan=item.from_plan,
    )


@dataclass(frozen=True)
class NoteStart:
    """What a new note is pre-filled from."""

    version: PlanVersion | None
    lines: list[rules.LineDraft]
    portal: rules.PortalSummary


def _current_version(appointment: Appointment) -> PlanVersion | None:
    """The episode's latest signed plan as it stood at the visit."""
    return (
        PlanVersion.objects.filter(plan__episode_id=appointment.episode_id, signed_at__lte=appointment.starts_at)
        .order_by("-signed_at", "-pk")
        .first()
    )


def last_note(appointment: Appointment) -> VisitNote | None:
    """The note of the episode's visit before this one."""
    return (
        VisitNote.objects.filter(
            appointment__episode_id=appointment.episode_id, appointment__starts_at__lt=appointment.starts_at
        )
        .select_related("appointment")
        .prefetch_related("items")
        .order_by("-appointment__starts_at", "-pk")
        .first()
    )


def note_start(appointment: Appointment) -> NoteStart:
    zone = appointment.episode.patient.clinic.zone
    version = _current_version(appointment)
    before = last_note(appointment)
    planned = []
    if version is not None:
        planned = [
            rules.PlannedItem(prong=item.prong.value, name=item.name, sets=item.sets, reps=item.reps)
            for item in version.signed.items
        ]
    lines = rules.prefill_lines(planned, [line_of(item) for item in before.items.all()] if before else [])
    until = timezone.localtime(appointment.starts_at, zone).date()
    if before is not None:
        since = timezone.localtime(before.appointment.starts_at, zone).date() + datetime.timedelta(days=1)
    elif version is not None:
        since = version.signed.first_day(zone)
    else:
        since = until
    logs = []
    if version is not None:
        logs = [
            rules.DayLog(day=row.day, done=len(row.done_items or ()), pain=row.pain)
            for row in HomeProgramCheckIn.objects.filter(
                version__plan__episode_id=appointment.episode_id, day__gte=since, day__lte=until
            )
        ]
    return NoteStart(version=version, lines=lines, portal=rules.portal_summary(logs, since, until))


def note_for_page(appointment: Appointment) -> VisitNote | None:
    """The visit's note with its lines, addenda and their authors: the same number of queries
    whatever the number of lines and addenda."""
    return (
        VisitNote.objects.filter(appointment=appointment)
        .select_related("author", "signed_by")
        .prefetch_related("items", Prefetch("addenda", queryset=NoteAddendum.objects.select_related("author")))
        .first()
    )


def note_state(appointment: Appointment) -> str:
    """ "signed", "draft" or "" (no note): all the front desk may know of a visit's note."""
    found = list(VisitNote.objects.filter(appointment=appointment).values_list("signed_at", flat=True)[:1])
    if not found:
        return ""
    return "signed" if found[0] is not None else "draft"


def unsigned_limit_hours(clinic) -> float:
    return float(thresholds.for_clinic(clinic)["note_unsigned_hours"])


def notes_to_finish(*, user: User, limit_hours: float, now: datetime.datetime | None = None) -> QuerySet[VisitNote]:
    """The user's own unsigned notes written more than the clinic's limit ago, oldest first."""
    boundary = rules.unsigned_before(now or timezone.now(), limit_hours)
    return (
        permissions.scoped(user, VisitNote)
        .filter(author=user, signed_at__isnull=True, created_at__lt=boundary)
        .select_related("appointment__episode__patient")
        .order_by("created_at", "pk")
    )


# What the API's note-state route answers for a visit, the front desk's whole view of its note.
NOTE_STATES = ("signed", "draft", "none")


def visits_with_note_state(user: User) -> QuerySet[Appointment]:
    """The visits the user may see on the schedule, each annotated with ``note_state`` (one of
    ``NOTE_STATES``) by the database: one query for a page of visits, and no note content read."""
    return (
        permissions.scoped(user, Appointment)
        .select_related("episode__patient")
        .annotate(
            note_state=Case(
                When(note__signed_at__isnull=False, then=Value("signed")),
                When(note__isnull=False, then=Value("draft")),
                default=Value("none"),
                output_field=CharField(),
            )
        )
    )


def notes_for_api(user: User) -> QuerySet[VisitNote]:
    """The notes the user may read, each with its visit, lines and addenda: the same number of
    queries for a page of notes whatever their lines and addenda."""
    return (
        permissions.scoped(user, VisitNote)
        .select_related("appointment__episode__patient", "author", "signed_by", "plan_version")
        .prefetch_related("items", Prefetch("addenda", queryset=NoteAddendum.objects.select_related("author")))
    )
