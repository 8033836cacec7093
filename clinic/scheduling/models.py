"""Appointments: the visits of an episode of care, each with one clinician."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from clinic.models import EpisodeOfCare, User


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


class Appointment(models.Model):
    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="appointments")
    clinician = models.ForeignKey(User, on_delete=models.PROTECT, related_name="appointments")
    # Stored in UTC; shown in the clinic's time zone.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["clinician", "starts_at"], name="appointment_clinician_start")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} with {self.clinician}"

    @property
    def patient(self):
        return self.episode.patient
