"""The clinic's treatment library (interventions, rules, contraindications) and the plans
drafted from it. A signed plan is a frozen ``PlanVersion``: later edits to the library or
the draft never change it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from clinic.models import Clinic, ContactChannel, EpisodeOfCare
from clinic.picture_fields import PictureField
from plans import library, run_programs
from plans.signed import SignedPlan

VISITS_RANGE = [MinValueValidator(1), MaxValueValidator(7)]
WEEKS_RANGE = [MinValueValidator(1), MaxValueValidator(52)]


class Prong(models.TextChoices):
    MANIPULATION = "manipulation", "Joint manipulation / mobilisation"
    SOFT_TISSUE = "soft_tissue", "Soft-tissue release"
    EXERCISE = "exercise", "Corrective exercise"


class DosageFields(models.Model):
    sets = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    reps = models.CharField(max_length=40, blank=True, help_text="e.g. 10–15, or 10 each side")
    hold_seconds = models.CharField("hold (seconds)", max_length=40, blank=True, help_text="e.g. 20–30")
    frequency = models.CharField(max_length=60, blank=True, help_text="e.g. daily, or 3 times a week")

    class Meta:
        abstract = True

    @property
    def dosage_text(self) -> str:
        # One wording for drafts, saved plans and handouts: the library's.
        return library.Dosage(
            sets=self.sets, reps=self.reps, hold_seconds=self.hold_seconds, frequency=self.frequency
        ).text()


class Intervention(DosageFields):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="interventions")
    key = models.SlugField(max_length=60)
    prong = models.CharField(max_length=12, choices=Prong.choices)
    name = models.CharField(max_length=120)
    target = models.CharField(max_length=120, blank=True)
    technique = models.CharField(max_length=200, blank=True)
    tags = models.JSONField(default=list, blank=True, help_text="Contraindication rules match these tags.")
    home_program = models.BooleanField(default=False, help_text="Done by the patient at home; appears on the handout.")
    instructions = models.TextField("patient instructions", max_length=3000, blank=True)
    progression = models.TextField(max_length=1000, blank=True)
    regression = models.TextField(max_length=1000, blank=True)
    cautions = models.TextField(max_length=1000, blank=True)
    # The handout is read by the patient: these say the same in plain words, without sources.
    patient_progression = models.TextField(
        "progression for the patient", max_length=1000, blank=True, help_text="Plain words; printed on the handout."
    )
    patient_cautions = models.TextField(
        "cautions for the patient", max_length=1000, blank=True, help_text="Plain words; printed on the handout."
    )
    patient_side = models.CharField(
        "side, for the patient",
        max_length=300,
        blank=True,
        help_text=(
            "For an item done on one side: which side, in plain words, with {side} for the side the findings are on "
            'and {other} for the other side, e.g. "Stretch your {side} hip: kneel on your {side} knee." Printed '
            "on the handout when the plan item has a side."
        ),
    )
    shipped_illustration = models.CharField(max_length=80, blank=True)
    illustration = PictureField(
        upload_to="exercise-illustrations/",
        blank=True,
        help_text="Replaces the shipped drawing: a PNG, JPEG, WebP or SVG picture, at most 2 MB.",
    )
    source = models.CharField(max_length=600, blank=True)  # citations of the literature, in full titles
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["prong", "name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="intervention_key_per_clinic")]

    def __str__(self) -> str:
        return self.name


class PlanRule(models.Model):
    """Which findings (or intake facts) select which interventions, and what they bring."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="plan_rules")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    always = models.BooleanField(default=False, help_text="Applies to every plan.")
    when_findings = models.JSONField(default=list, blank=True)
    when_load_facts = models.JSONField(default=list, blank=True)
    when_intake = models.JSONField(default=list, blank=True)
    when_detail = models.CharField(max_length=60, blank=True)
    visits_per_week = models.PositiveSmallIntegerField(default=1, validators=VISITS_RANGE)
    weeks = models.PositiveSmallIntegerField(default=6, validators=WEEKS_RANGE)
    running_advice = models.JSONField(default=list, blank=True)
    notes = models.JSONField(
        "notes for the clinician",
        default=list,
        blank=True,
        help_text="Reminders shown to the clinician with a draft this rule chose; never on the patient's handout.",
    )
    source = models.CharField(max_length=600, blank=True)  # citations of the literature, in full titles
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key"], name="rule_key_per_clinic"),
            models.CheckConstraint(condition=Q(visits_per_week__gte=1, visits_per_week__lte=7), name="rule_visits_1_7"),
            models.CheckConstraint(condition=Q(weeks__gte=1, weeks__lte=52), name="rule_weeks_1_52"),
        ]

    def __str__(self) -> str:
        return self.name


class RuleItem(DosageFields):
    """One intervention a rule selects; a dosage given here overrides the intervention's."""

    rule = models.ForeignKey(PlanRule, on_delete=models.CASCADE, related_name="items")
    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["rule", "intervention"], name="rule_item_once")]

    def __str__(self) -> str:
        return f"{self.rule}: {self.intervention}"


class Contraindication(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="contraindications")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    when_findings = models.JSONField(default=list, blank=True)
    when_red_flag_tiers = models.JSONField(default=list, blank=True)
    when_red_flag_codes = models.JSONField(default=list, blank=True)
    excludes_tags = models.JSONField(default=list, blank=True)
    excludes_prongs = models.JSONField(default=list, blank=True)
    blocks_plan = models.BooleanField(default=False)
    hard = models.BooleanField(
        default=True, help_text="Hard: cannot be overridden. Soft: a clinician may override with a reason."
    )
    reason = models.TextField(max_length=1000)
    referral = models.TextField(max_length=1000, blank=True)
    source = models.CharField(max_length=600, blank=True)  # citations of the literature, in full titles
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="contraindication_key_per_clinic")]

    def __str__(self) -> str:
        return self.name


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class TreatmentPlan(models.Model):
    """The working copy a clinician edits. Each signature freezes it as a ``PlanVersion``."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="plans")
    assessment = models.ForeignKey("assessments.Assessment", on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(max_length=6, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visits_per_week = models.PositiveSmallIntegerField(default=1, validators=VISITS_RANGE)
    weeks = models.PositiveSmallIntegerField(default=6, validators=WEEKS_RANGE)
    goals = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    running_advice = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    referrals = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    # [{intervention, name, prong, reason, contraindication, hard, because}] from the generator.
    excluded = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    # The generator's reminders for the clinician (a referral to consider, a caution): not patient-facing.
    clinician_notes = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    missing_prong_reasons = models.JSONField(default=dict, blank=True)
    blocked = models.BooleanField(default=False)
    # The walk-run program version added to the draft; signing copies its table into the version's body.
    run_program = models.ForeignKey(
        "plans.RunProgramTemplate", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(visits_per_week__gte=1, visits_per_week__lte=7), name="plan_visits_1_7"),
            models.CheckConstraint(condition=Q(weeks__gte=1, weeks__lte=52), name="plan_weeks_1_52"),
        ]

    def __str__(self) -> str:
        return f"Plan {self.pk} for episode {self.episode_id}"

    @property
    def patient(self):
        return self.episode.patient


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"


class PlanItem(DosageFields):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="items")
    intervention = models.ForeignKey(Intervention, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    prong = models.CharField(max_length=12, choices=Prong.choices)
    name = models.CharField(max_length=120)
    instructions = models.TextField(max_length=3000, blank=True)
    home_program = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    because = models.JSONField(default=list, blank=True)
    # The side the item is done on, for the handout's wording (Intervention.patient_side); blank for both sides.
    side = models.CharField(
        max_length=5,
        choices=Side.choices,
        blank=True,
        help_text="Drafted from the findings' side; the handout says which side in the patient's words.",
    )
    # Set when a clinician keeps an item a soft contraindication excluded.
    override_contraindication = models.CharField(max_length=60, blank=True)
    override_reason = models.TextField(max_length=2000, blank=True)
    # What the overridden contraindication(s) said, and who overrode them, as at the time: the signed
    # version keeps them even if the clinic later edits its contraindications.
    override_contraindication_reason = models.TextField(max_length=2000, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The item's version for the API's ETag and If-Match.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["prong", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(override_contraindication="") | ~Q(override_reason=""),
                name="override_needs_reason",
                violation_error_message="Overriding a contraindication needs a written reason.",
            ),
            models.CheckConstraint(condition=Q(side__in=["", *Side.values]), name="plan_item_side_known"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def patient(self):
        return self.plan.episode.patient

    @property
    def side_note(self) -> str:
        """Which side, in the patient's words, as the handout prints it."""
        return library.side_note(self.intervention.patient_side if self.intervention else "", self.side)


class PlanVersion(models.Model):
    """A signed plan, frozen: its body is a snapshot, never updated."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    body = models.JSONField(encoder=DjangoJSONEncoder)
    changes = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_version_number_per_plan")]

    def __str__(self) -> str:
        return f"Plan {self.plan_id} version {self.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("A signed plan version cannot be changed; sign a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("A signed plan version cannot be deleted.")

    @property
    def patient(self):
        return self.plan.episode.patient

    @cached_property
    def signed(self) -> SignedPlan:
        """The body read once as a typed value, for serializers that name fields by path."""
        return SignedPlan.of(self)


class HandoutStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class HandoutDelivery(models.TextChoices):
    WAITING = "waiting", "Waiting for the PDF"
    OWED = "owed", "Being sent"
    SENT = "sent", "Sent"
    NOT_SENT = "not_sent", "Not sent"
    FAILED = "failed", "Could not be sent"


class Handout(models.Model):
    """The home-program PDF of one signed version. The row records what is still to do; the
    same version always gives the same file, so it is never rendered twice once ready.

    ``delivery`` records the message that tells the patient: it becomes owed when the PDF is
    ready and is sent once; ``delivery_error`` says, without PHI, why it was not sent."""

    version = models.OneToOneField(PlanVersion, on_delete=models.PROTECT, related_name="handout")
    status = models.CharField(max_length=9, choices=HandoutStatus.choices, default=HandoutStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to="handouts/", blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivery = models.CharField(max_length=8, choices=HandoutDelivery.choices, default=HandoutDelivery.WAITING)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_channel = models.CharField(max_length=5, choices=ContactChannel.choices, blank=True)
    delivery_error = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery=HandoutDelivery.SENT, delivered_at__isnull=False)
                | (~Q(delivery=HandoutDelivery.SENT) & Q(delivered_at__isnull=True)),
                name="handout_sent_has_delivered_at",
            ),
            # Nothing is sent before there is a PDF to send.
            models.CheckConstraint(
                condition=Q(delivery=HandoutDelivery.WAITING) | Q(status=HandoutStatus.READY),
                name="handout_delivery_needs_ready_pdf",
            ),
        ]

    def __str__(self) -> str:
        return f"Handout of {self.version}"

    @property
    def patient(self):
        return self.version.plan.episode.patient

    @property
    def may_send_again(self) -> bool:
        """The PDF is ready but its message did not go: a clinician may ask for it again."""
        return self.status == HandoutStatus.READY and self.delivery in (
            HandoutDelivery.NOT_SENT,
            HandoutDelivery.FAILED,
        )

    @property
    def is_pending(self) -> bool:
        """Still being made or sent: the version page keeps checking."""
        return self.status in (HandoutStatus.QUEUED, HandoutStatus.RENDERING) or self.delivery == HandoutDelivery.OWED


class RunProgramTemplate(models.Model):
    """One version of a walk-run program (a phase table and its rules). Shipped programs belong to no clinic; a
    clinic's edit is a new version of its own, so a version a plan was signed with never changes."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, null=True, blank=True, related_name="run_programs")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    version = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    phases = models.JSONField(help_text="The phases in order; see plans.run_programs for their fields.")
    rules = models.JSONField(default=list, blank=True, help_text="Sentences for the runner, printed on the handout.")
    source = models.CharField(max_length=600, blank=True, help_text="Where the program comes from, and its quality.")
    low_quality = models.BooleanField(default=False, help_text="The program comes from a low-quality source.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key", "version"], name="run_program_version_per_clinic"),
            models.UniqueConstraint(
                fields=["key", "version"], condition=Q(clinic__isnull=True), name="run_program_version_shipped"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="run_program_version_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("A program version cannot be changed; save a new version instead.")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        problems = run_programs.phase_problems(self.phases) + run_programs.rule_problems(self.rules)
        if problems:
            raise ValidationError({"phases": problems})

    @property
    def rows(self) -> list[dict]:
        return run_programs.rows(self.phases)
