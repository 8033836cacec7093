"""The patient's own changes to a visit, from the portal or a reminder's link: move it to another
free time of the same clinician within the clinic's policy, or cancel it.

No staff member acts, so the audit rows name no actor. Every check runs again inside the
transaction that writes, whatever the page offered: the page is only a list to choose from.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import audit
from clinic.outbox.models import MessageLink
from clinic.scheduling import rules, selectors, services, visit_reminders
from clinic.scheduling.models import Appointment, AppointmentStatus, PatientChange, PatientVisitChange
from clinic.webhooks.rules import EventType

PORTAL_CANCEL_REASON = "Cancelled by the patient from the portal"


def too_late_to_move(appointment: Appointment, *, now: datetime.datetime | None = None) -> bool:
    """Inside the clinic's notice window: the patient is asked to call instead."""
    policy = selectors.patient_policy(appointment.episode.patient.clinic)
    return not rules.patient_may_move(appointment.starts_at, now or timezone.now(), policy.notice)


def _locked(appointment: Appointment) -> Appointment:
    visit = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinician__clinic", "episode__patient__clinic")
        .get(pk=appointment.pk)
    )
    if visit.status != AppointmentStatus.BOOKED:
        raise ValidationError("This visit is no longer booked.", code="not_booked")
    return visit


def check_new_time(appointment: Appointment, starts_at: datetime.datetime) -> None:
    """Refuse a time the patient may not move the visit to (``ValidationError`` in words for
    them); writes nothing. The move checks again as it writes."""
    services.plausible_start(starts_at)
    _check_new_time(appointment, starts_at, timezone.now())


def _check_new_time(visit: Appointment, starts_at: datetime.datetime, now: datetime.datetime) -> None:
    clinic = visit.episode.patient.clinic
    policy = selectors.patient_policy(clinic)
    if not rules.patient_may_move(visit.starts_at, now, policy.notice):
        raise ValidationError(
            "Your visit is too close to move online. Please call the clinic to change it.", code="too_late"
        )
    earliest, end = rules.patient_window(now, policy.notice, policy.horizon_days, clinic.zone)
    day = starts_at.astimezone(clinic.zone).date()
    offered = selectors.patient_slots(visit, [day], earliest=earliest, end=end)[day]
    problem = rules.patient_slot_problem(starts_at, offered=offered, now=now, earliest=earliest, end=end)
    if problem:
        raise ValidationError({"slot": problem}, code="slot")


def appointment_reschedule_by_patient(
    *, appointment: Appointment, starts_at: datetime.datetime, link: MessageLink | None = None
) -> Appointment:
    """Move the patient's visit to ``starts_at``, one of the times they were offered.

    From a reminder, ``link`` is used up only when the move succeeds: a refused time leaves it
    working. The freed old time is noted for the front desk to offer to the wait list.
    """
    services.plausible_start(starts_at)
    with transaction.atomic():
        visit = _locked(appointment)
        now = timezone.now()
        _check_new_time(visit, starts_at, now)
        length = visit.ends_at - visit.starts_at
        # The same checks as the front desk's booking, with no reason to book outside hours.
        services.check_hours(visit.clinician, starts_at, starts_at + length, "")
        services.check_free(visit.clinician, starts_at, starts_at + length, ignore=visit.pk)
        if link is not None:
            services.use_reminder_link(link)
        change = PatientVisitChange(
            appointment=visit,
            change=PatientChange.RESCHEDULED,
            old_starts_at=visit.starts_at,
            old_ends_at=visit.ends_at,
            old_override_reason=visit.override_reason,
            new_starts_at=starts_at,
        )
        visit.starts_at, visit.ends_at = starts_at, starts_at + length
        visit.override_reason = ""
        visit.sequence += 1
        # A confirmation was for the old time.
        visit.confirmed_at = None
        services.insert_without_clash(visit)
        change.save()
        visit_reminders.sync(visit)
        services.emit_event(EventType.APPOINTMENT_RESCHEDULED, visit)
        audit.record(actor=None, action="appointment.rescheduled_by_patient", obj=visit, changed_fields=["starts_at"])
        services.queue_notice(visit)
    return visit


def appointment_cancel_from_portal(*, appointment: Appointment) -> Appointment:
    """The patient cancelled from their portal (after confirming on the page, by POST)."""
    with transaction.atomic():
        visit = _locked(appointment)
        services.cancel_for_patient(visit, reason=PORTAL_CANCEL_REASON)
    return visit
