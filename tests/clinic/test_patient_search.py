"""Patient search as the clinic grows: ordering, the open-episode count, and the name
indexes PostgreSQL uses for it (bench/data_growth.py times it with 100,000 patients)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic import selectors
from clinic.models import EpisodeStatus
from tests.factories import EpisodeFactory, PatientFactory


def test_name_search_orders_by_name_whatever_the_case(clinic, front_desk):
    for first, last in [("ann", "mcdonald"), ("Bo", "Mason"), ("Al", "McAdams"), ("Cy", "MASTERS")]:
        PatientFactory(clinic=clinic, first_name=first, last_name=last)
    found = selectors.patient_search(user=front_desk, query="m")
    assert [patient.last_name for patient in found] == ["Mason", "MASTERS", "McAdams", "mcdonald"]


def test_search_counts_each_patients_open_episodes(clinic, front_desk, clinician):
    busy = PatientFactory(clinic=clinic, last_name="Okafor")
    EpisodeFactory.create_batch(2, patient=busy, lead_clinician=clinician)
    EpisodeFactory(
        patient=busy,
        lead_clinician=clinician,
        status=EpisodeStatus.DISCHARGED,
        opened_on=datetime.date(2024, 1, 1),
        closed_on=datetime.date(2024, 3, 1),
    )
    PatientFactory(clinic=clinic, last_name="Oakley")
    for query in ("", "o"):
        counts = {
            patient.last_name: patient.open_episodes
            for patient in selectors.patient_search(user=front_desk, query=query)
        }
        assert counts == {"Oakley": 0, "Okafor": 2}


def test_paginator_count_has_no_group_by(clinic, front_desk):
    PatientFactory.create_batch(3, clinic=clinic)
    with CaptureQueriesContext(connection) as captured:
        assert selectors.patient_search(user=front_desk, query="").count() == 3
    (count,) = [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"]]
    assert "GROUP BY" not in count


@pytest.mark.postgres
def test_name_prefix_indexes_exist_on_postgresql(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'clinic_patient'")
        indexes = dict(cursor.fetchall())
    for column in ("first_name", "last_name"):
        definition = indexes[f"patient_{column}_prefix"]
        assert f"upper(({column})::text) text_pattern_ops" in definition
