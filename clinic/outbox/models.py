"""The outbox: one row per message to a patient, the record of what is still to be sent.

A row names its patient, its kind and its subject (the row the message is about: a handout, a
visit, a contact change); the kind says which model the subject is (``clinic.outbox.kinds``).
Most messages are about an episode of care and name it too; a contact change belongs to the
patient alone. Its status moves
pending -> queued -> sending -> sent, or ends skipped (not wanted any more, with the reason),
cancelled (the subject changed before it was due) or failed (the front desk sees it). The
reason is short and never quotes the patient's details.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from clinic.models import EpisodeOfCare, Patient


class MessageKind(models.TextChoices):
    HANDOUT_READY = "handout_ready", "Home program ready"
    VISIT_NOTICE = "visit_notice", "Visit booked, moved or cancelled"
    INTAKE_LINK = "intake_link", "Intake link"
    CONTACT_CHANGE = "contact_change", "Contact details change asked for"


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
