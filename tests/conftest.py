from __future__ import annotations

import os

import pytest

from clinic.permissions import Role
from tests import internal_labels
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"

# A plugin rather than tests/fuzz/conftest.py, so that pytest-xdist's controller loads it too.
pytest_plugins = ["tests.fuzz.report"]


def _require_service(variable: str, what: str, needed_prefix: str) -> None:
    """Skip locally when a service is not configured; under CI=true, fail instead."""
    value = os.environ.get(variable, "")
    if value.startswith(needed_prefix):
        return
    message = f"{what} is needed: set {variable} (e.g. {needed_prefix}//127.0.0.1/...)"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _no_internal_labels_in_rendered_templates():
    internal_labels.install()


@pytest.fixture(autouse=True)
def _no_internal_labels_in_sent_messages():
    yield
    internal_labels.check_sent_messages()


@pytest.fixture(autouse=True)
def _services_for_marked_tests(request):
    if request.node.get_closest_marker("postgres"):
        _require_service("DATABASE_URL", "PostgreSQL", "postgres:")
    if request.node.get_closest_marker("redis"):
        _require_service("REDIS_URL", "Redis", "redis:")


# The audit table refuses TRUNCATE on PostgreSQL (clinic/0009); the test database empties its
# tables between transactional tests with TRUNCATE, so its flushes, and only they, switch the
# trigger off around their own TRUNCATE (in the flush's transaction; tests that migrate backwards
# may have dropped it).
_AUDIT_TRUNCATE_TRIGGER = """DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'clinic_auditevent_no_truncate') THEN
        ALTER TABLE clinic_auditevent {} TRIGGER clinic_auditevent_no_truncate;
    END IF;
END $$;"""


@pytest.fixture(scope="session", autouse=True)
def _test_flushes_may_truncate_the_audit_table():
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = flush(self, style, tables, **kwargs)
        if statements and "clinic_auditevent" in tables:
            statements = [
                _AUDIT_TRUNCATE_TRIGGER.format("DISABLE"),
                *statements,
                _AUDIT_TRUNCATE_TRIGGER.format("ENABLE"),
            ]
        return statements

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def clinic(db):
    return ClinicFactory()


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Across Town Physio")


@pytest.fixture
def clinician(clinic):
    return UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name="Dana Lead")


@pytest.fixture
def front_desk(clinic):
    return UserFactory(clinic=clinic, roles=[Role.FRONT_DESK])


@pytest.fixture
def clinic_admin(clinic):
    return UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN])


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


@pytest.fixture
def episode(patient, clinician):
    return EpisodeFactory(patient=patient, lead_clinician=clinician)


@pytest.fixture
def foreign_patient(other_clinic):
    """A patient of another clinic: never reachable by our clinic's staff."""
    return PatientFactory(clinic=other_clinic)


@pytest.fixture
def foreign_episode(foreign_patient, other_clinic):
    return EpisodeFactory(
        patient=foreign_patient, lead_clinician=UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    )
