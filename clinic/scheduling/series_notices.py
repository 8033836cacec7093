"""The one message telling a patient of the plan's visits booked together (a series): every
visit listed, and by e-mail one .ics file holding them all.

Like a single visit's notice, it tells the visits' state when it goes and marks each visit's
change as told (``notified_sequence = sequence``), so the single notices of visits changed
before it went send nothing, and a change after it gets its own notice.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from clinic.models import ContactChannel
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import MessageStatus, PatientMessage
from clinic.scheduling import calendar
from clinic.scheduling.models import Appointment, AppointmentStatus


def prepare(message: PatientMessage) -> Outgoing | NotOwed:
    visits = list(
        Appointment.objects.select_for_update(of=("self",))
        .select_related("episode__patient__clinic", "clinician")
        .filter(series_id=message.subject_id)
        .order_by("starts_at", "pk")
    )
    # A retried message (attempts > 0) marked its visits as told when it first went to send.
    if message.attempts == 0 and all(visit.notified_sequence >= visit.sequence for visit in visits):
        return NotOwed(MessageStatus.SKIPPED, "The patient was already told of these visits.")
    for visit in visits:
        # A visit cancelled before this went was never announced: nothing about it is owed.
        visit.notified_sequence = visit.sequence
        visit.save(update_fields=["notified_sequence"])
    listed = [visit for visit in visits if visit.status != AppointmentStatus.CANCELLED]
    if not listed:
        return NotOwed(MessageStatus.SKIPPED, "Every visit of the series was cancelled before it was told.")
    patient = listed[0].episode.patient
    clinic = patient.clinic
    sms = message.channel == ContactChannel.SMS
    # The template's dates read in the current zone: the clinic's, as the visits are told.
    with timezone.override(clinic.zone):
        lines = [(timezone.localtime(visit.starts_at), visit) for visit in listed]
        body = render_to_string(
            "scheduling/messages/visit_series.txt",
            {"patient": patient, "clinic": clinic, "lines": lines, "sms": sms, "count": len(listed)},
        )
    return Outgoing(
        subject=f"{clinic.name}: your {len(listed)} visits are booked",
        body=body.strip(),
        attachments=[] if sms else [("visits.ics", calendar.series_ics(listed), "text/calendar")],
    )
