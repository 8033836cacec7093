"""The outbox: one row per message to a patient, the record of what is still to be sent.

A row names its patient, its kind and its subject (the row the message is about: a handout, a
visit, a contact change); the kind says which model the subject is (``clinic.outbox.kinds``).
Most messages are about an episode of care and name it too; a contact change belongs to the
patient alone. Its status moves
pending -> queued -> sending -> sent, or ends skipped (not wanted any more, with the reason),
cancelled (the subject changed before it was due) or failed (the front desk sees it). The
reason is short and never quotes the patient's details.

A clinic's own words for a kind of message (``MessageWording``) live here too, beside the
shipped defaults (``clinic.outbox.wording``), so every app that writes to patients reads them
without reaching another app.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from clinic.models import Clinic, EpisodeOfCare, Patient
from clinic.outbox import wording


class MessageKind(models.TextChoices):
    HANDOUT_READY = "handout_ready", "Home program ready"
    VISIT_NOTICE = "visit_notice", "Visit booked, moved or cancelled"
    VISIT_SERIES = "visit_series", "Visits of a plan booked together"
    INTAKE_LINK = "intake_link", "Intake link"
    CONTACT_CHANGE = "contact_change", "Contact details change asked for"
    FIRST = "first", "First visit reminder"
    SECOND = "second", "Second visit reminder"
    INTAKE_NUDGE = "intake_nudge", "Intake not finished"
    CHECK_IN = "check_in", "Home-program check-in"
    REASSESSMENT = "reassessment", "Re-assessment due"
    FOLLOW_UP = "follow_up", "Outcome questionnaires after discharge"
    RUN_MORNING = "run_morning", "Pain the morning after a run"


# Reminders are sent on the clinic's clock (quiet hours) and carry a link to stop them.
VISIT_REMINDERS = (MessageKind.FIRST, MessageKind.SECOND)
PLAN_REMINDERS = (MessageKind.CHECK_IN, MessageKind.REASSESSMENT)
REMINDERS = (
    *VISIT_REMINDERS,
    MessageKind.INTAKE_NUDGE,
    *PLAN_REMINDERS,
    MessageKind.FOLLOW_UP,
    MessageKind.RUN_MORNING,
)


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    QUEUED = "queued", "Queued"
    # Between handing the message to the provider and recording the outcome; a row left here
    # by a dead worker is failed, never sent again.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not needed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


UNSENT = (MessageStatus.PENDING, MessageStatus.QUEUED)


class PatientMessage(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="patient_messages")
    episode = models.ForeignKey(
        EpisodeOfCare, on_delete=models.CASCADE, null=True, blank=True, related_name="patient_messages"
    )
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    subject_id = models.PositiveBigIntegerField(help_text="The row the message is about; its model follows the kind.")
    status = models.CharField(max_length=9, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Empty until the message goes (the patient's preferred channel then), unless the kind fixed
    # it when the message was owed: a contact-change notice per confirmed address.
    channel = models.CharField(max_length=5, blank=True)
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was not sent; no patient details.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="patient_message_status_due"),
            models.Index(fields=["kind", "subject_id"], name="patient_message_subject"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MessageKind.values), name="patient_message_kind_known"),
            # One message owed per subject and kind (per channel, for a kind that fixes it when
            # owed): a later change moves it rather than adding one.
            models.UniqueConstraint(
                fields=["kind", "subject_id", "channel"],
                condition=Q(status__in=UNSENT),
                name="patient_message_one_unsent",
            ),
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values), name="patient_message_status_known"),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.SENT) | Q(sent_at__isnull=False), name="patient_message_sent_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.SENDING) | Q(sending_at__isnull=False),
                name="patient_message_sending_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.FAILED) | ~Q(reason=""), name="patient_message_failure_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} to patient {self.patient_id}"


class LinkAction(models.TextChoices):
    CONFIRM = "confirm", "Confirm the visit"
    CANCEL = "cancel", "Cancel the visit"
    OPT_OUT = "opt_out", "Stop reminders"
    RESCHEDULE = "reschedule", "Move the visit"


class MessageLink(models.Model):
    """A single-use action link in a sent message (a reminder's "confirm", "cancel", "move" and
    "stop reminders"). Only the SHA-256 of its token is stored; the raw token exists only in the
    message the patient received. A text message carries the short form of the token
    (``clinic.signed_links.SHORT``), found by the same hash."""

    message = models.ForeignKey(PatientMessage, on_delete=models.CASCADE, related_name="links")
    action = models.CharField(max_length=10, choices=LinkAction.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=LinkAction.values), name="message_link_action_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} link of message {self.message_id}"


class WordingKind(models.TextChoices):
    """Every message to patients whose words a clinic may change: the reminders and the notices
    (a visit notice's words follow what happened to the visit)."""

    FIRST = MessageKind.FIRST.value, MessageKind.FIRST.label
    SECOND = MessageKind.SECOND.value, MessageKind.SECOND.label
    INTAKE_NUDGE = MessageKind.INTAKE_NUDGE.value, MessageKind.INTAKE_NUDGE.label
    CHECK_IN = MessageKind.CHECK_IN.value, MessageKind.CHECK_IN.label
    REASSESSMENT = MessageKind.REASSESSMENT.value, MessageKind.REASSESSMENT.label
    VISIT_BOOKED = "visit_booked", "Visit booked"
    VISIT_MOVED = "visit_moved", "Visit moved"
    VISIT_CANCELLED = "visit_cancelled", "Visit cancelled"
    HOME_PROGRAM = "home_program", "Home program ready"
    INTAKE_LINK = "intake_link", "Intake link"
    CONTACT_CHANGE = MessageKind.CONTACT_CHANGE.value, MessageKind.CONTACT_CHANGE.label
    FOLLOW_UP = MessageKind.FOLLOW_UP.value, MessageKind.FOLLOW_UP.label
    RUN_MORNING = MessageKind.RUN_MORNING.value, MessageKind.RUN_MORNING.label


# The visit reminders: only their wording may differ by visit type.
PER_VISIT_TYPE = VISIT_REMINDERS


class MessageWording(models.Model):
    """A clinic's wording of one kind of message (a reminder, a notice), optionally for one visit
    type only. Without a row the shipped default of ``clinic.outbox.wording`` is used.

    The table keeps the name it had in scheduling (the model moved without moving its rows)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="wordings")
    kind = models.CharField(max_length=20, choices=WordingKind.choices)
    # Named, not imported: the visit types are scheduling's.
    appointment_type = models.ForeignKey(
        "scheduling.AppointmentType",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="wordings",
        help_text="Empty: every visit type. Only for visit reminders.",
    )
    subject = models.CharField("e-mail subject", max_length=150)
    body = models.TextField("e-mail text", max_length=2000)
    sms_body = models.CharField(
        "text message",
        max_length=300,
        help_text="Plain and short: links to stop reminders (and to confirm, cancel or move a visit) are added.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "scheduling_remindertemplate"
        ordering = ["kind", "appointment_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "kind"], condition=Q(appointment_type__isnull=True), name="one_template_per_kind"
            ),
            models.UniqueConstraint(
                fields=["clinic", "kind", "appointment_type"],
                condition=Q(appointment_type__isnull=False),
                name="one_template_per_kind_and_type",
            ),
            models.CheckConstraint(
                condition=Q(appointment_type__isnull=True) | Q(kind__in=PER_VISIT_TYPE),
                name="template_type_only_for_visit_reminders",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} wording of {self.clinic}"

    def clean(self) -> None:
        super().clean()
        if self.appointment_type_id and self.kind not in PER_VISIT_TYPE:
            raise ValidationError({"appointment_type": "Only visit reminders can have wording per visit type."})
        errors = {}
        for field in ("subject", "body", "sms_body"):
            unknown = wording.unknown_placeholders(getattr(self, field) or "", self.kind)
            if unknown:
                names = ", ".join("{" + name + "}" for name in unknown)
                errors[field] = f"Unknown placeholder {names}. Use only: {wording.allowed_list(self.kind)}."
        if errors:
            raise ValidationError(errors)
