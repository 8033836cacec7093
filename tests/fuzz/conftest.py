"""Fixtures of the API fuzz (tests/fuzz/harness.py)."""

from __future__ import annotations

import pytest
from django.core.wsgi import get_wsgi_application

from clinic.api_auth import ApiRateThrottle
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


@pytest.fixture
def world(clinic, other_clinic, unthrottled):
    return harness.seed_world(clinic, other_clinic)


@pytest.fixture(params=list(harness.ROLES))
def run(request, world, wsgi_app):
    """One role's run, which knows how to be repeated."""
    return harness.Run(
        role=request.param,
        world=world,
        app=wsgi_app,
        rerun=harness.rerun_command(request.node.nodeid),
    )
