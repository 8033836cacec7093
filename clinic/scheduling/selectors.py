"""Read queries of the schedule."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from clinic import permissions
from clinic.models import EpisodeOfCare, EpisodeStatus
from clinic.scheduling.models import Appointment, AppointmentStatus
from plans.models import PlanVersion

COUNTED = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


@dataclass(frozen=True)
class UnderScheduled:
    episode: EpisodeOfCare
    planned: int
    booked: int


def under_scheduled(*, user) -> list[UnderScheduled]:
    """Open episodes whose latest signed plan calls for more visits than are booked or held
    since it was signed: the patients who could drop out of care unnoticed."""
    episodes = (
        permissions.scoped_episodes(user)
        .filter(status=EpisodeStatus.OPEN, plans__versions__isnull=False)
        .distinct()
        .select_related("patient", "lead_clinician")
        .prefetch_related(
            Prefetch(
                "plans__versions",
                queryset=PlanVersion.objects.order_by("-signed_at"),
            ),
            Prefetch("appointments", queryset=Appointment.objects.filter(status__in=COUNTED)),
        )
    )
    rows = []
    for episode in episodes:
        versions = sorted(
            (version for plan in episode.plans.all() for version in plan.versions.all()),
            key=lambda version: version.signed_at,
        )
        latest = versions[-1]
        planned = int(latest.body["visits_per_week"]) * int(latest.body["weeks"])
        booked = sum(1 for visit in episode.appointments.all() if visit.starts_at >= versions[0].signed_at)
        if booked < planned:
            rows.append(UnderScheduled(episode=episode, planned=planned, booked=booked))
    return rows
