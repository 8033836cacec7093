"""Exam visits: measurements per side, and the findings derived from them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from assessments import findings, scoring, sections
from clinic import plausible_dates
from clinic.models import EpisodeOfCare, plausible_date_constraint


class AssessmentKind(models.TextChoices):
    INITIAL = "initial", "Initial evaluation"
    REASSESSMENT = "reassessment", "Re-assessment"


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPLETED = "completed", "Completed"


class RomDevice(models.TextChoices):
    GONIOMETER = "goniometer", "Goniometer"
    INCLINOMETER = "inclinometer", "Inclinometer"


class RomMode(models.TextChoices):
    ACTIVE = "active", "Active"
    PASSIVE = "passive", "Passive"


class Assessment(models.Model):
    """One exam visit. A draft until completed; completing derives the findings."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(max_length=12, choices=AssessmentKind.choices, default=AssessmentKind.INITIAL)
    status = models.CharField(max_length=9, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    assessed_on = models.DateField(default=timezone.localdate)
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments")
    # Readings are compared only like with like (DOMAIN B2.1, B2.3): device and mode are kept.
    rom_device = models.CharField(max_length=12, choices=RomDevice.choices, default=RomDevice.GONIOMETER)
    rom_mode = models.CharField(max_length=7, choices=RomMode.choices, default=RomMode.PASSIVE)
    pain_today = models.PositiveSmallIntegerField(null=True, blank=True)
    # Leg length in millimetres (entered in cm with mm precision).
    true_left_mm = models.PositiveIntegerField(null=True, blank=True)
    true_right_mm = models.PositiveIntegerField(null=True, blank=True)
    apparent_left_mm = models.PositiveIntegerField(null=True, blank=True)
    apparent_right_mm = models.PositiveIntegerField(null=True, blank=True)
    # Running-form observations.
    overstriding = models.BooleanField(default=False)
    forward_lean = models.BooleanField("forward lean from the waist", default=False)
    hip_drop = models.BooleanField("contralateral hip drop", default=False)
    overpronation = models.BooleanField("over-pronation", default=False)
    lumbar_hyperextension = models.BooleanField(default=False)
    knee_valgus = models.BooleanField(default=False)
    cadence = models.PositiveSmallIntegerField("cadence (steps/min)", null=True, blank=True)
    form_notes = models.TextField("running-form notes", max_length=3000, blank=True)
    # Each exam section (assessments.sections, whose codes prefix these names) recorded or marked not
    # tested, so that completing never reads an empty section as normal. The reason is optional.
    rom_not_tested = models.BooleanField("hip range of motion not tested", default=False)
    rom_not_tested_reason = models.CharField(max_length=300, blank=True)
    fms_not_tested = models.BooleanField("FMS not tested", default=False)
    fms_not_tested_reason = models.CharField(max_length=300, blank=True)
    leg_length_not_tested = models.BooleanField("leg length not tested", default=False)
    leg_length_not_tested_reason = models.CharField(max_length=300, blank=True)
    special_tests_not_tested = models.BooleanField("special tests not tested", default=False)
    special_tests_not_tested_reason = models.CharField(max_length=300, blank=True)
    running_form_not_tested = models.BooleanField("running form not tested", default=False)
    running_form_not_tested_reason = models.CharField(max_length=300, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assessed_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(pain_today__lte=10), name="assessment_pain_0_10"),
            models.CheckConstraint(
                condition=~Q(status=AssessmentStatus.COMPLETED) | Q(completed_at__isnull=False),
                name="assessment_completed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(cadence__isnull=True) | Q(cadence__gte=60, cadence__lte=260),
                name="assessment_cadence_plausible",
            ),
            models.UniqueConstraint(
                fields=["episode"], condition=Q(kind=AssessmentKind.INITIAL), name="one_initial_assessment_per_episode"
            ),
            plausible_date_constraint("assessment_date_plausible", "assessed_on"),
            # A section marked not tested holds no values. Checked here where the values are columns of
            # this table; the service checks ROM, FMS and special tests, whose values are child rows.
            models.CheckConstraint(
                condition=Q(leg_length_not_tested=False)
                | Q(
                    true_left_mm__isnull=True,
                    true_right_mm__isnull=True,
                    apparent_left_mm__isnull=True,
                    apparent_right_mm__isnull=True,
                ),
                name="leg_length_not_tested_is_empty",
                violation_error_message="Leg length is marked not tested but has lengths recorded.",
            ),
            models.CheckConstraint(
                condition=Q(running_form_not_tested=False)
                | Q(
                    overstriding=False,
                    forward_lean=False,
                    hip_drop=False,
                    overpronation=False,
                    lumbar_hyperextension=False,
                    knee_valgus=False,
                    cadence__isnull=True,
                    form_notes="",
                ),
                name="running_form_not_tested_is_empty",
                violation_error_message="Running form is marked not tested but has observations recorded.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.assessed_on:%Y-%m-%d}"

    def clean(self) -> None:
        super().clean()
        if self.assessed_on and (problem := plausible_dates.problem(self.assessed_on, timezone.localdate())):
            raise ValidationError({"assessed_on": problem})

    @property
    def patient(self):
        return self.episode.patient

    @property
    def is_completed(self) -> bool:
        return self.status == AssessmentStatus.COMPLETED

    @property
    def not_tested(self) -> dict[str, str]:
        """{section code: reason} for the sections marked not tested, in the screen's order."""
        return {
            section: getattr(self, f"{section}_not_tested_reason")
            for section, _ in sections.SECTIONS
            if getattr(self, f"{section}_not_tested")
        }

    @property
    def nothing_recorded(self) -> bool:
        """Every exam section marked not tested: the measurements say nothing either way."""
        return len(self.not_tested) == len(sections.SECTIONS)


class RomMeasurement(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="rom")
    motion = models.CharField(max_length=20)
    left = models.SmallIntegerField(null=True, blank=True)
    right = models.SmallIntegerField(null=True, blank=True)
    left_painful = models.BooleanField(default=False)
    right_painful = models.BooleanField(default=False)
    # How both sides were measured (DOMAIN B2.1: compare only like with like); the mode is the visit's
    # (Assessment.rom_mode). Empty position: not recorded, as for readings from before positions were kept.
    position = models.CharField(max_length=10, choices=list(scoring.ROM_POSITIONS.items()), blank=True)
    device = models.CharField(max_length=12, choices=RomDevice.choices)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "motion"], name="one_rom_row_per_motion"),
            models.CheckConstraint(
                condition=Q(position__in=["", *scoring.ROM_POSITIONS]), name="rom_position_known_or_not_recorded"
            ),
            models.CheckConstraint(condition=Q(device__in=RomDevice.values), name="rom_device_known"),
            # Beyond any joint's range: the forms apply each motion's own plausible range.
            models.CheckConstraint(
                condition=(Q(left__isnull=True) | Q(left__gte=-30, left__lte=180))
                & (Q(right__isnull=True) | Q(right__gte=-30, right__lte=180)),
                name="rom_degrees_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.motion}: L {self.left} / R {self.right}"


class FmsScore(models.Model):
    """Raw FMS scores: one value for a single test, one per side for a bilateral one."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="fms")
    test = models.CharField(max_length=30)
    left = models.PositiveSmallIntegerField(null=True, blank=True)
    right = models.PositiveSmallIntegerField(null=True, blank=True)
    clearing_painful = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "test"], name="one_fms_row_per_test"),
            models.CheckConstraint(
                condition=(Q(left__isnull=True) | Q(left__lte=3)) & (Q(right__isnull=True) | Q(right__lte=3)),
                name="fms_raw_0_3",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test}: {self.left}/{self.right}"


class SpecialTestResult(models.TextChoices):
    NOT_TESTED = "not_tested", "Not tested"
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"


class SpecialTest(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="special_tests")
    test = models.CharField(max_length=20)
    side = models.CharField(max_length=5, choices=[("left", "Left"), ("right", "Right")])
    result = models.CharField(max_length=10, choices=SpecialTestResult.choices, default=SpecialTestResult.NOT_TESTED)
    # Thomas only (DOMAIN B4): each structure found tight, independently; a side may show several.
    iliopsoas_tight = models.BooleanField("iliopsoas tight", default=False)
    rectus_femoris_tight = models.BooleanField("rectus femoris tight", default=False)
    tfl_itb_tight = models.BooleanField("TFL / ITB tight", default=False)
    angle = models.PositiveSmallIntegerField(null=True, blank=True)
    reproduces_leg_symptoms = models.BooleanField(null=True, blank=True)
    pain_location = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "test", "side"], name="one_result_per_test_side"),
            models.CheckConstraint(condition=Q(angle__isnull=True) | Q(angle__lte=160), name="special_test_angle"),
            # A tight structure is what a positive Thomas test shows; on any other row it is a contradiction.
            models.CheckConstraint(
                condition=Q(test="thomas", result=SpecialTestResult.POSITIVE)
                | Q(iliopsoas_tight=False, rectus_femoris_tight=False, tfl_itb_tight=False),
                name="thomas_tight_only_when_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test} {self.side}: {self.result}"


class FindingOrigin(models.TextChoices):
    DERIVED = "derived", "Derived from measurements"
    ADDED = "added", "Added by clinician"


class Finding(models.Model):
    """A coded fact about the patient; plans read the ones not dismissed."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(max_length=60)
    side = models.CharField(max_length=5, blank=True)
    label = models.CharField(max_length=300)
    evidence = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    origin = models.CharField(max_length=7, choices=FindingOrigin.choices, default=FindingOrigin.DERIVED)
    reason = models.TextField("reason for adding", max_length=2000, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dismiss_reason = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["dismissed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "code", "side"], name="one_finding_per_code_side"),
            models.CheckConstraint(
                condition=Q(dismissed_at__isnull=True) | ~Q(dismiss_reason=""),
                name="dismissal_has_reason",
                violation_error_message="Say why the finding is dismissed.",
            ),
            models.CheckConstraint(
                condition=~Q(origin=FindingOrigin.ADDED) | ~Q(reason=""),
                name="added_finding_has_reason",
                violation_error_message="Say why the finding is added.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def patient(self):
        return self.assessment.episode.patient

    @property
    def is_active(self) -> bool:
        return self.dismissed_at is None

    @property
    def read_by_rules(self) -> bool:
        """Derived findings and the clinician conditions feed the plan rules; words of the clinician's own do not."""
        return self.origin == FindingOrigin.DERIVED or self.code in findings.CLINICIAN_CONDITION_LABELS


class OutcomeScore(models.Model):
    """A questionnaire re-scored at a visit from the patient's paper form ("score-only" mode,
    DOMAIN B5.6): the same scoring engine as the intake, so scores compare across visits."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="outcome_scores")
    instrument = models.CharField(max_length=16)
    answers = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    value = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    display = models.CharField(max_length=120)
    scored = models.BooleanField()
    # How the score was entered and what it rests on: {"entered_as": "total"} for a paper form's total; the PSFS's
    # {"activities": {item code: the patient's words}, "ratings": {...}} (DOMAIN B5.4: re-rate the same ones).
    detail = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["instrument"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "instrument"], name="one_outcome_per_instrument"),
            # DOMAIN B12.4, B5.4: the hip and tendon measures are 0-100, the PSFS mean 0-10.
            models.CheckConstraint(
                condition=Q(value__isnull=True)
                | ~Q(instrument__in=["hos_adl", "hos_sport", "ihot12", "visag", "psfs"])
                | Q(value__gte=0, value__lte=100, instrument__in=["hos_adl", "hos_sport", "ihot12", "visag"])
                | Q(value__gte=0, value__lte=10, instrument="psfs"),
                name="outcome_hip_measure_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument}: {self.display}"

    @property
    def patient(self):
        return self.assessment.episode.patient
