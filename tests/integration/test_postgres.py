"""Guarantees that hold on PostgreSQL, the production database."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from clinic import audit
from clinic.models import AuditEvent


@pytest.mark.postgres
def test_runs_on_postgresql(db):
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE clinic_auditevent SET action = 'tampered' WHERE id = %s",
        "DELETE FROM clinic_auditevent WHERE id = %s",
    ],
)
def test_database_refuses_to_change_audit_rows(patient, clinician, statement):
    event = audit.record(actor=clinician, action="patient.viewed", obj=patient)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [event.pk])


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    # CASCADE: account notices point at audit rows, so without it the foreign key alone refuses.
    ["TRUNCATE clinic_auditevent CASCADE", "TRUNCATE clinic_user CASCADE"],
    ids=["the audit table", "a table it points at, cascading"],
)
def test_database_refuses_to_truncate_audit_rows(patient, clinician, statement):
    event = audit.record(actor=clinician, action="patient.viewed", obj=patient)
    with connection.cursor() as cursor:
        # The test's rows are checked now, as a TRUNCATE in a transaction of its own would find them.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(pk=event.pk).exists()
