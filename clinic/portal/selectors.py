"""Read queries of the patient portal: only the link's own patient, never anyone else."""

from __future__ import annotations

from enum import StrEnum

from django.db.models import QuerySet
from django.utils import timezone

from clinic.portal.models import PortalLink
from clinic.portal.services import LINKS
from clinic.scheduling.models import Appointment, AppointmentStatus
from plans.models import PlanVersion


class LinkProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    REVOKED = "revoked"


def link_for_token(link_token: str) -> tuple[PortalLink | None, LinkProblem | None]:
    """The portal link a token opens, or why it opens nothing."""
    token_hash = LINKS.hash_of(link_token)
    if token_hash is None:
        return None, LinkProblem.INVALID
    link = PortalLink.objects.select_related("patient__clinic").filter(token_hash=token_hash).first()
    if link is None:
        return None, LinkProblem.INVALID
    if link.revoked_at is not None:
        return link, LinkProblem.REVOKED
    if link.expires_at <= timezone.now():
        return link, LinkProblem.EXPIRED
    return link, None


def home_programs(patient) -> list[PlanVersion]:
    """The patient's signed plan versions, newest first, with their handouts."""
    return list(
        PlanVersion.objects.filter(plan__episode__patient=patient)
        .select_related("plan__episode", "handout")
        .order_by("-signed_at", "-id")
    )


def upcoming_appointments(patient) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            episode__patient=patient, status=AppointmentStatus.BOOKED, starts_at__gte=timezone.now()
        )
        .select_related("clinician")
        .order_by("starts_at")
    )
