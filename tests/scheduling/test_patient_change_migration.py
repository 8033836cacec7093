"""The migration that starts recording patients' own changes keeps the visits patients cancelled
from a reminder before it on the front desk's list, and leaves every other cancellation out."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clinic.scheduling import services
from clinic.scheduling.models import Appointment, PatientChange, PatientVisitChange
from tests import migrating
from tests.factories import AppointmentFactory

BEFORE = [("scheduling", "0022_hours_do_not_overlap")]


@pytest.mark.django_db(transaction=True)
def test_earlier_patient_cancellations_are_recorded_as_patient_changes(episode):
    start = timezone.now() + datetime.timedelta(days=2)
    by_patient = AppointmentFactory(episode=episode, starts_at=start, ends_at=start + datetime.timedelta(minutes=30))
    by_desk = AppointmentFactory(
        episode=episode,
        starts_at=start + datetime.timedelta(hours=2),
        ends_at=start + datetime.timedelta(hours=2, minutes=30),
    )
    Appointment.objects.filter(pk=by_patient.pk).update(
        status="cancelled", cancel_reason=services.PATIENT_CANCEL_REASON
    )
    Appointment.objects.filter(pk=by_desk.pk).update(status="cancelled", cancel_reason="Clinician ill")
    try:
        migrating.migrate(BEFORE)
    finally:
        migrating.migrate()
    [change] = PatientVisitChange.objects.all()
    assert (change.appointment_id, change.change, change.new_starts_at) == (
        by_patient.pk,
        PatientChange.CANCELLED,
        None,
    )
    assert (change.old_starts_at, change.old_ends_at) == (by_patient.starts_at, by_patient.ends_at)
