"""Appointments: the visits of an episode of care, each with one clinician, plus what the
front desk books against (appointment types, working hours, time off).

A clinician is never double-booked: on PostgreSQL an exclusion constraint over the time
range refuses the row (migration 0003); on SQLite the booking service checks inside an
IMMEDIATE transaction, which serialises writers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from clinic import plausible_dates
from clinic.models import Clinic, EpisodeOfCare, User, plausible_date_constraint


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


# Visits that happened: what "no visit for weeks" counts from (``EpisodeOfCare.last_attended_at``).
ATTENDED_STATUSES = (AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


class AppointmentKind(models.TextChoices):
    INITIAL = "initial", "Initial evaluation"
    FOLLOW_UP = "follow_up", "Follow-up treatment"
    REASSESSMENT = "reassessment", "Re-assessment"


class AppointmentType(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="appointment_types")
    kind = models.CharField(max_length=12, choices=AppointmentKind.choices)
    name = models.CharField(max_length=80)
    minutes = models.PositiveSmallIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "kind"], name="one_type_per_kind"),
            models.CheckConstraint(condition=Q(minutes__gte=5, minutes__lte=240), name="type_length_5_240"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.minutes} min)"


class WorkingHours(models.Model):
    """One working window of a clinician on a weekday, in the clinic's local time."""

    clinician = models.ForeignKey(User, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (n, day)
            for n, day in enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])
        ]
    )
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["clinician", "weekday", "start"]
        verbose_name = "working hours"
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="working_hours_end_after_start"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        super().clean()
        if self.clinician_id is None or self.start is None or self.end is None:
            return
        others = WorkingHours.objects.filter(clinician_id=self.clinician_id, weekday=self.weekday).exclude(pk=self.pk)
        if clash := others.filter(start__lt=self.end, end__gt=self.start).first():
            raise ValidationError({"start": overlap_message(clash.start, clash.end)})


def overlap_message(start, end) -> str:
    """Two working windows of one day that overlap: almost always one of them mistyped."""
    return f"This overlaps {start:%H:%M}–{end:%H:%M} on the same day. Change one of the two times."


class HoursException(models.Model):
    """A change of a clinician's hours on one date: the date's rows replace the weekly ones.

    A row without times is a day off; rows with times are that date's working windows
    (several make a split day). On PostgreSQL the windows of one date cannot overlap
    (migration 0021); the service refuses a day off beside windows of the same date.
    """

    clinician = models.ForeignKey(User, on_delete=models.CASCADE, related_name="hours_exceptions")
    day = models.DateField()
    start = models.TimeField(null=True, blank=True)
    end = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["clinician", "day", "start"]
        verbose_name = "change of hours"
        verbose_name_plural = "changes of hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(start__isnull=False, end__isnull=False, end__gt=F("start")),
                name="hours_exception_end_after_start",
                violation_error_message="Give both times, the end after the start, or neither for a day off.",
            ),
            models.UniqueConstraint(
                fields=["clinician", "day"], condition=Q(start__isnull=True), name="hours_exception_one_day_off"
            ),
            plausible_date_constraint("hours_exception_day_plausible", "day"),
        ]

    def __str__(self) -> str:
        if self.start is None:
            return f"{self.day:%Y-%m-%d} day off"
        return f"{self.day:%Y-%m-%d} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def is_day_off(self) -> bool:
        return self.start is None

    def clean(self) -> None:
        super().clean()
        if self.clinician_id is None or self.day is None:
            return
        if (self.start is None) != (self.end is None):
            raise ValidationError(
                {"end" if self.end is None else "start": "Give both times, or neither for a day off."}
            )
        if self.start is not None and self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})
        same_day = list(HoursException.objects.filter(clinician_id=self.clinician_id, day=self.day).exclude(pk=self.pk))
        if any(other.is_day_off for other in same_day):
            raise ValidationError({"day": "This day is already a day off. Remove the day off to give it hours."})
        if same_day and self.is_day_off:
            raise ValidationError({"day": "This day already has changed hours. Remove them to make it a day off."})
        for other in same_day:
            if other.start < self.end and self.start < other.end:
                raise ValidationError({"start": overlap_message(other.start, other.end)})

    @property
    def clinic_id(self) -> int | None:
        # The audit trail files the row under its clinician's clinic.
        return self.clinician.clinic_id


class TimeOff(models.Model):
    clinician = models.ForeignKey(User, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = "time off"
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="time_off_ends_after_start"),
            plausible_date_constraint("time_off_dates_plausible", "starts_at", "ends_at", moment=True),
        ]

    def __str__(self) -> str:
        return f"Time off {self.starts_at:%Y-%m-%d}"

    @property
    def clinic_id(self) -> int | None:
        # The audit trail files the row under its clinician's clinic.
        return self.clinician.clinic_id

    def clean(self) -> None:
        super().clean()
        plausible_moments(self, "starts_at", "ends_at")
        if self.clinician_id is None or self.starts_at is None or self.ends_at is None:
            return
        others = TimeOff.objects.filter(clinician_id=self.clinician_id).exclude(pk=self.pk)
        if clash := others.filter(starts_at__lt=self.ends_at, ends_at__gt=self.starts_at).first():
            zone = self.clinician.clinic.zone
            raise ValidationError(
                {
                    "starts_at": "This overlaps time off from "
                    f"{timezone.localtime(clash.starts_at, zone):%d %b %Y %H:%M} to "
                    f"{timezone.localtime(clash.ends_at, zone):%d %b %Y %H:%M}. Change that time off instead."
                }
            )


def plausible_moments(row: models.Model, *fields: str) -> None:
    """Refuse a date and time whose day is not plausible (clinic/plausible_dates.py)."""
    today = timezone.localdate()
    for name in fields:
        moment = getattr(row, name)
        if moment is not None and (problem := plausible_dates.problem(moment.date(), today)):
            raise ValidationError({name: problem})


class VisitSeries(models.Model):
    """Visits of a plan booked together: the patient is told of them in one message."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="visit_series")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Visit series {self.pk} of episode {self.episode_id}"


class Appointment(models.Model):
    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="appointments")
    clinician = models.ForeignKey(User, on_delete=models.PROTECT, related_name="appointments")
    kind = models.CharField(max_length=12, choices=AppointmentKind.choices, default=AppointmentKind.FOLLOW_UP)
    # Stored in UTC; shown in the clinic's time zone.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    cancel_reason = models.CharField(max_length=200, blank=True)
    # Booked outside working hours or in time off: the front desk says why.
    override_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Every booking, move or cancellation raises the sequence (the iCalendar SEQUENCE too);
    # the patient has been told about everything up to notified_sequence. The row, not the
    # broker, records what message is still owed.
    sequence = models.PositiveIntegerField(default=0)
    notified_sequence = models.PositiveIntegerField(default=0)
    # Booked with others of its plan: the first notice goes for the whole series at once.
    series = models.ForeignKey(VisitSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="visits")
    # Set when the patient confirms from a reminder's link; moving the visit clears it.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The visit's version for the API's ETag and If-Match (a patient's confirmation leaves it).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["clinician", "starts_at"], name="appointment_clinician_start"),
            # The whole clinic's visits of a day (the front desk's dashboard): without it,
            # PostgreSQL reads every visit ever booked.
            models.Index(fields=["starts_at"], name="appointment_start"),
            # The front desk's list of visits patients cancelled from a reminder (on the day
            # view and dashboard): cancelled visits are few, so the index stays small while
            # the table grows to millions of rows.
            models.Index(
                fields=["starts_at"],
                condition=Q(status=AppointmentStatus.CANCELLED),
                name="appointment_cancelled_start",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"),
            models.CheckConstraint(
                condition=~Q(status=AppointmentStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="cancellation_has_reason",
                violation_error_message="Give a reason for the cancellation.",
            ),
            plausible_date_constraint("appointment_dates_plausible", "starts_at", "ends_at", moment=True),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} with {self.clinician}"

    def clean(self) -> None:
        super().clean()
        plausible_moments(self, "starts_at", "ends_at")

    @property
    def patient(self):
        return self.episode.patient


class CalendarFeed(models.Model):
    """A clinician's subscribed calendar, behind a secret URL. Only the SHA-256 of the
    token is stored; revoking makes the URL answer 404, and a new feed gives a new URL.
    The feed lives only as long as its owner is an active clinician of the clinic it was
    made in (``clinic.scheduling.rules.feed_alive``)."""

    clinician = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feeds")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinician"], condition=Q(revoked_at__isnull=True), name="one_live_feed_per_clinician"
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.clinician}"


class WaitListEntry(models.Model):
    """A patient who wants an earlier visit; offered the slot when one frees up."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.CASCADE, related_name="wait_list_entries")
    clinician = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+", help_text="Empty: any clinician."
    )
    note = models.CharField(max_length=200, blank=True, help_text="e.g. mornings only")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    booked = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"], condition=Q(closed_at__isnull=True), name="one_open_wait_per_episode"
            )
        ]

    def __str__(self) -> str:
        return f"Wait list: episode {self.episode_id}"


class PatientChange(models.TextChoices):
    CANCELLED = "cancelled", "Cancelled"
    RESCHEDULED = "rescheduled", "Moved"


class PatientVisitChange(models.Model):
    """A visit the patient cancelled or moved themselves (portal or reminder link): the front
    desk sees it with its old and new time, and offers the freed old time to the wait list.

    The old time is kept here because a moved visit's row no longer holds it."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="patient_changes")
    change = models.CharField(max_length=11, choices=PatientChange.choices)
    old_starts_at = models.DateTimeField()
    old_ends_at = models.DateTimeField()
    # The old time's reason for being outside working hours, offered with it to the wait list.
    old_override_reason = models.CharField(max_length=200, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["old_starts_at", "id"]
        indexes = [models.Index(fields=["old_starts_at"], name="patient_change_old_start")]
        constraints = [
            models.CheckConstraint(condition=Q(change__in=PatientChange.values), name="patient_change_known"),
            models.CheckConstraint(
                condition=Q(old_ends_at__gt=F("old_starts_at")), name="patient_change_old_ends_after_start"
            ),
            # A move has a new time; a cancellation has none.
            models.CheckConstraint(
                condition=(Q(change=PatientChange.RESCHEDULED) & Q(new_starts_at__isnull=False))
                | (Q(change=PatientChange.CANCELLED) & Q(new_starts_at__isnull=True)),
                name="patient_change_new_time_iff_moved",
            ),
        ]

    def __str__(self) -> str:
        return f"Visit {self.appointment_id} {self.get_change_display().lower()} by the patient"

    @property
    def freed(self) -> Appointment:
        """The freed old time as an unsaved visit: what the wait list's offer books against."""
        visit = self.appointment
        return Appointment(
            episode=visit.episode,
            clinician=visit.clinician,
            kind=visit.kind,
            starts_at=self.old_starts_at,
            ends_at=self.old_ends_at,
            override_reason=self.old_override_reason,
        )
