"""Fixtures of the API fuzz (tests/fuzz/harness.py)."""

from __future__ import annotations

import pytest
from django.core.wsgi import get_wsgi_application
from django.db import transaction

from clinic.api_auth import ApiRateThrottle
from tests import internal_labels
from tests.factories import ClinicFactory
from tests.fuzz import harness


@pytest.fixture
def wsgi_app():
    """The real WSGI application, called in-process in the test's transaction."""
    try:
        yield get_wsgi_application()
    finally:
        harness.reconnect_request_signals()


@pytest.fixture
def unthrottled(monkeypatch):
    # Throttling has its own tests; here it would answer 429 before the handlers are reached.
    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", {"api_token": None, "api_session": None})


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The two seeded clinics, made once for a module (seeding takes seconds; each of a module's
    runs would otherwise make the same again) and rolled back when it ends. Each test's ``db``
    transaction nests inside, so what one run writes is rolled back before the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = harness.seed_world(ClinicFactory(), ClinicFactory(name="Across Town Physio"))
        # The seeding's messages are sent before any test's own check of them.
        internal_labels.check_sent_messages()
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def world(seeded, db, unthrottled):
    return seeded


@pytest.fixture(params=list(harness.ROLES))
def run(request, world, wsgi_app):
    """One role's run, which knows how to be repeated."""
    return harness.Run(
        role=request.param,
        world=world,
        app=wsgi_app,
        rerun=harness.rerun_command(request.node.nodeid),
    )
