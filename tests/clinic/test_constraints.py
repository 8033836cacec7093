"""The database itself refuses rows that break the core invariants."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction

from clinic.models import EpisodeOfCare, EpisodeStatus, Patient, User
from tests.factories import EpisodeFactory, PatientFactory


def _refused(make_row) -> bool:
    try:
        with transaction.atomic():
            make_row()
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    ("fields", "refused"),
    [
        ({}, False),
        ({"date_of_birth": datetime.date(1899, 12, 31)}, True),
        ({"preferred_contact_channel": "email", "email": ""}, True),
        ({"preferred_contact_channel": "sms", "mobile_phone": ""}, True),
        ({"preferred_contact_channel": "sms", "email": ""}, False),
    ],
)
def test_patient_constraints(clinic, fields, refused):
    base = {
        "clinic": clinic,
        "first_name": "Ada",
        "last_name": "Runner",
        "date_of_birth": datetime.date(1990, 5, 1),
        "sex": "female",
        "email": "ada@example.test",
        "mobile_phone": "+13125550142",
    }
    assert _refused(lambda: Patient.objects.create(**{**base, **fields})) is refused


@pytest.mark.parametrize(
    ("status", "opened", "closed", "refused"),
    [
        (EpisodeStatus.OPEN, datetime.date(2026, 1, 5), None, False),
        (EpisodeStatus.OPEN, datetime.date(2026, 1, 5), datetime.date(2026, 2, 1), True),
        (EpisodeStatus.DISCHARGED, datetime.date(2026, 1, 5), None, True),
        (EpisodeStatus.DISCHARGED, datetime.date(2026, 1, 5), datetime.date(2026, 1, 4), True),
        (EpisodeStatus.DISCHARGED, datetime.date(2026, 1, 5), datetime.date(2026, 1, 5), False),
    ],
)
def test_episode_constraints(patient, clinician, status, opened, closed, refused):
    def make():
        EpisodeOfCare.objects.create(
            patient=patient,
            lead_clinician=clinician,
            presenting_complaint="Hip pain",
            status=status,
            opened_on=opened,
            closed_on=closed,
        )

    assert _refused(make) is refused


def test_staff_email_unique_whatever_the_case(clinician):
    assert _refused(
        lambda: User.objects.create(email=clinician.email.upper(), full_name="Copy", clinic=clinician.clinic)
    )


def test_staff_account_belongs_to_a_clinic(db):
    assert _refused(lambda: User.objects.create(email="orphan@example.test", full_name="Orphan"))


def test_patient_may_have_several_episodes(clinic):
    patient = PatientFactory(clinic=clinic)
    EpisodeFactory(
        patient=patient,
        status=EpisodeStatus.DISCHARGED,
        opened_on=datetime.date(2024, 3, 1),
        closed_on=datetime.date(2024, 5, 1),
    )
    EpisodeFactory(patient=patient)
    assert patient.episodes.count() == 2
