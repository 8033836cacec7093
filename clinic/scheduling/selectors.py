"""Read queries of the schedule."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clinic import permissions, selectors
from clinic.models import EpisodeOfCare, EpisodeStatus, User
from clinic.outbox import reminders
from clinic.outbox.models import VISIT_REMINDERS, MessageLink, MessageStatus, PatientMessage
from clinic.scheduling import reminder_status, rules
from clinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
    HoursException,
    PatientVisitChange,
    TimeOff,
)
from clinic.signed_links import LinkProblem
from plans.models import PlanVersion
from plans.signed import SignedPlan

# Free slots are offered on the half hour, as on the day view.
SLOT_STEP = datetime.timedelta(minutes=30)

COUNTED = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


def working_hours(clinician) -> list[rules.WorkingHours]:
    """The clinician's weekly working windows and changes of hours on given dates, as the
    scheduling rules read them (a date's changes replace its weekly windows). Both relations
    may be prefetched (``HOURS_PREFETCH``) for a page of clinicians."""
    weekly = [rules.WorkingHours(row.weekday, row.start, row.end) for row in clinician.working_hours.all()]
    return weekly + [hours_change(row) for row in clinician.hours_exceptions.all()]


def hours_change(row: HoursException) -> rules.WorkingHours:
    """A change of hours on one date, as the scheduling rules read it."""
    if row.is_day_off:
        return rules.WorkingHours.day_off(row.day)
    return rules.WorkingHours.on_date(row.day, row.start, row.end)


HOURS_PREFETCH = ("working_hours", "hours_exceptions")


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


def appointments_on(
    *, user: User, day: datetime.date, clinician: User | None = None, cancelled: bool = False
) -> QuerySet[Appointment]:
    """The clinic's visits on one local day (one clinician's if given), cancelled ones left out
    unless asked for (the calendar shows them, marked)."""
    start, end = _day_bounds(day)
    visits = Appointment.objects.filter(
        episode__in=permissions.scoped_episodes(user), starts_at__gte=start, starts_at__lt=end
    ).select_related("episode__patient", "clinician")
    if not cancelled:
        visits = visits.exclude(status=AppointmentStatus.CANCELLED)
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


def plan_visits(episode: EpisodeOfCare) -> list[Appointment]:
    """The episode's visits that count toward its plan: booked, checked in or completed, starting
    once its first plan version was signed (as ``under_scheduled`` counts them). Cancelled visits
    and no-shows delivered nothing of the plan."""
    first = PlanVersion.objects.filter(plan__episode=episode).order_by("signed_at").first()
    if first is None:
        return []
    return list(
        Appointment.objects.filter(episode=episode, status__in=COUNTED, starts_at__gte=first.signed_at).order_by(
            "starts_at"
        )
    )


def patient_busy(patient, start, end) -> list[rules.Busy]:
    """The patient's visits with any clinician between ``start`` and ``end`` (cancelled visits and
    no-shows hold no time)."""
    visits = Appointment.objects.filter(episode__patient=patient, starts_at__lt=end, ends_at__gt=start).exclude(
        status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW]
    )
    return [rules.Busy(visit.starts_at, visit.ends_at) for visit in visits]


@dataclass(frozen=True)
class FreeDay:
    day: datetime.date
    slots: list[rules.Slot]


def free_days_ahead(
    clinician: User,
    *,
    length: datetime.timedelta,
    horizon_days: int = 14,
    most_days: int = 5,
    ignore: Appointment | None = None,
) -> list[FreeDay]:
    """The clinician's free slots of ``length`` from now on, by local day: the first
    ``most_days`` days with a free slot within ``horizon_days`` days. ``ignore`` is a visit
    being moved, whose own time counts as free. A fixed number of queries, whatever the range."""
    zone = clinician.clinic.zone
    now = timezone.now()
    today = timezone.localdate(now, zone)
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(today + datetime.timedelta(days=horizon_days), datetime.time.min, tzinfo=zone)
    visits = Appointment.objects.filter(clinician=clinician, starts_at__lt=end, ends_at__gt=start).exclude(
        status=AppointmentStatus.CANCELLED
    )
    if ignore is not None:
        visits = visits.exclude(pk=ignore.pk)
    blocked = busy(clinician, start, end, visits=list(visits))
    hours = working_hours(clinician)
    found = []
    for offset in range(horizon_days):
        day = today + datetime.timedelta(days=offset)
        slots = rules.free_slots(
            day, length=length, hours=hours, busy=blocked, zone=zone, step=SLOT_STEP, not_before=now
        )
        if slots:
            found.append(FreeDay(day=day, slots=slots))
            if len(found) == most_days:
                break
    return found


def open_episodes_found(*, user: User, query: str) -> list[EpisodeOfCare]:
    """The open episodes of the patients a booking search finds (the first 20 patients), each
    with ``visit_count``, its visits not cancelled; nothing for an empty search. Two queries."""
    if not query.strip():
        return []
    counted = EpisodeOfCare.objects.filter(status=EpisodeStatus.OPEN).annotate(
        visit_count=Count("appointments", filter=~Q(appointments__status=AppointmentStatus.CANCELLED))
    )
    patients = selectors.patient_search(user=user, query=query).prefetch_related(
        Prefetch("episodes", queryset=counted, to_attr="open")
    )[:20]
    return [episode for patient in patients for episode in patient.open]


def visit_count(episode: EpisodeOfCare) -> int:
    """The episode's visits not cancelled."""
    return episode.appointments.exclude(status=AppointmentStatus.CANCELLED).count()


@dataclass(frozen=True)
class VisitsOf:
    """A patient's or an episode's visits: the next ones, soonest first, and the latest past
    ones, latest first; each list cut at a page's worth."""

    upcoming: list[Appointment]
    recent: list[Appointment]
    more_upcoming: bool
    more_recent: bool


VISITS_SHOWN = 10


def visits_of(*, user: User, patient=None, episode: EpisodeOfCare | None = None) -> VisitsOf:
    """The visits of one episode, or of every episode of one patient, that the user's clinic
    holds (cancelled ones included: the front desk sees what happened). Two queries."""
    episodes = permissions.scoped_episodes(user)
    episodes = episodes.filter(pk=episode.pk) if episode is not None else episodes.filter(patient=patient)
    # A patient's visits name their episode; an episode's need not.
    related = ("clinician",) if episode is not None else ("clinician", "episode")
    visits = Appointment.objects.filter(episode__in=episodes).select_related(*related)
    now = timezone.now()
    upcoming = list(visits.filter(starts_at__gte=now).order_by("starts_at", "id")[: VISITS_SHOWN + 1])
    recent = list(visits.filter(starts_at__lt=now).order_by("-starts_at", "-id")[: VISITS_SHOWN + 1])
    return VisitsOf(
        upcoming=upcoming[:VISITS_SHOWN],
        recent=recent[:VISITS_SHOWN],
        more_upcoming=len(upcoming) > VISITS_SHOWN,
        more_recent=len(recent) > VISITS_SHOWN,
    )
