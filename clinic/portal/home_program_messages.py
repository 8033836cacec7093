"""The message telling a patient their home program is ready, sent through the outbox.

Its words are the clinic's (the wording pages, or the shipped default). It carries a fresh
portal link (stored before the message goes, deleted if the provider
refused it) and, by e-mail when the clinic chose it, the PDF. The handout keeps a copy of the
outcome (``delivery``) for the plan's pages.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from clinic import audit
from clinic.models import ContactChannel
from clinic.outbox import wording
from clinic.outbox.clinic_wording import wording_for
from clinic.outbox.dispatch import NotOwed, Outgoing
from clinic.outbox.models import MessageStatus, PatientMessage, WordingKind
from clinic.portal import services as portal
from clinic.portal.models import PortalLink
from plans.models import Handout, HandoutDelivery
from plans.signed import SignedPlan

SUPERSEDED = "A newer version of the home program was signed; the patient gets that one."
OUTCOME = {
    MessageStatus.SENT: HandoutDelivery.SENT,
    MessageStatus.SKIPPED: HandoutDelivery.NOT_SENT,
    MessageStatus.FAILED: HandoutDelivery.FAILED,
}


def _handout(message: PatientMessage) -> Handout | None:
    return (
        Handout.objects.select_for_update(of=("self",))
        .select_related("version__plan__episode__patient__clinic")
        .filter(pk=message.subject_id)
        .first()
    )


def _text(handout: Handout, channel: str, link: str) -> tuple[str, str]:
    version = handout.version
    patient = version.plan.episode.patient
    clinic = patient.clinic
    values = {
        "first_name": patient.first_name,
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone.as_national if clinic.phone else "",
        "program": "updated home program" if version.number > 1 else "home program",
        "clinician": SignedPlan.of(version).clinician.name,
    }
    text = wording_for(clinic=clinic, kind=WordingKind.HOME_PROGRAM)
    words = text.sms_body if channel == ContactChannel.SMS else text.body
    context = {"text": wording.fill(words, values), "link": link, "clinic": clinic}
    return wording.fill(text.subject, values), render_to_string("plans/messages/home_program.txt", context).strip()


def prepare(message: PatientMessage) -> Outgoing | NotOwed:
    handout = _handout(message)
    if handout is None or handout.delivery != HandoutDelivery.OWED:
        return NotOwed(MessageStatus.CANCELLED, "The home program is no longer waiting to be sent.")
    # A version whose render was held up until after a newer one was signed: the patient has (or
    # is getting) the newer program, and an older one arriving after it would undo it.
    if handout.version.plan.versions.filter(number__gt=handout.version.number).exists():
        return NotOwed(MessageStatus.SKIPPED, SUPERSEDED)
    patient = handout.patient
    attachments = []
    if message.channel == ContactChannel.EMAIL and patient.clinic.email_handout_attachment:
        with handout.file.open("rb") as pdf:
            attachments.append((f"home-program-v{handout.version.number}.pdf", pdf.read(), "application/pdf"))
    link, url = portal.link_make(patient=patient)
    subject, body = _text(handout, message.channel, url)
    return Outgoing(
        subject=subject, body=body, attachments=attachments, undo=[PortalLink.objects.filter(pk=link.pk).delete]
    )


def settled(message: PatientMessage) -> None:
    delivery = OUTCOME.get(message.status)
    handout = _handout(message)
    if delivery is None or handout is None or handout.delivery != HandoutDelivery.OWED:
        return
    handout.delivery, handout.delivery_error = delivery, message.reason
    if delivery == HandoutDelivery.SENT:
        handout.delivered_at, handout.delivery_channel = message.sent_at or timezone.now(), message.channel
    handout.save(update_fields=["delivery", "delivery_error", "delivered_at", "delivery_channel", "updated_at"])
    audit.record(actor=None, action=f"handout.{delivery}", obj=handout)
