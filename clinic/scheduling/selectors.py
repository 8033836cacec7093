"""Read queries of the schedule."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clinic import permissions
from clinic.models import EpisodeOfCare, EpisodeStatus, User
from clinic.outbox import reminders
from clinic.outbox.models import VISIT_REMINDERS, MessageLink, MessageStatus, PatientMessage
from clinic.scheduling import reminder_status, rules
from clinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
    PatientVisitChange,
    TimeOff,
)
from clinic.signed_links import LinkProblem
from plans.models import PlanVersion
from plans.signed import SignedPlan

COUNTED = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


def working_hours(clinician) -> list[rules.WorkingHours]:
    """The clinician's weekly working windows, as the scheduling rules read them."""
    return [rules.WorkingHours(row.weekday, row.start, row.end) for row in clinician.working_hours.all()]


def busy(clinician, start, end, *, visits=None, time_off=None) -> list[rules.Busy]:
    """What blocks the clinician between ``start`` and ``end``: visits not cancelled and time
    off (each given, e.g. loaded once for a whole day view, or queried)."""
    if visits is None:
        visits = Appointment.objects.filter(clinician=clinician, starts_at__lt=end, ends_at__gt=start).exclude(
            status=AppointmentStatus.CANCELLED
        )
    if time_off is None:
        time_off = time_off_between([clinician], start, end)
    blocked = [rules.Busy(visit.starts_at, visit.ends_at) for visit in visits if visit.clinician_id == clinician.pk]
    blocked += [rules.Busy(row.starts_at, row.ends_at) for row in time_off if row.clinician_id == clinician.pk]
    return blocked


def time_off_between(clinicians, start, end) -> list[TimeOff]:
    """The clinicians' time off overlapping ``start``–``end``, in one query."""
    return list(TimeOff.objects.filter(clinician__in=clinicians, starts_at__lt=end, ends_at__gt=start))


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
        planned = SignedPlan.of(latest).planned_visits
        booked = sum(1 for visit in episode.appointments.all() if visit.starts_at >= versions[0].signed_at)
        if booked < planned:
            rows.append(UnderScheduled(episode=episode, planned=planned, booked=booked))
    return rows


def with_reminders(visits) -> list[Appointment]:
    """The visits with their reminders (``visit.reminder_rows``), in one extra query whatever
    their number."""
    visits = list(visits)
    rows: dict[int, list[PatientMessage]] = {visit.pk: [] for visit in visits}
    for row in PatientMessage.objects.filter(kind__in=VISIT_REMINDERS, subject_id__in=rows).order_by("due_at", "id"):
        rows[row.subject_id].append(row)
    for visit in visits:
        visit.reminder_rows = rows[visit.pk]
    return visits


def visit_reminder_line(visit: Appointment, zone) -> str:
    facts = [
        reminder_status.ReminderFact(
            status=row.status,
            due_at=row.due_at,
            sent_at=row.sent_at,
            error=row.reason if row.status == MessageStatus.FAILED else "",
            skip_reason=row.reason if row.status == MessageStatus.SKIPPED else "",
        )
        for row in visit.reminder_rows
    ]
    return reminder_status.visit_reminder_line(
        facts,
        confirmed_at=visit.confirmed_at,
        opted_out=visit.episode.patient.reminders_opted_out_at is not None,
        zone=zone,
    )


@dataclass(frozen=True)
class OpenedLink:
    """A reminder's link as its page reads it: the link, and the visit it is about, if any."""

    link: MessageLink
    appointment: Appointment | None

    @property
    def patient(self):
        return self.link.message.patient


def reminder_link(action: str, link_token: str) -> tuple[OpenedLink | None, LinkProblem | None]:
    """The reminder link a token opens, or why it opens nothing."""
    rows = MessageLink.objects.select_related("message__patient__clinic").filter(action=action)
    return _opened(*reminders.LINKS[action].find(rows, link_token))


def reminder_short_link(link_token: str) -> tuple[OpenedLink | None, LinkProblem | None]:
    """The link of a text message a short token opens (its row says what it does), or why it
    opens nothing."""
    rows = MessageLink.objects.select_related("message__patient__clinic")
    return _opened(*reminders.SHORT_LINKS.find(rows, link_token))


def _opened(link: MessageLink | None, problem: LinkProblem | None) -> tuple[OpenedLink | None, LinkProblem | None]:
    if link is None:
        return None, problem
    appointment = None
    if link.message.kind in VISIT_REMINDERS:
        appointment = (
            Appointment.objects.select_related("clinician__clinic", "episode__patient__clinic")
            .filter(pk=link.message.subject_id)
            .first()
        )
    return OpenedLink(link=link, appointment=appointment), problem


def patient_changes(*, user) -> QuerySet[PatientVisitChange]:
    """Visits patients cancelled or moved themselves whose old or new time is still to come: the
    front desk offers the freed old times to the wait list from here, as it does after
    cancelling a visit itself."""
    now = timezone.now()
    return (
        PatientVisitChange.objects.filter(appointment__episode__in=permissions.scoped_episodes(user))
        .filter(Q(old_starts_at__gte=now) | Q(new_starts_at__gte=now))
        .select_related("appointment__episode__patient", "appointment__clinician")
        .order_by("old_starts_at", "id")
    )


def patient_change(*, user, pk: int) -> PatientVisitChange:
    """One patient's change, for whoever schedules in its clinic (else 404)."""
    if not permissions.can_schedule(user):
        raise PermissionDenied
    return get_object_or_404(
        PatientVisitChange.objects.select_related("appointment__episode__patient", "appointment__clinician__clinic"),
        pk=pk,
        appointment__episode__in=permissions.scoped_episodes(user),
    )


@dataclass(frozen=True)
class PatientPolicy:
    """How a patient may move their own visit, from the clinic's settings."""

    notice: datetime.timedelta
    horizon_days: int


def patient_policy(clinic) -> PatientPolicy:
    return PatientPolicy(
        notice=datetime.timedelta(hours=clinic.patient_change_notice_hours),
        horizon_days=clinic.patient_reschedule_horizon_days,
    )


def patient_slots(visit: Appointment, days: list[datetime.date], *, earliest, end) -> dict[datetime.date, list]:
    """The times a patient may move ``visit`` to on each of ``days``: free slots of its clinician
    of the visit's length, within working hours, clear of time off and other visits, not before
    ``earliest``, starting before ``end`` and not at the visit's own time. A slot every visit
    length keeps the list short enough to read on a phone."""
    clinician = visit.clinician
    zone = clinician.clinic.zone
    length = visit.ends_at - visit.starts_at
    start = datetime.datetime.combine(days[0], datetime.time.min, tzinfo=zone)
    stop = datetime.datetime.combine(days[-1] + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    others = (
        Appointment.objects.filter(clinician=clinician, starts_at__lt=stop, ends_at__gt=start)
        .exclude(status=AppointmentStatus.CANCELLED)
        .exclude(pk=visit.pk)
    )
    blocked = busy(clinician, start, stop, visits=list(others))
    hours = working_hours(clinician)
    return {
        day: [
            slot
            for slot in rules.free_slots(
                day, length=length, hours=hours, busy=blocked, zone=zone, step=length, not_before=earliest
            )
            if slot.start < end and slot.start != visit.starts_at
        ]
        for day in days
    }


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


def appointments_on(*, user: User, day: datetime.date, clinician: User | None = None) -> QuerySet[Appointment]:
    """The clinic's visits on one local day (one clinician's if given), cancelled ones left out."""
    start, end = _day_bounds(day)
    visits = (
        Appointment.objects.filter(
            episode__in=permissions.scoped_episodes(user), starts_at__gte=start, starts_at__lt=end
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("episode__patient", "clinician")
    )
    if clinician is not None:
        visits = visits.filter(clinician=clinician)
    return visits


def still_to_come(visits: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Of these visits, the ones not over yet or whose patient is still checked in, soonest first."""
    return visits.filter(Q(ends_at__gt=timezone.now()) | Q(status=AppointmentStatus.CHECKED_IN)).order_by(
        "starts_at", "id"
    )


def episodes_without_next_visit(*, user: User, lead_clinician: User | None = None) -> QuerySet[EpisodeOfCare]:
    """Open episodes with no upcoming visit booked: the patients who could drop out of care."""
    upcoming = Appointment.objects.filter(
        episode=OuterRef("pk"), starts_at__gte=timezone.now(), status=AppointmentStatus.BOOKED
    )
    episodes = (
        permissions.scoped_episodes(user)
        .filter(status=EpisodeStatus.OPEN)
        .exclude(Exists(upcoming))
        .select_related("patient", "lead_clinician")
        .order_by("opened_on", "id")
    )
    if lead_clinician is not None:
        episodes = episodes.filter(lead_clinician=lead_clinician)
    return episodes
