from __future__ import annotations

import os

import pytest

from clinic.permissions import Role
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


@pytest.fixture(autouse=True)
def _services_for_marked_tests(request):
    if request.node.get_closest_marker("postgres"):
        _require_service("DATABASE_URL", "PostgreSQL", "postgres:")
    if request.node.get_closest_marker("redis"):
        _require_service("REDIS_URL", "Redis", "redis:")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database empties its tables between transactional tests with TRUNCATE, which
    the audit table refuses on PostgreSQL (clinic/0009): here, and only here, that is allowed."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE clinic_auditevent DISABLE TRIGGER clinic_auditevent_no_truncate")


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
