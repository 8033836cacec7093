"""The next-morning pain question after a logged run, sent through the outbox as a reminder
(consent, the opt-out and quiet hours as for every reminder). It carries a fresh portal link
to the run's morning question, and no detail of the run. Not needed once the answer is in.
"""

from __future__ import annotations

import dataclasses

from clinic.outbox import reminders
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import MessageStatus, PatientMessage
from clinic.portal import services as portal
from clinic.portal.models import PortalLink
from running.models import Run

ANSWERED = "The patient already answered."
RUN_GONE = "The run no longer exists."


def obsolete(message: PatientMessage) -> NotOwed | None:
    run = Run.objects.filter(pk=message.subject_id).only("morning_pain").first()
    if run is None:
        return NotOwed(MessageStatus.CANCELLED, RUN_GONE)
    if run.morning_pain is not None:
        return NotOwed(MessageStatus.SKIPPED, ANSWERED)
    return reminders.episode_closed(message)


def prepare(message: PatientMessage) -> Outgoing:
    patient = message.patient
    link, url = portal.link_make(patient=patient, page="portal_run_morning", page_args=(message.subject_id,))
    outgoing = reminders.compose(message, values=reminders.values_of(patient), portal=url, portal_label="Your answer")
    return dataclasses.replace(outgoing, undo=[PortalLink.objects.filter(pk=link.pk).delete])
