"""Every write of the schedule: booking, rescheduling, cancelling, visit status.

No double booking: the overlap check and the insert run in one transaction. On SQLite the
IMMEDIATE transaction mode serialises writers, so the check is enough; on PostgreSQL two
transactions could both pass the check, and the exclusion constraint refuses the second
insert, which is reported with the same message.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from clinic import audit, permissions, plausible_dates, text_input
from clinic.models import EpisodeOfCare, Patient, User
from clinic.outbox import services as outbox
from clinic.outbox.models import MessageKind, MessageLink
from clinic.permissions import Role
from clinic.scheduling import rules, visit_reminders
from clinic.scheduling import selectors as schedule
from clinic.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AppointmentType,
    CalendarFeed,
    PatientChange,
    PatientVisitChange,
    TimeOff,
    VisitSeries,
    WaitListEntry,
)
from clinic.webhooks import services as webhooks
from clinic.webhooks.rules import EventType

DEFAULT_MINUTES = {AppointmentKind.INITIAL: 45, AppointmentKind.FOLLOW_UP: 30, AppointmentKind.REASSESSMENT: 45}


def appointment_types_seed(*, clinic) -> None:
    """The three visit kinds with default lengths; a clinic edits them afterwards."""
    for kind, minutes in DEFAULT_MINUTES.items():
        AppointmentType.objects.get_or_create(
            clinic=clinic, kind=kind, defaults={"name": AppointmentKind(kind).label, "minutes": minutes}
        )


def _require_scheduler(actor: User, episode: EpisodeOfCare) -> None:
    if not permissions.can_book_for(actor, episode):
        raise PermissionDenied


def _length(clinic, kind: str, minutes: int | None) -> datetime.timedelta:
    if minutes:
        return datetime.timedelta(minutes=minutes)
    row = AppointmentType.objects.filter(clinic=clinic, kind=kind, active=True).first()
    return datetime.timedelta(minutes=row.minutes if row else DEFAULT_MINUTES[kind])


def visit_length(*, clinic, kind: str) -> datetime.timedelta:
    """How long a visit of this type lasts in the clinic (its visit types, else the default)."""
    return _length(clinic, kind, None)


def _clash_message(clash: Appointment) -> str:
    zone = clash.clinician.clinic.zone  # the clinic's clock, whoever or whatever is asking
    start, end = clash.starts_at.astimezone(zone), clash.ends_at.astimezone(zone)
    return (
        f"{clash.clinician} already has a visit from {start:%H:%M} to {end:%H:%M} on {start:%d %b %Y}. "
        "Choose another time."
    )


def check_free(clinician: User, starts_at, ends_at, *, ignore: int | None = None) -> None:
    clashes = (
        Appointment.objects.filter(clinician=clinician, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exclude(status=AppointmentStatus.CANCELLED)
        .exclude(pk=ignore)
        .select_related("clinician__clinic")
    )
    clash = clashes.first()
    if clash is not None:
        raise ValidationError({"starts_at": _clash_message(clash)}, code="conflict")


def check_hours(clinician: User, starts_at, ends_at, override_reason: str) -> None:
    """Outside working hours or in time off only with the front desk's stated reason."""
    if override_reason.strip():
        return
    zone = clinician.clinic.zone
    hours = schedule.working_hours(clinician)
    day = starts_at.astimezone(zone).date()
    if rules.keeps_hours(day, hours) and not rules.is_within_working_hours(starts_at, ends_at, hours, zone):
        raise ValidationError(
            {"override_reason": "This is outside the clinician's working hours. Give a reason to book it anyway."}
        )
    if TimeOff.objects.filter(clinician=clinician, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise ValidationError({"override_reason": "The clinician has time off then. Give a reason to book it anyway."})


def insert_without_clash(appointment: Appointment) -> Appointment:
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        # The exclusion constraint caught a booking made concurrently.
        if "appointment_no_double_booking" in str(error):
            raise ValidationError(
                {"starts_at": f"{appointment.clinician} was just booked at that time. Choose another time."},
                code="conflict",
            ) from error
        raise
    return appointment


def plausible_start(starts_at: datetime.datetime) -> None:
    # Before any arithmetic on it: a start in year 1 or 9999 has no room for its length.
    if problem := plausible_dates.problem(starts_at.date(), timezone.localdate()):
        raise ValidationError({"starts_at": problem})


def appointment_book(
    *,
    actor: User,
    episode: EpisodeOfCare,
    clinician: User,
    starts_at: datetime.datetime,
    kind: str = AppointmentKind.FOLLOW_UP,
    minutes: int | None = None,
    override_reason: str = "",
    notice: bool = True,
) -> Appointment:
    """Book one visit; ``notice=False`` when the caller tells the patient of it with others."""
    _require_scheduler(actor, episode)
    text_input.refuse_in(override_reason, field="override_reason")
    plausible_start(starts_at)
    if clinician.clinic_id != episode.patient.clinic_id:
        raise ValidationError({"clinician": "Choose a clinician of this clinic."})
    if episode.status != "open":
        raise ValidationError("Visits can only be booked in an open episode of care.")
    ends_at = starts_at + _length(episode.patient.clinic, kind, minutes)
    appointment = Appointment(
        episode=episode,
        clinician=clinician,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        override_reason=override_reason.strip(),
        created_by=actor,
    )
    appointment.sequence = 1
    appointment.full_clean()
    with transaction.atomic():
        check_hours(clinician, starts_at, ends_at, override_reason)
        check_free(clinician, starts_at, ends_at)
        insert_without_clash(appointment)
        visit_reminders.sync(appointment)
        emit_event(EventType.APPOINTMENT_BOOKED, appointment)
        audit.record(actor=actor, action="appointment.booked", obj=appointment)
        if notice:
            queue_notice(appointment)
    return appointment


def emit_event(event_type: EventType, appointment: Appointment) -> None:
    webhooks.emit(
        event_type,
        clinic_id=appointment.episode.patient.clinic_id,
        data={"episode": appointment.episode_id, "appointment": appointment.pk},
    )


def queue_notice(appointment: Appointment) -> None:
    outbox.enqueue(kind=MessageKind.VISIT_NOTICE, episode=appointment.episode, subject_id=appointment.pk)


def _require_clinician_of(clinician: User, episode: EpisodeOfCare) -> None:
    """The visit's clinician sees the episode's patients: an active clinician of its clinic."""
    if (
        clinician.clinic_id != episode.patient.clinic_id
        or not clinician.is_active
        or Role.CLINICIAN not in permissions.roles_of(clinician)
    ):
        raise ValidationError({"clinician": "Choose a clinician of this clinic."})


def appointment_reschedule(
    *,
    actor: User,
    appointment: Appointment,
    starts_at: datetime.datetime,
    clinician: User | None = None,
    override_reason: str = "",
) -> Appointment:
    """Move a booked visit to another start and, if given, another clinician of the clinic, with
    the booking's checks (their hours and time off, no overlap); reminders follow the visit and
    the patient is told the new time and clinician."""
    _require_scheduler(actor, appointment.episode)
    text_input.refuse_in(override_reason, field="override_reason")
    plausible_start(starts_at)
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError("Only a booked visit can be moved.")
    clinician = clinician or appointment.clinician
    if clinician.pk != appointment.clinician_id:
        _require_clinician_of(clinician, appointment.episode)
    changed = ["starts_at"] if starts_at != appointment.starts_at else []
    if clinician.pk != appointment.clinician_id:
        changed.append("clinician")
    length = appointment.ends_at - appointment.starts_at
    with transaction.atomic():
        check_hours(clinician, starts_at, starts_at + length, override_reason)
        check_free(clinician, starts_at, starts_at + length, ignore=appointment.pk)
        appointment.clinician = clinician
        appointment.starts_at, appointment.ends_at = starts_at, starts_at + length
        appointment.override_reason = override_reason.strip()
        appointment.sequence += 1
        # A confirmation was for the old time.
        appointment.confirmed_at = None
        insert_without_clash(appointment)
        visit_reminders.sync(appointment)
        emit_event(EventType.APPOINTMENT_RESCHEDULED, appointment)
        audit.record(actor=actor, action="appointment.rescheduled", obj=appointment, changed_fields=changed)
        queue_notice(appointment)
    return appointment


def appointment_cancel(*, actor: User, appointment: Appointment, reason: str) -> Appointment:
    _require_scheduler(actor, appointment.episode)
    text_input.refuse_in(reason, field="reason")
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason for the cancellation."})
    with transaction.atomic():
        _cancel(appointment, reason=reason.strip(), actor=actor)
    return appointment


def _cancel(appointment: Appointment, *, reason: str, actor: User | None) -> None:
    """Cancel inside the caller's transaction: the slot is free at once (the day view and the
    clash check leave cancelled visits out), reminders stop, the patient is told."""
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = reason
    appointment.sequence += 1
    appointment.save(update_fields=["status", "cancel_reason", "sequence", "updated_at"])
    visit_reminders.sync(appointment)
    audit.record(actor=actor, action="appointment.cancelled", obj=appointment)
    emit_event(EventType.APPOINTMENT_CANCELLED, appointment)
    queue_notice(appointment)


PATIENT_CANCEL_REASON = "Cancelled by the patient from a reminder"


def use_reminder_link(link: MessageLink) -> MessageLink:
    """Lock the link and refuse it if used or expired meanwhile: single use under concurrency."""
    link = MessageLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at is not None:
        raise ValidationError("This link has already been used.", code="used")
    if link.expires_at <= timezone.now():
        raise ValidationError("This link has expired.", code="expired")
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return link


def appointment_confirm_by_patient(*, link: MessageLink) -> Appointment:
    """The patient confirmed from a reminder; a second click of the same link changes nothing."""
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=link.message.subject_id)
        if appointment.status != AppointmentStatus.BOOKED:
            raise ValidationError("This visit is no longer booked.", code="not_booked")
        if link.used_at is None:
            use_reminder_link(link)
        if appointment.confirmed_at is None:
            appointment.confirmed_at = timezone.now()
            appointment.save(update_fields=["confirmed_at"])
            audit.record(actor=None, action="appointment.confirmed_by_patient", obj=appointment)
    return appointment


def appointment_cancel_by_patient(*, link: MessageLink) -> Appointment:
    """The patient cancelled from a reminder (after confirming on the page, by POST)."""
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=link.message.subject_id)
        if appointment.status != AppointmentStatus.BOOKED:
            raise ValidationError("This visit is no longer booked.", code="not_booked")
        use_reminder_link(link)
        cancel_for_patient(appointment, reason=PATIENT_CANCEL_REASON)
    return appointment


def cancel_for_patient(appointment: Appointment, *, reason: str) -> None:
    """The patient's own cancellation, inside the caller's transaction: noted for the front
    desk, who offers the freed time to the wait list."""
    PatientVisitChange.objects.create(
        appointment=appointment,
        change=PatientChange.CANCELLED,
        old_starts_at=appointment.starts_at,
        old_ends_at=appointment.ends_at,
        old_override_reason=appointment.override_reason,
    )
    _cancel(appointment, reason=reason, actor=None)


ALLOWED_STATUS_CHANGES = {
    AppointmentStatus.BOOKED: {AppointmentStatus.CHECKED_IN, AppointmentStatus.NO_SHOW, AppointmentStatus.COMPLETED},
    AppointmentStatus.CHECKED_IN: {AppointmentStatus.COMPLETED, AppointmentStatus.BOOKED},
    AppointmentStatus.NO_SHOW: {AppointmentStatus.BOOKED},
    AppointmentStatus.COMPLETED: {AppointmentStatus.CHECKED_IN},
}


def appointment_set_status(*, actor: User, appointment: Appointment, status: str) -> Appointment:
    """Check-in, completion and no-show; cancelling goes through ``appointment_cancel``."""
    _require_scheduler(actor, appointment.episode)
    if status not in ALLOWED_STATUS_CHANGES.get(appointment.status, set()):
        raise ValidationError(
            {"status": f"A {appointment.get_status_display().lower()} visit cannot become {status.replace('_', ' ')}."}
        )
    with transaction.atomic():
        appointment.status = status
        appointment.save(update_fields=["status", "updated_at"])
        visit_reminders.sync(appointment)
        audit.record(actor=actor, action=f"appointment.{status}", obj=appointment)
    return appointment


# --- Booking a signed plan's follow-ups --------------------------------------------------------


def _minutes_for(clinic, kind: str) -> datetime.timedelta:
    return _length(clinic, kind, None)


def _episode_visits(episode: EpisodeOfCare) -> list[rules.EpisodeVisit]:
    return [
        rules.EpisodeVisit(
            visit.starts_at,
            visit.ends_at,
            reassessment=visit.kind == AppointmentKind.REASSESSMENT,
            done=visit.status == AppointmentStatus.COMPLETED,
        )
        for visit in schedule.plan_visits(episode)
    ]


def plan_series_proposal(
    *,
    episode: EpisodeOfCare,
    clinician: User,
    need: rules.PlanNeed,
    preference: rules.Preference | None = None,
    two_a_day: bool = False,
) -> rules.SeriesProposal:
    """What the plan still needs, fitted to the clinician's free time from tomorrow: the visits
    already booked or held count, and none lands on a day the patient already comes (unless
    ``two_a_day``) or over any of the patient's visits.

    DOMAIN.md says nothing of when to re-assess; the last visit of the plan is the default.
    """
    clinic = episode.patient.clinic
    zone = clinic.zone
    first_day = timezone.localdate(timezone.now(), zone) + datetime.timedelta(days=1)
    horizon_start = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=zone)
    horizon_end = horizon_start + datetime.timedelta(weeks=need.weeks + 1)
    return rules.propose_plan_series(
        need=need,
        existing=_episode_visits(episode),
        first_day=first_day,
        length=_minutes_for(clinic, AppointmentKind.FOLLOW_UP),
        reassessment_length=_minutes_for(clinic, AppointmentKind.REASSESSMENT),
        hours=schedule.working_hours(clinician),
        clinician_busy=schedule.busy(clinician, horizon_start, horizon_end),
        patient_busy=schedule.patient_busy(episode.patient, horizon_start, horizon_end),
        zone=zone,
        preference=preference or rules.Preference(),
        two_a_day=two_a_day,
    )


PLAN_VISIT_KINDS = (AppointmentKind.FOLLOW_UP, AppointmentKind.REASSESSMENT)


def plan_series_book(
    *,
    actor: User,
    episode: EpisodeOfCare,
    clinician: User,
    need: rules.PlanNeed,
    visits: list[tuple[datetime.datetime, str]],
    two_a_day: bool = False,
) -> list[Appointment]:
    """Book the chosen visits in one step: all of them, or none if any no longer fits the plan,
    the patient's other visits or the clinician's time. The patient is told of them in one
    message."""
    _require_scheduler(actor, episode)
    if not visits:
        raise ValidationError("Choose at least one visit to book.")
    if any(kind not in PLAN_VISIT_KINDS for _, kind in visits):
        raise ValidationError("A plan's visits are follow-ups and its re-assessment.")
    clinic = episode.patient.clinic
    for start, _ in visits:
        plausible_start(start)
    chosen = [
        rules.EpisodeVisit(start, start + _minutes_for(clinic, kind), reassessment=kind == AppointmentKind.REASSESSMENT)
        for start, kind in visits
    ]
    with transaction.atomic():
        # One series at a time per patient: two front-desk tabs booking the same plan would
        # each see the other's visits as not yet there.
        Patient.objects.select_for_update().filter(pk=episode.patient_id).first()
        first, last = min(visit.start for visit in chosen), max(visit.end for visit in chosen)
        problems = rules.series_problems(
            need=need,
            existing=_episode_visits(episode),
            chosen=chosen,
            patient_busy=schedule.patient_busy(
                episode.patient, first - datetime.timedelta(days=1), last + datetime.timedelta(days=1)
            ),
            zone=clinic.zone,
            two_a_day=two_a_day,
        )
        if problems:
            raise ValidationError(problems)
        series = VisitSeries.objects.create(episode=episode, created_by=actor)
        booked = [
            appointment_book(
                actor=actor, episode=episode, clinician=clinician, starts_at=start, kind=kind, notice=False
            )
            for start, kind in visits
        ]
        for visit in booked:
            visit.series = series
            visit.save(update_fields=["series"])
        audit.record(actor=actor, action="appointment.series_booked", obj=series, patient=episode.patient)
        outbox.enqueue(kind=MessageKind.VISIT_SERIES, episode=episode, subject_id=series.pk)
    return booked


def calendar_feed_create(*, actor: User, clinician: User) -> str:
    """A new secret feed URL path for ``clinician``; any earlier feed stops working."""
    if actor != clinician and not permissions.can_manage_staff(actor, clinician.clinic):
        raise PermissionDenied
    if not _may_own_feed(clinician, clinician.clinic_id):
        raise PermissionDenied
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.filter(clinician=clinician, revoked_at__isnull=True).update(revoked_at=timezone.now())
        feed = CalendarFeed.objects.create(
            clinician=clinician, clinic_id=clinician.clinic_id, token_hash=hashlib.sha256(token.encode()).hexdigest()
        )
        audit.record(actor=actor, action="calendar_feed.created", obj=feed)
    return token


def calendar_feed_revoke(*, actor: User, clinician: User) -> None:
    if actor != clinician and not permissions.can_manage_staff(actor, clinician.clinic):
        raise PermissionDenied
    with transaction.atomic():
        calendar_feeds_end(clinician=clinician, actor=actor)


def end_feeds_of_former_clinician(*, staff: User, actor: User, **_signal) -> None:
    """The core's staff service took away the account's clinical access: its feed ends now."""
    calendar_feeds_end(clinician=staff, actor=actor)


def calendar_feeds_end(*, clinician: User, actor: User | None) -> int:
    """Revoke the clinician's live feed, if any (inside the caller's transaction); how many ended."""
    now = timezone.now()
    ended = list(CalendarFeed.objects.select_for_update().filter(clinician=clinician, revoked_at__isnull=True))
    for feed in ended:
        feed.revoked_at = now
        feed.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="calendar_feed.revoked", obj=feed)
    return len(ended)


def _may_own_feed(user: User, clinic_id: int | None) -> bool:
    return rules.feed_alive(
        owner_active=user.is_active,
        owner_is_clinician=Role.CLINICIAN in permissions.roles_of(user),
        owner_clinic_id=user.clinic_id,
        feed_clinic_id=clinic_id,
    )


def calendar_feed_visits(token: str):
    """The upcoming visits of the feed's clinician in the feed's clinic, or None for an
    unknown or revoked token. A feed whose owner was deactivated, lost the Clinician role or
    moved to another clinic is revoked now and answers None."""
    feed = (
        CalendarFeed.objects.select_related("clinician")
        .filter(token_hash=hashlib.sha256(token.encode()).hexdigest(), revoked_at__isnull=True)
        .first()
    )
    if feed is None:
        return None
    if not _may_own_feed(feed.clinician, feed.clinic_id):
        with transaction.atomic():
            calendar_feeds_end(clinician=feed.clinician, actor=None)
        return None
    since = timezone.now() - datetime.timedelta(days=7)
    return list(
        Appointment.objects.filter(
            clinician=feed.clinician, episode__patient__clinic_id=feed.clinic_id, starts_at__gte=since
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("clinician", "episode__patient")
        .order_by("starts_at")
    )


# --- Wait list -----------------------------------------------------------------------------------


def wait_list_add(*, actor: User, episode: EpisodeOfCare, clinician: User | None, note: str = "") -> WaitListEntry:
    _require_scheduler(actor, episode)
    if episode.wait_list_entries.filter(closed_at__isnull=True).exists():
        raise ValidationError("This patient is already on the wait list for this episode.")
    entry = WaitListEntry(episode=episode, clinician=clinician, note=note.strip(), created_by=actor)
    entry.full_clean()
    with transaction.atomic():
        entry.save()
        audit.record(actor=actor, action="wait_list.added", obj=entry)
    return entry


def wait_list_for_slot(*, user: User, freed: Appointment) -> list[WaitListEntry]:
    """Open entries who could take a freed visit: same clinician (or any), episode open."""
    return list(
        WaitListEntry.objects.filter(
            closed_at__isnull=True,
            episode__in=permissions.scoped_episodes(user).filter(status="open"),
        )
        .filter(Q(clinician__isnull=True) | Q(clinician=freed.clinician))
        .exclude(episode=freed.episode)
        .select_related("episode__patient", "clinician")
    )


def wait_list_offer(*, actor: User, entry: WaitListEntry, freed: Appointment) -> Appointment:
    """Book the freed slot for the waiting patient and close their entry, in one step."""
    with transaction.atomic():
        booked = appointment_book(
            actor=actor,
            episode=entry.episode,
            clinician=freed.clinician,
            starts_at=freed.starts_at,
            minutes=int((freed.ends_at - freed.starts_at).total_seconds() // 60),
            override_reason=freed.override_reason,
        )
        entry.closed_at = timezone.now()
        entry.booked = booked
        entry.save(update_fields=["closed_at", "booked"])
        audit.record(actor=actor, action="wait_list.offered", obj=entry)
    return booked
