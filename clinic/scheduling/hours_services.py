"""Writes of clinicians' working hours, changes of hours on given dates and time off.

Each service checks the clinic admin's role and clinic, validates (the overlap rules come from
``rules.clashing_windows``; PostgreSQL refuses overlaps too, migration 0021), writes in one
transaction with the clinician's row locked (two admins saving at once cannot both pass the
check) and appends an audit row. Time off and a change of hours answer how many booked visits
they leave outside the clinician's time, so the page can ask the front desk to move them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import audit, permissions, plausible_dates, text_input
from clinic.models import User
from clinic.scheduling import rules
from clinic.scheduling import selectors as schedule
from clinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
    HoursException,
    TimeOff,
    WorkingHours,
    overlap_message,
)

# Visits still to happen or happening: a cancelled or finished visit needs no move.
_OPEN = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


@dataclass(frozen=True)
class Window:
    """One weekly working window as the form gives it."""

    weekday: int
    start: datetime.time
    end: datetime.time


def _require_editor(actor: User, clinician: User) -> None:
    if not permissions.can_edit_working_hours(actor) or actor.clinic_id != clinician.clinic_id:
        raise PermissionDenied


def _locked(clinician: User) -> None:
    User.objects.select_for_update().filter(pk=clinician.pk).first()


def _hm(moment: datetime.time) -> str:
    return f"{moment:%H:%M}"


def weekly_hours_replace(*, actor: User, clinician: User, windows: Sequence[Window]) -> list[WorkingHours]:
    """Make ``windows`` the clinician's whole week (an empty list: no weekly hours kept)."""
    _require_editor(actor, clinician)
    by_day: dict[int, list[Window]] = defaultdict(list)
    for window in windows:
        if window.end <= window.start:
            raise ValidationError(f"{_hm(window.start)}–{_hm(window.end)}: the end must be after the start.")
        by_day[window.weekday].append(window)
    for day_windows in by_day.values():
        if clashes := rules.clashing_windows([(window.start, window.end) for window in day_windows]):
            first = day_windows[clashes[0][0]]
            raise ValidationError(overlap_message(first.start, first.end))
    rows = [WorkingHours(clinician=clinician, weekday=w.weekday, start=w.start, end=w.end) for w in windows]
    with transaction.atomic():
        _locked(clinician)
        before = sorted((row.weekday, row.start, row.end) for row in clinician.working_hours.all())
        clinician.working_hours.all().delete()
        for row in rows:
            # After the old week is gone: each row is checked against the database's (now none).
            row.full_clean(exclude=["clinician"])
        WorkingHours.objects.bulk_create(rows)
        if before != sorted((row.weekday, row.start, row.end) for row in rows):
            audit.record(actor=actor, action="working_hours.changed", obj=clinician, changed_fields=["working_hours"])
    return rows


def visits_outside_hours(clinician: User, day: datetime.date) -> int:
    """How many open visits of ``day`` the clinician's hours (with that date's changes) no longer hold."""
    zone = clinician.clinic.zone
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    visits = Appointment.objects.filter(
        clinician=clinician, status__in=_OPEN, starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1)
    )
    # Read afresh: the clinician's relations may hold rows prefetched before the change.
    weekly = WorkingHours.objects.filter(clinician=clinician, weekday=day.weekday())
    changes = HoursException.objects.filter(clinician=clinician, day=day)
    hours = [rules.WorkingHours(row.weekday, row.start, row.end) for row in weekly]
    hours += [schedule.hours_change(row) for row in changes]
    return sum(1 for visit in visits if not rules.is_within_working_hours(visit.starts_at, visit.ends_at, hours, zone))


def hours_exception_add(
    *,
    actor: User,
    clinician: User,
    day: datetime.date,
    start: datetime.time | None,
    end: datetime.time | None,
    note: str = "",
) -> tuple[HoursException, int]:
    """Add a window for one date (``start`` and ``end``) or make the date a day off (neither);
    answer the row and how many booked visits that day now fall outside the clinician's hours."""
    _require_editor(actor, clinician)
    text_input.refuse_in(note, field="note")
    if problem := plausible_dates.problem(day, timezone.localdate(timezone.now(), clinician.clinic.zone)):
        raise ValidationError({"day": problem})
    row = HoursException(clinician=clinician, day=day, start=start, end=end, note=note.strip())
    with transaction.atomic():
        _locked(clinician)
        # The model's clean compares with the date's other changes, now that no one else can add one.
        row.full_clean()
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError as error:
            raise ValidationError({"day": "This day was changed at the same time. Reload the page."}) from error
        audit.record(actor=actor, action="hours_exception.added", obj=row)
    return row, visits_outside_hours(clinician, day)


def hours_exception_delete(*, actor: User, row: HoursException) -> None:
    _require_editor(actor, row.clinician)
    with transaction.atomic():
        audit.record(actor=actor, action="hours_exception.removed", obj=row)
        row.delete()


def visits_in_time_off(row: TimeOff) -> int:
    return Appointment.objects.filter(
        clinician_id=row.clinician_id, status__in=_OPEN, starts_at__lt=row.ends_at, ends_at__gt=row.starts_at
    ).count()


def time_off_save(
    *,
    actor: User,
    clinician: User,
    row: TimeOff | None,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    reason: str = "",
) -> tuple[TimeOff, int]:
    """Add (``row`` None) or change time off; answer the row and how many booked visits fall in
    it: a warning for the front desk, who move them, not a refusal."""
    _require_editor(actor, clinician)
    text_input.refuse_in(reason, field="reason")
    if row is not None and row.clinician_id != clinician.pk:
        raise PermissionDenied
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "The end must be after the start."})
    adding = row is None
    row = row or TimeOff(clinician=clinician)
    before = (row.starts_at, row.ends_at, row.reason)
    row.starts_at, row.ends_at, row.reason = starts_at, ends_at, reason.strip()
    with transaction.atomic():
        _locked(clinician)
        # The model's clean refuses overlapping time off, now that no one else can add some.
        row.full_clean(exclude=["clinician"])
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError as error:
            raise ValidationError({"starts_at": "Time off was added at the same time. Reload the page."}) from error
        if adding:
            audit.record(actor=actor, action="time_off.added", obj=row)
        else:
            changed = [
                name
                for name, old in zip(("starts_at", "ends_at", "reason"), before, strict=True)
                if getattr(row, name) != old
            ]
            audit.record(actor=actor, action="time_off.changed", obj=row, changed_fields=changed)
    return row, visits_in_time_off(row)


def time_off_delete(*, actor: User, row: TimeOff) -> None:
    _require_editor(actor, row.clinician)
    with transaction.atomic():
        audit.record(actor=actor, action="time_off.removed", obj=row)
        row.delete()
