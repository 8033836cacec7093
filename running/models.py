"""Return to running: the phase a runner is in, and every run they log.

A return-to-run plan is part of the episode's signed plan (its version's body holds the phase
table); ``ReturnToRun`` is where the runner stands in it. A ``Run`` is one session, logged by hand
or from the runner's own device file; its UTC start and the patient's local date are both kept,
because the load rules count runs by the day the patient lived them (DOMAIN B11.1-B11.2).
"""

from __future__ import annotations

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


class PhaseStep(models.TextChoices):
    PROGRESS = "progress", "Progress to the next phase"
    HOLD = "hold", "Hold: repeat this phase"
    STEP_BACK = "step_back", "Step back one phase"
    COMPLETE = "complete", "Complete the plan"


class DecisionStatus(models.TextChoices):
    PROPOSED = "proposed", "Waiting for a clinician"
    CONFIRMED = "confirmed", "Confirmed"
    OVERRIDDEN = "overridden", "Overridden"
    SUPERSEDED = "superseded", "Replaced by a later proposal"


class PhaseDecision(models.Model):
    """The pain rule's proposal after a run (DOMAIN B10.3), and the clinician's decision on it: confirmed as
    proposed, or overridden with another step and a reason. A clinician may also decide without a run."""

    return_to_run = models.ForeignKey(ReturnToRun, on_delete=models.PROTECT, related_name="decisions")
    run = models.OneToOneField(Run, on_delete=models.PROTECT, null=True, blank=True, related_name="phase_decision")
    proposed_step = models.CharField(max_length=9, choices=PhaseStep.choices)
    reasons = models.JSONField(default=list, blank=True)
    from_phase = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    to_phase = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.PROPOSED)
    # What the clinician chose when overriding; the proposal stays as the rule made it.
    decided_step = models.CharField(max_length=9, choices=PhaseStep.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="overridden") | ~Q(override_reason=""),
                name="phase_decision_override_needs_reason",
                violation_error_message="Overriding the proposal needs a written reason.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "superseded"], decided_at__isnull=True, decided_by__isnull=True)
                | Q(status__in=["confirmed", "overridden"], decided_at__isnull=False, decided_by__isnull=False),
                name="phase_decision_decided_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=Q(from_phase__gte=1, to_phase__gte=1), name="phase_decision_phases_from_one"
            ),
            models.UniqueConstraint(
                fields=["return_to_run"],
                condition=Q(status="proposed"),
                name="one_open_phase_proposal",
                violation_error_message="This return-to-run plan already has a proposal waiting.",
            ),
        ]

    def __str__(self) -> str:
        return f"Phase decision {self.pk} ({self.proposed_step}, {self.status})"

    @property
    def patient(self):
        return self.return_to_run.episode.patient

    @property
    def step(self) -> str:
        """The step taken: the clinician's own when overridden, else the proposal."""
        return self.decided_step or self.proposed_step
