"""The reminder that a plan's re-assessment is due, sent through the outbox (owed when the plan
is signed, ``plans.follow_ups``): not needed once a re-assessment visit is booked."""

from __future__ import annotations

from clinic.outbox import reminders
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import MessageStatus, PatientMessage
from clinic.scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from plans import follow_ups


def obsolete(message: PatientMessage) -> NotOwed | None:
    version = follow_ups.version_still_wanted(message)
    if isinstance(version, NotOwed):
        return version
    booked = Appointment.objects.filter(
        episode=message.episode,
        kind=AppointmentKind.REASSESSMENT,
        starts_at__gte=version.signed_at,
        status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED],
    )
    if booked.exists():
        return NotOwed(MessageStatus.SKIPPED, "A re-assessment is booked.")
    return None


def prepare(message: PatientMessage) -> Outgoing:
    values = reminders.values_of(message.patient) | follow_ups.values_of(follow_ups.version_of(message))
    return reminders.compose(message, values=values)
