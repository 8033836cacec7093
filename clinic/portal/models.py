"""The patient portal: a patient's signed, expiring link to their home programs and
upcoming visits, and the daily check-ins they log there (exercises done, pain 0-10)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from clinic.models import Patient, plausible_date_constraint


class PortalLink(models.Model):
    """One portal link sent to a patient. Only the SHA-256 of the token is stored, so a copy
    of the database opens no portal; a revoked or expired link answers a friendly page."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="portal_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="portal_link_expires_later")
        ]

    def __str__(self) -> str:
        return f"Portal link {self.pk} of patient {self.patient_id}"


class HomeProgramCheckIn(models.Model):
    """One day's log of one signed home program: which of its items the patient did, and
    their pain that day. One row per version and day; a second tick that day updates it."""

    version = models.ForeignKey("plans.PlanVersion", on_delete=models.PROTECT, related_name="check_ins")
    day = models.DateField()
    # Indexes into the version's home-program items (the frozen snapshot never reorders).
    done_items = models.JSONField(default=list, blank=True)
    pain = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["version", "day"]
        constraints = [
            models.UniqueConstraint(fields=["version", "day"], name="one_check_in_per_day"),
            models.CheckConstraint(condition=Q(pain__isnull=True) | Q(pain__lte=10), name="check_in_pain_0_10"),
            plausible_date_constraint("check_in_day_plausible", "day"),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.day:%Y-%m-%d} for {self.version}"
