"""Return to running: the phase a runner is in, and every run they log.

A return-to-run plan is part of the episode's signed plan (its version's body holds the phase
table); ``ReturnToRun`` is where the runner stands in it. A ``Run`` is one session, logged by hand
or from the runner's own device file; its UTC start and the patient's local date are both kept,
because the load rules count runs by the day the patient lived them (DOMAIN B11.1-B11.2).
"""

from __future__ import annotations

import dataclasses
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from clinic.models import EpisodeOfCare
from plans.models import PlanVersion
from running import readiness

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


# --- Readiness to start running: the clinician's check (DOMAIN B10.1, B10.5) ----------------------------


# A timed or counted result (seconds, repetitions, minutes).
_RESULT = [MinValueValidator(0), MaxValueValidator(9999)]


class ReadinessCriterion(models.Model):
    """One readiness item as a clinic words and targets it; starts from ``readiness.CRITERIA`` (the
    published checklist) the first time the clinic's checks or criteria are shown."""

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="readiness_criteria")
    key = models.CharField(max_length=30, choices=[(c.key, c.label) for c in readiness.CRITERIA])
    order = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=120)
    measure = models.CharField("how it is measured and passed", max_length=300)
    target = models.DecimalField(
        "least result that passes",
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=_RESULT,
    )
    active = models.BooleanField(default=True, help_text="Switched off, the item is left out of new checks.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["clinic", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key"], name="readiness_criterion_one_per_key"),
            models.CheckConstraint(
                condition=Q(key__in=list(readiness.CRITERIA_BY_KEY)), name="readiness_criterion_key_known"
            ),
            models.CheckConstraint(
                condition=Q(target__isnull=True) | Q(target__gte=0, target__lte=9999),
                name="readiness_criterion_target_range",
            ),
            models.CheckConstraint(condition=~Q(label=""), name="readiness_criterion_has_label"),
        ]

    def __str__(self) -> str:
        return self.label

    def as_rule(self) -> readiness.Criterion:
        """The shipped criterion with the clinic's words and target."""
        shipped = readiness.CRITERIA_BY_KEY[self.key]
        return dataclasses.replace(
            shipped,
            label=self.label,
            measure=self.measure,
            target=self.target if shipped.target is not None else None,
        )


class Decision(models.TextChoices):
    START = "start", "Start running"
    HOLD = "hold", "Hold (stay where they are)"
    PROGRESS = "progress", "Progress"
    STEP_BACK = "step_back", "Step back"
    STOP = "stop", "Stop running"


# Decisions that go ahead with running: the rule's "start" agrees with them, its "not yet" with the others.
GO_AHEAD = (Decision.START, Decision.PROGRESS)


class PelvicControl(models.TextChoices):
    OK = "ok", "Acceptable"
    POOR = "poor", "Poor"


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"


_REACH = {
    "max_digits": 5,
    "decimal_places": 1,
    "null": True,
    "blank": True,
    "validators": [MinValueValidator(Decimal("0.1")), MaxValueValidator(300)],
}
REACH_FIELDS = tuple(f"reach_{side}_{direction}" for side in readiness.SIDES for direction in readiness.DIRECTIONS)
_PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class ReadinessCheck(models.Model):
    """A clinician's return-to-run check (DOMAIN B10.5): each criterion's result, the Y-balance
    reaches, the HOS scores, the rule's verdict as it was given, and the clinician's decision.
    Recorded and signed at once; never changed afterwards."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="readiness_checks")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_on = models.DateField("date of the check")
    # The return-to-run plan under way at the check, and its phase then (none before running starts).
    return_to_run = models.ForeignKey(
        ReturnToRun, on_delete=models.PROTECT, null=True, blank=True, related_name="readiness_checks"
    )
    phase = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_now = models.PositiveSmallIntegerField("pain now (0–10)", validators=NPRS_RANGE)
    involved_side = models.CharField("involved side", max_length=5, choices=Side.choices, blank=True)
    reach_left_anterior = models.DecimalField("left, anterior (cm)", **_REACH)
    reach_left_posteromedial = models.DecimalField("left, posteromedial (cm)", **_REACH)
    reach_left_posterolateral = models.DecimalField("left, posterolateral (cm)", **_REACH)
    reach_right_anterior = models.DecimalField("right, anterior (cm)", **_REACH)
    reach_right_posteromedial = models.DecimalField("right, posteromedial (cm)", **_REACH)
    reach_right_posterolateral = models.DecimalField("right, posterolateral (cm)", **_REACH)
    lsi_formula = models.CharField(
        max_length=30,
        choices=[(readiness.LSI_FORMULA, readiness.LSI_FORMULA_LABEL)],
        default=readiness.LSI_FORMULA,
    )
    hos_adl = models.DecimalField(
        "HOS activities of daily living (%)", max_digits=4, decimal_places=1, null=True, blank=True, validators=_PERCENT
    )
    hos_sport = models.DecimalField(
        "HOS sport (%)", max_digits=4, decimal_places=1, null=True, blank=True, validators=_PERCENT
    )
    # The rule's verdict as the clinician saw it, and the clinic thresholds it used.
    rule_start = models.BooleanField()
    rule_reasons = models.JSONField(default=list, blank=True)
    thresholds = models.JSONField(default=dict, blank=True)
    decision = models.CharField(max_length=9, choices=Decision.choices)
    override_reason = models.TextField("reason for the decision", max_length=2000, blank=True)
    next_check_on = models.DateField("next check", null=True, blank=True)
    signed_at = models.DateTimeField()
    signed_credentials = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_on", "-id"]
        indexes = [models.Index(fields=["episode", "checked_on"], name="readiness_check_episode_day")]
        constraints = [
            models.CheckConstraint(condition=Q(pain_now__lte=10), name="readiness_pain_now_0_10"),
            models.CheckConstraint(condition=Q(decision__in=Decision.values), name="readiness_decision_known"),
            models.CheckConstraint(
                condition=Q(involved_side__in=["", *Side.values]), name="readiness_involved_side_known"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gt": 0, f"{name}__lte": 300}),
                    name=f"readiness_{name}_range",
                )
                for name in REACH_FIELDS
            ),
            # Reaches mean nothing without the side they are compared against.
            models.CheckConstraint(
                condition=~Q(involved_side="") | Q(**{f"{name}__isnull": True for name in REACH_FIELDS}),
                name="readiness_reaches_need_involved_side",
            ),
            models.CheckConstraint(
                condition=Q(hos_adl__isnull=True) | Q(hos_adl__gte=0, hos_adl__lte=100),
                name="readiness_hos_adl_percent",
            ),
            models.CheckConstraint(
                condition=Q(hos_sport__isnull=True) | Q(hos_sport__gte=0, hos_sport__lte=100),
                name="readiness_hos_sport_percent",
            ),
            models.CheckConstraint(
                condition=~Q(override_reason="")
                | Q(rule_start=True, decision__in=GO_AHEAD)
                | (Q(rule_start=False) & ~Q(decision__in=GO_AHEAD)),
                name="readiness_override_has_reason",
                violation_error_message="Say why you decide against the checklist.",
            ),
            models.CheckConstraint(
                condition=Q(next_check_on__isnull=True) | Q(next_check_on__gte=F("checked_on")),
                name="readiness_next_check_after_check",
                violation_error_message="The next check cannot be before this one.",
            ),
            models.CheckConstraint(
                condition=Q(phase__isnull=True) | Q(return_to_run__isnull=False), name="readiness_phase_needs_plan"
            ),
        ]

    def __str__(self) -> str:
        return f"Return-to-run check {self.pk} on {self.checked_on}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("A signed return-to-run check cannot be changed.")
        super().save(*args, **kwargs)

    @property
    def patient(self):
        return self.episode.patient

    @property
    def overridden(self) -> bool:
        return self.rule_start != (self.decision in GO_AHEAD)

    def y_balance(self) -> readiness.YBalance | None:
        if not self.involved_side:
            return None
        reaches = {
            side: {direction: getattr(self, f"reach_{side}_{direction}") for direction in readiness.DIRECTIONS}
            for side in readiness.SIDES
        }
        return readiness.YBalance(involved=self.involved_side, reaches=reaches)


class ReadinessItemResult(models.Model):
    """One criterion at a check: its label and target as the clinic had them, the result, pain and
    pelvic control, and whether the rule passed it (with its reasons)."""

    readiness_check = models.ForeignKey(ReadinessCheck, on_delete=models.CASCADE, related_name="items")
    criterion_key = models.CharField(max_length=30, choices=[(c.key, c.label) for c in readiness.CRITERIA])
    order = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=120)
    measure = models.CharField(max_length=300, blank=True)
    value = models.DecimalField(
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(9999)],
    )
    met = models.BooleanField(null=True, blank=True)
    pain = models.BooleanField(default=False)
    pelvic_control = models.CharField(max_length=4, choices=PelvicControl.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    passed = models.BooleanField()
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["readiness_check", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["readiness_check", "criterion_key"], name="readiness_item_one_per_criterion"
            ),
            models.CheckConstraint(
                condition=Q(criterion_key__in=list(readiness.CRITERIA_BY_KEY)), name="readiness_item_key_known"
            ),
            models.CheckConstraint(
                condition=Q(pelvic_control__in=["", *PelvicControl.values]), name="readiness_item_control_known"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0, value__lte=9999), name="readiness_item_value_range"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def patient(self):
        return self.readiness_check.patient


class CadencePrescription(models.Model):
    """An optional step-rate retraining prescription: a target over the runner's measured
    baseline (DOMAIN A "Cadence retraining"; B11.4)."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="cadence_prescriptions")
    baseline_steps_per_min = models.PositiveSmallIntegerField("baseline (steps/min)")
    # How many device runs the baseline is the median of.
    baseline_runs = models.PositiveSmallIntegerField()
    increase_pct = models.PositiveSmallIntegerField("increase (%)")
    target_steps_per_min = models.PositiveSmallIntegerField("target (steps/min)")
    prescribed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prescribed_at = models.DateTimeField(auto_now_add=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-prescribed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(stopped_at__isnull=True),
                name="one_current_cadence_prescription_per_episode",
                violation_error_message="This episode already has a step-rate prescription.",
            ),
            models.CheckConstraint(condition=Q(increase_pct__in=[5, 10]), name="cadence_increase_5_or_10"),
            models.CheckConstraint(
                condition=Q(baseline_steps_per_min__gte=100, baseline_steps_per_min__lte=250),
                name="cadence_baseline_plausible",
            ),
            models.CheckConstraint(
                condition=Q(target_steps_per_min__gt=models.F("baseline_steps_per_min")),
                name="cadence_target_above_baseline",
            ),
            models.CheckConstraint(condition=Q(baseline_runs__gte=1), name="cadence_baseline_from_a_run"),
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True, stopped_by__isnull=True)
                | Q(stopped_at__isnull=False, stopped_by__isnull=False),
                name="cadence_stopped_by_whom",
            ),
        ]

    def __str__(self) -> str:
        return f"Step-rate prescription {self.pk} (episode {self.episode_id})"


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
