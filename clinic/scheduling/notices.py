"""The notice telling a patient their visit was booked, moved or cancelled, sent through the
outbox: the latest change, once, in the clinic's wording. E-mail carries the .ics file; a text
message says when and where.

The visit's ``sequence`` counts its changes and ``notified_sequence`` the change last told:
the message marks the change as told when it goes out, so changes made before it goes are
told once, as the latest state, and a message for a change already told sends nothing.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from clinic.models import ContactChannel
from clinic.outbox import wording
from clinic.outbox.clinic_wording import wording_for
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import MessageStatus, PatientMessage, WordingKind
from clinic.scheduling import calendar
from clinic.scheduling.models import Appointment, AppointmentStatus


def prepare(message: PatientMessage) -> Outgoing | NotOwed:
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("episode__patient__clinic", "clinician")
        .filter(pk=message.subject_id)
        .first()
    )
    # A retried message (attempts > 0) marked its change as told when it first went to send.
    if appointment is None or (message.attempts == 0 and appointment.notified_sequence >= appointment.sequence):
        return NotOwed(MessageStatus.SKIPPED, "The patient was already told of the latest change.")
    patient = appointment.episode.patient
    clinic = patient.clinic
    if appointment.status == AppointmentStatus.CANCELLED:
        kind = WordingKind.VISIT_CANCELLED
    elif appointment.sequence > 1:
        kind = WordingKind.VISIT_MOVED
    else:
        kind = WordingKind.VISIT_BOOKED
    with timezone.override(clinic.zone):
        start = timezone.localtime(appointment.starts_at)
    values = {
        "first_name": patient.first_name,
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone.as_national if clinic.phone else "",
        "visit_when": f"{start:%A %d %B at %H:%M}",
        "clinician": appointment.clinician.full_name,
    }
    text = wording_for(clinic=clinic, kind=kind)
    words = text.sms_body if message.channel == ContactChannel.SMS else text.body
    body = render_to_string(
        "scheduling/messages/visit_notice.txt", {"text": wording.fill(words, values), "clinic": clinic}
    )
    appointment.notified_sequence = appointment.sequence
    appointment.save(update_fields=["notified_sequence"])
    return Outgoing(
        subject=wording.fill(text.subject, values),
        body=body.strip(),
        attachments=[("visit.ics", calendar.appointment_ics(appointment), "text/calendar")],
    )
