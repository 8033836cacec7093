"""The nudge when an intake is not finished, sent through the outbox: owed when a link is sent
(the clinic's number of days later, before the link expires), replaced by a newer link's,
cancelled when the intake is submitted or the link revoked."""

from __future__ import annotations

from django.utils import timezone

from clinic import thresholds
from clinic.outbox import reminders, services
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from intake.models import Intake, IntakeInvitation

NO_LONGER_LIVE = "The intake link is no longer live."


def link_sent(invitation: IntakeInvitation) -> None:
    """Inside the transaction that makes the link: the nudges of the intake's earlier links go,
    one for this link is owed."""
    intake = invitation.intake
    cancel(intake=intake, reason="A new intake link was sent.")
    clinic = intake.episode.patient.clinic
    days = thresholds.for_clinic(clinic)["intake_nudge_days"]
    if days <= 0:
        return
    due_at = reminders.outside_quiet_hours(clinic, invitation.created_at + reminders.days(days), invitation.expires_at)
    if due_at < invitation.expires_at:
        services.enqueue(kind=MessageKind.INTAKE_NUDGE, episode=intake.episode, subject_id=invitation.pk, due_at=due_at)


def cancel(*, intake: Intake | None = None, invitation: IntakeInvitation | None = None, reason: str) -> None:
    """The intake was submitted or a link revoked: nothing is left to nudge about."""
    links = [invitation.pk] if invitation is not None else intake.invitations.values("pk")
    services.cancel_all(kinds=[MessageKind.INTAKE_NUDGE], subject_ids=links, reason=reason)


def _invitation(message: PatientMessage) -> IntakeInvitation | None:
    return IntakeInvitation.objects.select_related("intake").filter(pk=message.subject_id).first()


def obsolete(message: PatientMessage) -> NotOwed | None:
    invitation = _invitation(message)
    if invitation is None:
        return NotOwed(MessageStatus.CANCELLED, NO_LONGER_LIVE)
    closed = reminders.episode_closed(message)
    if closed is not None:
        return closed
    if invitation.intake.is_submitted:
        return NotOwed(MessageStatus.CANCELLED, "The intake is submitted.")
    if not invitation.is_live or invitation.sent_at is None:
        return NotOwed(MessageStatus.CANCELLED, NO_LONGER_LIVE)
    return None


def prepare(message: PatientMessage) -> Outgoing:
    patient = message.patient
    sent = timezone.localtime(_invitation(message).sent_at, patient.clinic.zone)
    return reminders.compose(message, values=reminders.values_of(patient) | {"sent_day": f"{sent.day} {sent:%B}"})
