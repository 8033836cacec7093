"""The home-program check-in, sent through the outbox a few days after a plan is signed (owed
by ``plans.follow_ups``): it carries a fresh portal link, and is not needed once the patient
is logging the home program."""

from __future__ import annotations

from clinic.outbox import reminders
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import MessageStatus, PatientMessage
from clinic.portal.services import link_issue
from plans import follow_ups


def obsolete(message: PatientMessage) -> NotOwed | None:
    version = follow_ups.version_still_wanted(message)
    if isinstance(version, NotOwed):
        return version
    if version.check_ins.exists():
        return NotOwed(MessageStatus.SKIPPED, "The patient is already logging the home program.")
    return None


def prepare(message: PatientMessage) -> Outgoing:
    patient = message.patient
    return reminders.compose(
        message,
        values=reminders.values_of(patient) | follow_ups.values_of(follow_ups.version_of(message)),
        portal=link_issue(patient=patient),
    )
