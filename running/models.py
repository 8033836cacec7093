"""Return to running: the phase a runner is in, and every run they log.

A return-to-run plan is part of the episode's signed plan (its version's body holds the phase
table); ``ReturnToRun`` is where the runner stands in it. A ``Run`` is one session, logged by hand
or from the runner's own device file; its UTC start and the patient's local date are both kept,
because the load rules count runs by the day the patient lived them (DOMAIN B11.1-B11.2).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from clinic.models import EpisodeOfCare
from plans.models import PlanVersion

NPRS_RANGE = [MaxValueValidator(10)]


class ReturnToRunStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


class ReturnToRun(models.Model):
    """One runner's way through a walk-run progression: which phase they are in now."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="returns_to_run")
    # The signed plan version whose body holds the phase table this runner follows.
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    # The phases as signed (a copy of the version's table, so the rules read one row).
    phases = models.JSONField()
    current_phase = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    status = models.CharField(max_length=10, choices=ReturnToRunStatus.choices, default=ReturnToRunStatus.ACTIVE)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(status="active"),
                name="one_active_return_to_run_per_episode",
                violation_error_message="This episode already has an active return-to-run plan.",
            ),
            models.CheckConstraint(
                condition=Q(status="active", ended_on__isnull=True) | (~Q(status="active") & Q(ended_on__isnull=False)),
                name="return_to_run_ended_on_matches_status",
            ),
            models.CheckConstraint(condition=Q(current_phase__gte=1), name="return_to_run_phase_from_one"),
        ]

    def __str__(self) -> str:
        return f"Return to run {self.pk} (episode {self.episode_id}, phase {self.current_phase})"


class RunSource(models.TextChoices):
    MANUAL = "manual", "Logged by hand"
    FILE = "file", "From a device file"


class Run(models.Model):
    """One run as the runner lived it: how far, how long, and how it felt (DOMAIN B10.5)."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="runs")
    # The return-to-run plan and phase the run was done in (none outside a plan).
    return_to_run = models.ForeignKey(ReturnToRun, on_delete=models.PROTECT, null=True, blank=True, related_name="runs")
    phase = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.CharField(max_length=6, choices=RunSource.choices, default=RunSource.MANUAL)
    started_at = models.DateTimeField(help_text="In UTC.")
    # The patient's own calendar day of the run: the day the load rules count it towards.
    local_date = models.DateField()
    distance_m = models.PositiveIntegerField(
        "distance (m)", validators=[MaxValueValidator(300_000)], null=True, blank=True
    )
    # Timer (moving) time, pauses excluded; elapsed time kept beside it (DOMAIN B11.2).
    moving_s = models.PositiveIntegerField("moving time (s)", validators=[MaxValueValidator(86_400)])
    elapsed_s = models.PositiveIntegerField(
        "elapsed time (s)", validators=[MaxValueValidator(172_800)], null=True, blank=True
    )
    indoor = models.BooleanField(
        default=False, help_text="Indoor or treadmill: the distance is the device's own estimate."
    )
    step_rate = models.PositiveSmallIntegerField(
        "step rate (steps/min)", null=True, blank=True, validators=[MaxValueValidator(300)]
    )
    pain_before = models.PositiveSmallIntegerField(
        "pain before the run (0–10)", null=True, blank=True, validators=NPRS_RANGE
    )
    pain_during = models.PositiveSmallIntegerField(
        "pain during the run (0–10)", null=True, blank=True, validators=NPRS_RANGE
    )
    rpe = models.PositiveSmallIntegerField("effort (RPE 0–10)", null=True, blank=True, validators=NPRS_RANGE)
    swelling_or_stiffness = models.BooleanField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    morning_pain = models.PositiveSmallIntegerField(
        "pain the next morning (0–10)", null=True, blank=True, validators=NPRS_RANGE
    )
    morning_pain_at = models.DateTimeField(null=True, blank=True)
    # Labelled at logging: a run that matches the prescribed phase of an active plan.
    protocol_planned = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["episode", "local_date"], name="run_episode_day")]
        constraints = [
            models.CheckConstraint(condition=Q(pain_before__lte=10), name="run_pain_before_0_10"),
            models.CheckConstraint(condition=Q(pain_during__lte=10), name="run_pain_during_0_10"),
            models.CheckConstraint(condition=Q(morning_pain__lte=10), name="run_morning_pain_0_10"),
            models.CheckConstraint(condition=Q(rpe__lte=10), name="run_rpe_0_10"),
            models.CheckConstraint(condition=Q(moving_s__lte=86_400), name="run_moving_at_most_a_day"),
            models.CheckConstraint(
                condition=Q(elapsed_s__isnull=True) | Q(elapsed_s__gte=models.F("moving_s")),
                name="run_elapsed_not_below_moving",
            ),
            models.CheckConstraint(
                condition=Q(phase__isnull=True) | Q(return_to_run__isnull=False), name="run_phase_needs_plan"
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} on {self.local_date}"


class RunFileKind(models.TextChoices):
    FIT = "fit", "FIT"
    GPX = "gpx", "GPX"
    TCX = "tcx", "TCX"


class RunFileStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be read"
    PARSING = "parsing", "Being read"
    PARSED = "parsed", "Read: run added"
    FAILED = "failed", "Could not be read"
    NEEDS_DISTANCE = "needs_distance", "Waiting for the distance"
    PROBABLE_DUPLICATE = "probable_duplicate", "Waiting for the clinician: possibly a run already logged"
    DUPLICATE = "duplicate", "Same run as one already logged: not added"


class DuplicateDecision(models.TextChoices):
    SAME = "same", "Same run: the new one discarded"
    DIFFERENT = "different", "Different runs: both kept"


def run_file_path(instance, filename: str) -> str:
    """A random name: the runner's own file name (which may hold their name) never reaches the disk."""
    return f"run-files/{secrets.token_urlsafe(18)}.{instance.kind}"


class RunFile(models.Model):
    """One device file a runner (or their clinician) uploaded: the original bytes and their
    SHA-256 (DOMAIN A "Device import"), where reading it got to, and the run it became.

    The row is the record of what is still to do: a file queued or being read is taken up
    again by ``running.tasks.sweep_run_files`` if its task was lost.
    """

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="run_files")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Set when a clinician uploaded it on the runner's behalf; empty when the runner did.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    original_name = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=3, choices=RunFileKind.choices)
    file = models.FileField(upload_to=run_file_path)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=18, choices=RunFileStatus.choices, default=RunFileStatus.QUEUED)
    # What the runner is told when the file gave no run, in plain words.
    error = models.CharField(max_length=300, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    # Readings started: a file whose reading is cut off again and again is failed, not retried for ever.
    attempts = models.PositiveSmallIntegerField(default=0)
    # FIT file_id (type, manufacturer, product, serial number, time created), joined: a second
    # key for probable duplicates (DOMAIN B11.2: our choice, unverified as a manufacturer rule).
    fit_identity = models.CharField(max_length=200, blank=True)
    run = models.OneToOneField(Run, on_delete=models.PROTECT, null=True, blank=True, related_name="device_file")
    # The run this file is probably a copy of, for the clinician to decide.
    duplicate_of = models.ForeignKey(Run, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision = models.CharField(max_length=9, choices=DuplicateDecision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"], name="run_file_status_updated")]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "sha256"],
                name="run_file_unique_hash_per_episode",
                violation_error_message="This file was already uploaded.",
            ),
            models.CheckConstraint(condition=Q(status__in=RunFileStatus.values), name="run_file_status_known"),
            models.CheckConstraint(condition=Q(kind__in=RunFileKind.values), name="run_file_kind_known"),
            models.CheckConstraint(condition=~Q(status="failed") | ~Q(error=""), name="run_file_failure_says_why"),
            models.CheckConstraint(
                condition=Q(run__isnull=True) | Q(status="parsed"), name="run_file_run_only_when_parsed"
            ),
            models.CheckConstraint(
                condition=Q(decision="") | (Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
                name="run_file_decision_has_author",
            ),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="run_file_sha256_hex"),
        ]

    def __str__(self) -> str:
        return f"Run file {self.pk} ({self.get_kind_display()}, {self.get_status_display()})"

    @property
    def patient(self):
        return self.episode.patient
