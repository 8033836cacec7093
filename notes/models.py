"""Visit notes: what was done at a follow-up visit, how the patient responded, what comes next.

One note per visit. A signed note is never changed: corrections and late entries are addenda
with their own author and time, the original kept as it was (DOMAIN B12.2, S223). The services
enforce it; ``save`` refuses an update of a signed note as a last guard.
"""

from __future__ import annotations

import functools
import operator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q

from assessments import findings, progress, scoring
from assessments.models import Assessment
from clinic.models import EpisodeOfCare, plausible_date_constraint
from clinic.scheduling.models import Appointment
from domain.facts import SCORE_RANGES
from notes import measures, safety
from plans.models import HandoutStatus, PlanVersion, Prong, TreatmentPlan

NPRS_RANGE = [MaxValueValidator(10)]
# A visit longer than a working day is a typing slip, not a visit.
MINUTES_RANGE = [MaxValueValidator(600)]


class Response(models.TextChoices):
    BETTER = "better", "Better"
    SAME = "same", "Same"
    WORSE = "worse", "Worse"


class ItemStatus(models.TextChoices):
    DELIVERED = "delivered", "Delivered as planned"
    MODIFIED = "modified", "Delivered, modified"
    NOT_DONE = "not_done", "Not done today"


# What the clinician writes on a note (its form's fields, and what saving a draft may change).
NOTE_FIELDS = (
    "pain_now",
    "pain_since_last",
    "function",
    "adherence",
    "new_symptoms",
    "red_flag_symptoms",
    "response",
    "response_text",
    "next_visit",
    "changes",
    "total_minutes",
    "timed_minutes",
)


def validate_symptom_codes(value) -> None:
    # A JSON list's contents cannot be checked by the database on every backend the product runs
    # on (SQLite has no containment test): checked here and by the form.
    if not isinstance(value, list) or not all(isinstance(code, str) and code in safety.SYMPTOM_CODES for code in value):
        raise ValidationError("Choose symptoms from the list.")


class ThrustMark(models.TextChoices):
    SPINAL = "spinal", "Yes, spinal (lumbar or sacroiliac)"
    OTHER = "other", "Yes, another joint (for example the hip)"


class VisitNote(models.Model):
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="note")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The signed plan the note's lines were pre-filled from (none when the episode had none).
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The signer's credentials as they were at the signature.
    signed_credentials = models.CharField(max_length=80, blank=True)

    # Subjective.
    pain_now = models.PositiveSmallIntegerField("pain now (0–10)", null=True, blank=True, validators=NPRS_RANGE)
    pain_since_last = models.PositiveSmallIntegerField(
        "worst pain since the last visit (0–10)", null=True, blank=True, validators=NPRS_RANGE
    )
    function = models.TextField("function", max_length=2000, blank=True)
    adherence = models.TextField("home-program adherence", max_length=2000, blank=True)
    new_symptoms = models.TextField("new symptoms", max_length=2000, blank=True)
    # The intake's red-flag items the clinician ticked as new (notes.safety.SYMPTOMS codes); they raise
    # the episode's red flags through the intake's rule.
    red_flag_symptoms = models.JSONField(
        "new red-flag symptoms", default=list, blank=True, validators=[validate_symptom_codes]
    )
    # Assessment.
    response = models.CharField("response to treatment", max_length=6, choices=Response.choices, blank=True)
    response_text = models.TextField("in what", max_length=2000, blank=True)
    # Plan.
    next_visit = models.TextField("plan for the next visit", max_length=2000, blank=True)
    changes = models.TextField("changes to the plan or home program", max_length=2000, blank=True)
    total_minutes = models.PositiveSmallIntegerField(
        "total treatment minutes", null=True, blank=True, validators=MINUTES_RANGE
    )
    timed_minutes = models.PositiveSmallIntegerField(
        "timed-code minutes", null=True, blank=True, validators=MINUTES_RANGE
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The clinician's "notes to finish": their unsigned notes, oldest first; signed
            # notes (nearly all of them) stay out of the index.
            models.Index(fields=["author", "created_at"], condition=Q(signed_at__isnull=True), name="note_unsigned"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, signed_by__isnull=True)
                | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="note_signed_with_signer",
            ),
            models.CheckConstraint(condition=Q(pain_now__isnull=True) | Q(pain_now__lte=10), name="note_pain_now_0_10"),
            models.CheckConstraint(
                condition=Q(pain_since_last__isnull=True) | Q(pain_since_last__lte=10), name="note_pain_since_0_10"
            ),
            models.CheckConstraint(condition=Q(response__in=["", *Response.values]), name="note_response_known"),
            models.CheckConstraint(
                condition=Q(total_minutes__isnull=True)
                | Q(timed_minutes__isnull=True)
                | Q(timed_minutes__lte=F("total_minutes")),
                name="note_timed_within_total",
                violation_error_message="Timed minutes cannot be more than the total minutes.",
            ),
        ]

    def __str__(self) -> str:
        return f"Note of visit {self.appointment_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and type(self).objects.filter(pk=self.pk, signed_at__isnull=False).exists():
            raise PermissionError("A signed note cannot be changed; add an addendum instead.")
        super().save(*args, **kwargs)

    @property
    def patient(self):
        return self.appointment.episode.patient

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class NoteItem(models.Model):
    """One intervention of the visit: a line of the signed plan, or one added at the visit."""

    note = models.ForeignKey(VisitNote, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    prong = models.CharField(max_length=12, choices=Prong.choices)
    name = models.CharField("intervention", max_length=120)
    from_plan = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default=ItemStatus.DELIVERED)
    not_done_reason = models.CharField("reason not done", max_length=300, blank=True)
    region = models.CharField("region or segment", max_length=80, blank=True, help_text="For example: L4, SIJ R.")
    technique = models.CharField(max_length=120, blank=True)
    minutes = models.PositiveSmallIntegerField(null=True, blank=True, validators=MINUTES_RANGE)
    sets = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(50)])
    reps = models.CharField(max_length=40, blank=True)
    load = models.CharField(max_length=60, blank=True, help_text="For example: 5 kg, red band.")
    progression = models.CharField("progression made", max_length=300, blank=True)
    # The clinic library's intervention the line is (from the plan, or chosen at the visit), by key as a
    # signed plan names it; empty for a line typed in by name. Its tags say whether it is a thrust.
    intervention_key = models.CharField(max_length=60, blank=True)
    thrust = models.CharField(
        "thrust technique",
        max_length=6,
        choices=ThrustMark.choices,
        blank=True,
        help_text="Whether the technique delivered is a thrust (high-velocity, low-amplitude) manipulation.",
    )

    class Meta:
        ordering = ["note", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(thrust__in=["", *ThrustMark.values]), name="note_item_thrust_known"),
            models.CheckConstraint(condition=Q(prong__in=Prong.values), name="note_item_prong_known"),
            models.CheckConstraint(condition=Q(status__in=ItemStatus.values), name="note_item_status_known"),
            models.CheckConstraint(
                condition=~Q(status=ItemStatus.NOT_DONE) | ~Q(not_done_reason=""),
                name="note_item_not_done_has_reason",
                violation_error_message="Say why the intervention was not done.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def patient(self):
        return self.note.patient


class NoteAddendum(models.Model):
    """A correction or late entry to a signed note: its own author and time; never edited."""

    note = models.ForeignKey(VisitNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(max_length=4000)

    class Meta:
        ordering = ["note", "created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="addendum_has_text")]

    def __str__(self) -> str:
        return f"Addendum {self.pk} to {self.note}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("An addendum cannot be changed; add another one.")
        super().save(*args, **kwargs)

    @property
    def patient(self):
        return self.note.patient


# --- Re-measures at the visit (the note's Objective section) -------------------------------------------

_SIDES = [("left", "Left"), ("right", "Right")]


class MeasureKind(models.TextChoices):
    ROM = measures.ROM, "Hip range of motion"
    SLR = measures.SLR, "Straight-leg raise angle"
    SPECIAL_TEST = measures.SPECIAL_TEST, "Special test"


def _degrees_in(low: int, high: int) -> Q:
    return Q(degrees__isnull=False, degrees__gte=low, degrees__lte=high)


class NoteMeasure(models.Model):
    """A quick re-measure at the visit, on one side: a hip motion (with how it was taken, as the
    exam keeps it), the SLR angle, or a special test's result. Codes and plausible ranges are the
    exam's (``assessments.scoring``, ``assessments.findings``); the comparison with the baseline is
    ``notes.measures``'s. One row per note, measure and side: measuring again replaces it."""

    note = models.ForeignKey(VisitNote, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(max_length=12, choices=MeasureKind.choices)
    # A hip motion (scoring.MOTIONS), "slr", or a special test (findings.SPECIAL_TESTS).
    code = models.CharField(max_length=20)
    side = models.CharField(max_length=5, choices=_SIDES)
    degrees = models.SmallIntegerField(null=True, blank=True)
    result = models.CharField(max_length=8, blank=True, choices=list(measures.RESULT_LABELS.items()))
    position = models.CharField(max_length=10, blank=True, choices=list(scoring.ROM_POSITIONS.items()))
    device = models.CharField(max_length=12, blank=True, choices=list(scoring.ROM_DEVICES.items()))
    mode = models.CharField(max_length=7, blank=True, choices=list(scoring.ROM_MODES.items()))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["note", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["note", "kind", "code", "side"],
                name="note_measure_one_per_side",
                violation_error_message="This measure is already recorded for that side.",
            ),
            models.CheckConstraint(condition=Q(side__in=scoring.SIDES), name="note_measure_side_known"),
            models.CheckConstraint(
                condition=Q(kind=MeasureKind.ROM, code__in=scoring.MOTIONS)
                | Q(kind=MeasureKind.SLR, code=measures.SLR)
                | Q(kind=MeasureKind.SPECIAL_TEST, code__in=list(findings.SPECIAL_TEST_LABELS)),
                name="note_measure_code_known",
            ),
            # A motion's degrees within the exam's plausible range for it, taken in a known way.
            models.CheckConstraint(
                condition=~Q(kind=MeasureKind.ROM)
                | (
                    Q(
                        result="",
                        position__in=list(scoring.ROM_POSITIONS),
                        device__in=list(scoring.ROM_DEVICES),
                        mode__in=list(scoring.ROM_MODES),
                    )
                    & functools.reduce(
                        operator.or_,
                        (Q(code=motion) & _degrees_in(*scoring.PLAUSIBLE_ROM[motion]) for motion in scoring.MOTIONS),
                    )
                ),
                name="note_measure_rom_shape",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MeasureKind.SLR)
                | (Q(result="", position="", device="", mode="") & _degrees_in(*measures.SLR_RANGE)),
                name="note_measure_slr_shape",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MeasureKind.SPECIAL_TEST)
                | Q(degrees__isnull=True, result__in=measures.RESULTS, position="", device="", mode=""),
                name="note_measure_test_shape",
            ),
        ]

    def __str__(self) -> str:
        return self.value.label

    @property
    def value(self) -> measures.Remeasure:
        method = None
        if self.kind == MeasureKind.ROM:
            method = progress.RomMethod(position=self.position, device=self.device, mode=self.mode)
        return measures.Remeasure(
            kind=self.kind, code=self.code, side=self.side, degrees=self.degrees, result=self.result, method=method
        )

    @property
    def patient(self):
        return self.note.patient


class NotePlanDraft(models.Model):
    """A new plan version a note's progressions drafted: the plan's working copy, changed from the signed
    version ``from_version`` and waiting for the clinician's signature as version ``number``. Never signed
    here: the plan's own signing makes the version, its handout and the portal's home program."""

    note = models.OneToOneField(VisitNote, on_delete=models.PROTECT, related_name="plan_draft")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="+")
    from_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    # The changes as the note's page lists them ("Glute bridge: 2 × 10 → 3 × 12").
    changes = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One note drafts a given version: a second note finds the plan already in draft.
            models.UniqueConstraint(fields=["plan", "number"], name="note_plan_draft_one_per_version"),
        ]

    def __str__(self) -> str:
        return f"Plan {self.plan_id} version {self.number} drafted from {self.note}"

    @property
    def patient(self):
        return self.note.patient


class NotePartFinding(models.Model):
    """The chiropractic PART exam at one segment (DOMAIN B12.1; S225, secondary): which of the four
    criteria were found. All four unticked: the segment was examined and none was found."""

    note = models.ForeignKey(VisitNote, on_delete=models.CASCADE, related_name="part_findings")
    segment = models.CharField(max_length=10, choices=measures.SEGMENTS)
    pain = models.BooleanField("pain / tenderness", default=False)
    asymmetry = models.BooleanField("asymmetry / misalignment", default=False)
    range_of_motion = models.BooleanField("range-of-motion abnormality", default=False)
    tissue_tone = models.BooleanField("tissue / tone change", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["note", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["note", "segment"],
                name="note_part_one_per_segment",
                violation_error_message="This segment is already recorded on the note.",
            ),
            models.CheckConstraint(
                condition=Q(segment__in=list(measures.SEGMENT_LABELS)), name="note_part_segment_known"
            ),
        ]

    def __str__(self) -> str:
        return f"PART {self.get_segment_display()}: {self.exam.letters}"

    @property
    def exam(self) -> measures.PartExam:
        return measures.PartExam(
            pain=self.pain, asymmetry=self.asymmetry, range_of_motion=self.range_of_motion, tissue_tone=self.tissue_tone
        )

    @property
    def patient(self):
        return self.note.patient


class ProgressReport(models.Model):
    """A re-assessment recorded as the episode's progress report (US Medicare Part B, where the clinic turns
    progress reports on): the progress toward each goal, the plans and any changes to the goals (DOMAIN
    B12.3, S215). The count of treatment days toward the next report starts again after ``reported_on``."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="progress_reports")
    assessment = models.OneToOneField(Assessment, on_delete=models.PROTECT, related_name="progress_report")
    # The re-assessment's day, copied so the dashboard's count reads one table.
    reported_on = models.DateField()
    goal_progress = models.TextField("progress toward each goal", max_length=4000)
    plans = models.TextField("plans", max_length=2000)
    goal_changes = models.TextField("changes to the goals", max_length=2000, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["episode", "-reported_on", "-id"]
        indexes = [models.Index(fields=["episode", "reported_on"], name="progress_report_episode_day")]
        constraints = [
            models.CheckConstraint(condition=~Q(goal_progress=""), name="progress_report_has_goal_progress"),
            models.CheckConstraint(condition=~Q(plans=""), name="progress_report_has_plans"),
        ]

    def __str__(self) -> str:
        return f"Progress report of episode {self.episode_id} on {self.reported_on}"

    @property
    def patient(self):
        return self.episode.patient


FUTURE_CERTIFICATION = "A certification cannot be dated after today."


class PlanCertification(models.Model):
    """That the episode's plan of care was certified, or re-certified, by a physician or non-physician
    practitioner (US Medicare Part B, where the clinic turns progress reports on; DOMAIN B12.3, S216). The
    clinic does not certify: the clinician records who did and on which day; the certified period starts again
    on ``certified_on``. A chiropractor may not certify or recertify a therapy plan of care (S216)."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="plan_certifications")
    certified_on = models.DateField("certified on")
    certified_by = models.CharField("certified by", max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["episode", "-certified_on", "-id"]
        indexes = [models.Index(fields=["episode", "certified_on"], name="plan_certification_episode_day")]
        constraints = [
            models.CheckConstraint(condition=~Q(certified_by=""), name="plan_certification_has_certifier"),
        ]

    def __str__(self) -> str:
        return f"Plan certification of episode {self.episode_id} on {self.certified_on}"

    @property
    def patient(self):
        return self.episode.patient


# --- Discharge and follow-up (the end of an episode and what is measured after it) ---------------


class DischargeReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met"
    STOPPED_ATTENDING = "stopped_attending", "Patient stopped attending"
    REFERRED_ON = "referred_on", "Referred on"
    OTHER = "other", "Other"


class Discharge(models.Model):
    """How and why an episode ended, and what the patient's summary (and a referrer's letter) say.

    Written once, with the episode's status, by ``notes.discharge``; its PDFs are
    ``DischargeDocument`` rows rendered in the background."""

    episode = models.OneToOneField(EpisodeOfCare, on_delete=models.PROTECT, related_name="discharge")
    reason = models.CharField(max_length=20, choices=DischargeReason.choices)
    reason_text = models.CharField("reason, in a few words", max_length=300, blank=True)
    discharged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    discharged_at = models.DateTimeField()
    discharged_on = models.DateField()
    what_improved = models.TextField("what improved", max_length=3000, blank=True)
    home_program = models.TextField("home program to keep", max_length=3000, blank=True)
    when_to_come_back = models.TextField("when to come back", max_length=3000, blank=True)
    referrer_name = models.CharField("referrer's name", max_length=150, blank=True)
    referrer_address = models.TextField("referrer's address", max_length=500, blank=True)
    letter_wanted = models.BooleanField("write a letter to the referrer", default=False)

    class Meta:
        ordering = ["-discharged_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(reason__in=DischargeReason.values), name="discharge_reason_known"),
            models.CheckConstraint(
                condition=~Q(reason=DischargeReason.OTHER) | ~Q(reason_text=""),
                name="discharge_other_has_text",
                violation_error_message="Say why, when the reason is other.",
            ),
            models.CheckConstraint(
                condition=Q(letter_wanted=False) | (~Q(referrer_name="") & ~Q(referrer_address="")),
                name="discharge_letter_has_referrer",
                violation_error_message="A letter needs the referrer's name and address.",
            ),
            plausible_date_constraint("discharge_dates_plausible", "discharged_on"),
        ]

    def __str__(self) -> str:
        return f"Discharge of episode {self.episode_id}"

    @property
    def patient(self):
        return self.episode.patient


class DischargeDocumentKind(models.TextChoices):
    SUMMARY = "summary", "Discharge summary for the patient"
    LETTER = "letter", "Letter to the referrer"


class DischargeDocument(models.Model):
    """A discharge PDF still to render (or rendered): the row is the record of what is owed."""

    discharge = models.ForeignKey(Discharge, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=7, choices=DischargeDocumentKind.choices)
    status = models.CharField(max_length=9, choices=HandoutStatus.choices, default=HandoutStatus.QUEUED)
    file = models.FileField(upload_to="discharges/", blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["discharge", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["discharge", "kind"], name="discharge_one_document_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=DischargeDocumentKind.values), name="discharge_document_kind"),
            models.CheckConstraint(condition=Q(status__in=HandoutStatus.values), name="discharge_document_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of discharge {self.discharge_id}"

    @property
    def patient(self):
        return self.discharge.episode.patient


class FollowUpKind(models.TextChoices):
    FINAL = "final", "Final measures"
    FOLLOW_UP = "follow_up", "Follow-up after discharge"


class FollowUp(models.Model):
    """The episode's outcome questionnaires owed to the patient by link: at discharge (``final``)
    or some months after it (``follow_up``). The row records what is still to send and what came
    back; the message itself goes through the outbox (``notes.follow_up_messages``)."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(max_length=9, choices=FollowUpKind.choices)
    due_on = models.DateField()
    # The link's token exists only in the message; its hash is stored when the message is composed.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "kind", "due_on"], name="follow_up_once_per_day"),
            models.CheckConstraint(condition=Q(kind__in=FollowUpKind.values), name="follow_up_kind_known"),
            plausible_date_constraint("follow_up_due_plausible", "due_on"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of episode {self.episode_id} due {self.due_on:%Y-%m-%d}"

    @property
    def patient(self):
        return self.episode.patient


class FollowUpScore(models.Model):
    """One questionnaire the patient answered by a follow-up link, scored by the intake's engine:
    the episode's follow-up scores, read beside the intake's and the visits'."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="scores")
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

    class Meta:
        ordering = ["follow_up", "instrument"]
        constraints = [
            models.UniqueConstraint(fields=["follow_up", "instrument"], name="follow_up_one_score_per_instrument"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument}: {self.display}"

    @property
    def patient(self):
        return self.follow_up.episode.patient


class FollowUpConsent(models.Model):
    """Whether the patient agreed to receive outcome questionnaires after discharge. No row, or
    ``agreed`` off (the default), means none are scheduled."""

    patient = models.OneToOneField("clinic.Patient", on_delete=models.CASCADE, related_name="follow_up_consent")
    agreed = models.BooleanField("agrees to follow-up questionnaires after discharge", default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Follow-up consent of patient {self.patient_id}"


# The measures the outcomes page judges, in its order (``notes.outcome_selectors.MEASURES``).
OUTCOME_MEASURES = tuple(SCORE_RANGES)


class OutcomeEpisode(models.Model):
    """A discharged episode as the clinic outcomes page counts it, judged once rather than on every read.

    Written by ``notes.outcome_facts`` when the episode is discharged and again whenever what it rests on changes
    afterwards (a questionnaire answered by link, a finding, the lead clinician, the clinic's thresholds). Whether a
    follow-up was missed depends on the day the page is read, so the follow-ups' due days are kept, not the verdict.
    Per measure of ``OUTCOME_MEASURES``: ``<measure>_measured`` (a reading exists), ``<measure>_mcid`` and
    ``<measure>_pass`` (None when not judged: see ``notes.outcomes.MeasureOutcome``).
    """

    episode = models.OneToOneField(
        EpisodeOfCare, on_delete=models.CASCADE, primary_key=True, related_name="outcome_fact"
    )
    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    discharged_on = models.DateField()
    # The (condition, rule, prong) groups the episode counts in, as sorted JSON: episodes are tallied by it.
    groups = models.TextField()
    visits = models.PositiveIntegerField()
    weeks = models.DecimalField(max_digits=6, decimal_places=1)
    # The earliest due day of a follow-up, and of one still unanswered: one was due (or missed) once it has passed.
    follow_up_due_on = models.DateField(null=True, blank=True)
    unanswered_due_on = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["clinic", "discharged_on"], name="outcome_clinic_discharged")]

    def __str__(self) -> str:
        return f"Outcome of episode {self.episode_id}"

    @property
    def patient(self):
        return self.episode.patient


for _measure in OUTCOME_MEASURES:
    OutcomeEpisode.add_to_class(f"{_measure}_measured", models.BooleanField(default=False))
    OutcomeEpisode.add_to_class(f"{_measure}_mcid", models.BooleanField(null=True, blank=True))
    OutcomeEpisode.add_to_class(f"{_measure}_pass", models.BooleanField(null=True, blank=True))
