"""Read queries of the patient portal: only the link's own patient, never anyone else."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from clinic.portal import adherence, charts
from clinic.portal.models import HomeProgramCheckIn, PortalLink
from clinic.portal.tokens import LINKS
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.signed_links import LinkProblem
from plans.models import PlanVersion
from plans.signed import SignedPlan


def link_for_token(link_token: str) -> tuple[PortalLink | None, LinkProblem | None]:
    """The portal link a token opens, or why it opens nothing."""
    return LINKS.find(PortalLink.objects.select_related("patient__clinic"), link_token)


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


def upcoming_appointment(patient, visit_id: int) -> Appointment | None:
    """One of the patient's own booked visits still to come, or None (another patient's
    answers 404, as does a visit that has passed or was cancelled)."""
    return (
        upcoming_appointments(patient)
        .select_related("clinician__clinic", "episode__patient__clinic")
        .filter(pk=visit_id)
        .first()
    )


def split_current(versions: list[PlanVersion]) -> tuple[list[PlanVersion], list[PlanVersion]]:
    """(current, past): the newest version of each plan is current; earlier ones stay for
    the record. ``versions`` must be newest first, as ``home_programs`` gives them."""
    seen: set[int] = set()
    current, past = [], []
    for version in versions:
        (past if version.plan_id in seen else current).append(version)
        seen.add(version.plan_id)
    return current, past


def home_program(patient, version_id: int) -> PlanVersion | None:
    """One of the patient's own signed versions, or None (another patient's answers 404)."""
    return (
        PlanVersion.objects.filter(pk=version_id, plan__episode__patient=patient)
        .select_related("plan__episode", "handout")
        .first()
    )


def current_version_id(plan_id: int) -> int | None:
    return PlanVersion.objects.filter(plan_id=plan_id).order_by("-number").values_list("pk", flat=True).first()


def check_ins(versions: list[PlanVersion]) -> dict[int, dict[datetime.date, HomeProgramCheckIn]]:
    """Every check-in of the given versions, by version id and day, in one query."""
    by_version: dict[int, dict[datetime.date, HomeProgramCheckIn]] = {version.pk: {} for version in versions}
    for check_in in HomeProgramCheckIn.objects.filter(version__in=versions):
        by_version[check_in.version_id][check_in.day] = check_in
    return by_version


def episode_adherence(plans, today: datetime.date) -> list[dict]:
    """For the clinician: each plan's current home program with its adherence and pain trend.

    ``plans`` are an episode's, each with its newest version in ``latest``
    (``plans.selectors.episode_plans``): one query more whatever the number of plans and days,
    their check-ins.
    """
    current = sorted((plan.latest[0] for plan in plans if plan.latest), key=lambda version: version.plan_id)
    logged = check_ins(current)
    panels = []
    for version in current:
        by_day = logged[version.pk]
        signed = SignedPlan.of(version)
        zone = version.plan.episode.patient.clinic.zone
        first = signed.first_day(zone)
        items = signed.home_items
        trend = adherence.pain_trend([(day, check_in.pain) for day, check_in in by_day.items()])
        panels.append(
            {
                "version": version,
                "first_day": first,
                "last_day": signed.last_day(zone),
                "item_count": len(items),
                "adherence": adherence.adherence(
                    [item.frequency for item in items],
                    {day: check_in.done_items for day, check_in in by_day.items()},
                    first,
                    signed.weeks,
                    today,
                ),
                "trend": trend,
                "chart": charts.pain_chart(trend.points) if len(trend.points) > 1 else "",
                "recent": [by_day[day] for day in sorted(by_day, reverse=True)[:14]],
            }
        )
    return panels
