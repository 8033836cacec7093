"""The discharge PDFs, through the handout pipeline (``clinic.pdf`` with WeasyPrint, in a Celery
task that takes the document's id): the patient's summary (what improved, the home program to
keep, when to come back, and when to seek help as on every handout) and the optional letter to
the referrer. The ``DischargeDocument`` row is the record of what is still to render; rendering
a ready document again does nothing, and the file name is fixed per discharge and kind.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from clinic.models import ClinicianProfile
from notes.models import DischargeDocument, DischargeDocumentKind
from plans import handouts
from plans.models import HandoutStatus

logger = logging.getLogger(__name__)


def title(document: DischargeDocument) -> str:
    patient = document.discharge.episode.patient
    if document.kind == DischargeDocumentKind.LETTER:
        return f"Discharge letter – {patient.full_name}"
    return f"Your discharge summary – {patient.full_name}"


def html(document: DischargeDocument) -> str:
    discharge = document.discharge
    episode = discharge.episode
    clinic = episode.patient.clinic
    letter = document.kind == DischargeDocumentKind.LETTER
    profile = ClinicianProfile.objects.filter(user=discharge.discharged_by).first()
    logo_uri = (
        Path(default_storage.path(clinic.logo.name)).as_uri()
        if clinic.logo and default_storage.exists(clinic.logo.name)
        else ""
    )
    return render_to_string(
        "pdf/discharge.html",
        {
            "title": title(document),
            "heading": "Discharge letter" if letter else "Your discharge summary",
            "letter": letter,
            "clinic": clinic,
            "patient": episode.patient,
            "episode": episode,
            "discharge": discharge,
            "reason": discharge.reason_text or discharge.get_reason_display().lower(),
            "clinician": discharge.discharged_by,
            "credentials": profile.credentials if profile else "",
            "logo_uri": logo_uri,
            "when_to_call": handouts.WHEN_TO_CALL,
            "emergency_signs": handouts.EMERGENCY_SIGNS,
            "paper": "A4" if clinic.paper_size == "a4" else "letter",
        },
    )


def render(*, document_id: int) -> bool:
    """Render the document if it is not ready yet; False when there was nothing to do."""
    from clinic import pdf as pdf_rendering

    with transaction.atomic():
        document = (
            DischargeDocument.objects.select_for_update()
            .select_related("discharge__episode__patient__clinic", "discharge__discharged_by")
            .filter(pk=document_id)
            .first()
        )
        if document is None or (document.status == HandoutStatus.READY and document.file):
            return False
        document.status = HandoutStatus.RENDERING
        document.attempts += 1
        document.save(update_fields=["status", "attempts", "updated_at"])
    try:
        pdf = pdf_rendering.render(html(document))
    except Exception as error:
        logger.exception("Discharge document %s failed to render", document.pk)
        DischargeDocument.objects.filter(pk=document.pk).update(
            status=HandoutStatus.FAILED, error=type(error).__name__[:300], updated_at=timezone.now()
        )
        return False
    name = f"discharges/discharge-{document.discharge_id}-{document.kind}.pdf"
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(pdf))
    DischargeDocument.objects.filter(pk=document.pk).update(
        status=HandoutStatus.READY, file=saved, error="", updated_at=timezone.now()
    )
    return True
