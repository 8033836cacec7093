"""Read queries of the schedule."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from clinic import permissions
from clinic.models import EpisodeOfCare, EpisodeStatus
from clinic.scheduling import rules
from clinic.scheduling.models import Appointment, AppointmentStatus, TimeOff
from plans.models import PlanVersion

COUNTED = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


def working_hours(clinician) -> list[rules.WorkingHours]:
    """The clinician's weekly working windows, as the scheduling rules read them."""
    return [rules.WorkingHours(row.weekday, row.start, row.end) for row in clinician.working_hours.all()]


def busy(clinician, start, end, *, visits=None) -> list[rules.Busy]:
    """What blocks the clinician between ``start`` and ``end``: visits not cancelled (given, or
    queried) and time off."""
    if visits is None:
        visits = Appointment.objects.filter(clinician=clinician, starts_at__lt=end, ends_at__gt=start).exclude(
            status=AppointmentStatus.CANCELLED
        )
    blocked = [rules.Busy(visit.starts_at, visit.ends_at) for visit in visits if visit.clinician_id == clinician.pk]
    blocked += [
        rules.Busy(row.starts_at, row.ends_at)
        for row in TimeOff.objects.filter(clinician=clinician, starts_at__lt=end, ends_at__gt=start)
    ]
    return blocked


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
