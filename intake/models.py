"""The online intake of an episode of care: invitations, answers, scores and red flags."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clinic.models import ContactChannel, EpisodeOfCare, plausible_date_constraint
from intake import instruments, scoring


class IntakeStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"


class Intake(models.Model):
    """One intake per episode. Answers are stored per step as the patient moves on."""

    episode = models.OneToOneField(EpisodeOfCare, on_delete=models.PROTECT, related_name="intake")
    status = models.CharField(max_length=11, choices=IntakeStatus.choices, default=IntakeStatus.NOT_STARTED)
    # {step code: {field: value}}: only answers that passed the step's validation.
    answers = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # {step code: {field: raw value}}: what the patient typed on a step that did not validate,
    # kept so that nothing entered is lost when they leave and come back.
    drafts = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    consent_name = models.CharField(max_length=150, blank=True)
    consent_relationship = models.CharField(max_length=60, blank=True)
    consent_signed_at = models.DateTimeField(null=True, blank=True)
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Derived on submit (intake.rules.load_facts), as [{code, value, threshold, message}].
    load_facts = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=IntakeStatus.SUBMITTED) | Q(submitted_at__isnull=False),
                name="intake_submitted_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"Intake for episode {self.episode_id}"

    @property
    def patient(self):
        return self.episode.patient

    @property
    def is_submitted(self) -> bool:
        return self.status == IntakeStatus.SUBMITTED


class IntakeInvitation(models.Model):
    """A link sent to the patient. Only the SHA-256 of its token is stored.

    The token is made when the message is delivered, so the raw token exists only in the
    message the patient receives. Re-sending revokes the previous link.
    """

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="invitations")
    channel = models.CharField(max_length=5, choices=ContactChannel.choices)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["intake"], condition=Q(revoked_at__isnull=True), name="intake_one_live_invitation"
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="invitation_expires_later"),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} for intake {self.intake_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class QuestionnaireScore(models.Model):
    """One instrument's raw answers and the score computed from them on submit."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="scores")
    instrument = models.CharField(max_length=16)
    version = models.CharField(max_length=40)
    answers = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    value = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    display = models.CharField(max_length=120)
    items_answered = models.PositiveSmallIntegerField()
    items_total = models.PositiveSmallIntegerField()
    complete = models.BooleanField()
    scored = models.BooleanField()
    band = models.CharField(max_length=16, blank=True)
    detail = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["intake", "instrument"], name="one_score_per_instrument")]

    def __str__(self) -> str:
        return f"{self.instrument}: {self.display}"

    @property
    def band_label(self) -> str:
        return scoring.BAND_LABELS.get(self.band, "")

    @property
    def patient(self):
        return self.intake.episode.patient


class RedFlagTier(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    URGENT = "urgent", "Urgent"
    CAUTION = "caution", "Caution"


class RedFlag(models.Model):
    """A coded red flag on an episode. Open until a clinician records medical clearance;
    plans read open flags (no manipulation while an emergency or urgent flag is open)."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="red_flags")
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, null=True, blank=True, related_name="red_flags")
    code = models.CharField(max_length=40)
    tier = models.CharField(max_length=9, choices=RedFlagTier.choices)
    label = models.CharField(max_length=200)
    raised_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    clearance_note = models.TextField(max_length=2000, blank=True)
    # The database row records whether the lead clinician has been alerted.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Open flags first, the most severe at the top; cleared ones after, newest first.
        ordering = [
            models.F("cleared_at").desc(nulls_first=True),
            models.Case(
                models.When(tier="emergency", then=0),
                models.When(tier="urgent", then=1),
                default=2,
                output_field=models.IntegerField(),
            ),
            "-raised_at",
            "id",
        ]
        indexes = [models.Index(fields=["episode", "cleared_at"], name="redflag_episode_open")]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "code"], condition=Q(cleared_at__isnull=True), name="one_open_flag_per_code"
            ),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True) | ~Q(clearance_note=""),
                name="clearance_has_reason",
                violation_error_message="Say why the flag is cleared.",
            ),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True) | Q(cleared_at__gte=models.F("raised_at")),
                name="cleared_after_raised",
                violation_error_message="A flag is cleared after it was raised.",
            ),
            plausible_date_constraint("red_flag_dates_plausible", "raised_at", "cleared_at", moment=True),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()}: {self.label}"

    @property
    def patient(self):
        return self.episode.patient

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class ReviewNote(models.Model):
    """A clinician's note on a submitted intake; the patient's answers stay as submitted."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="review_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note by {self.author} on {self.created_at:%Y-%m-%d}"

    @property
    def patient(self):
        return self.intake.episode.patient


class LicensedInstrumentText(models.Model):
    """A clinic's licensed wording of a questionnaire (e.g. the ODI from Mapi Research Trust).

    The product ships structure and scoring only, with placeholder text; a clinic holding a
    licence enters the wording here. Scoring never changes: only the text the patient sees.
    """

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="instrument_texts")
    instrument = models.CharField(max_length=16, choices=[("odi", "Oswestry Disability Index"), ("lefs", "LEFS")])
    instructions = models.TextField(max_length=2000, blank=True)
    # {item code: item text}
    item_texts = models.JSONField(default=dict)
    # {item code: [one label per option, in option order]}
    option_labels = models.JSONField(default=dict, blank=True)
    licence_reference = models.CharField(max_length=200, help_text="Your licence or permission reference.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "instrument"], name="one_licensed_text_per_instrument")
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} wording for {self.clinic}"

    def apply(self, instrument):
        """The instrument with this wording; raises ValueError when the wording does not fit it."""
        return instruments.with_licensed_text(
            instrument, self.item_texts, self.option_labels or None, instructions=self.instructions or None
        )

    def clean(self) -> None:
        super().clean()
        try:
            self.apply(instruments.INSTRUMENTS[self.instrument])
        except (ValueError, KeyError, TypeError) as error:
            raise ValidationError({"item_texts": f"The wording does not fit the questionnaire: {error}"}) from error
