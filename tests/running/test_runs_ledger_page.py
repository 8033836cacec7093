"""The load ledger on the episode page: clinicians only, the last runs with their flags (active
outside a plan, information only within one), in a bounded number of queries, audited."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent
from running import run_selectors
from tests.assessments.helpers import login
from tests.running import runs_fixtures
from tests.running.runs_fixtures import log

pytestmark = pytest.mark.django_db

run_episode = runs_fixtures.run_episode
return_to_run = runs_fixtures.return_to_run


def _page(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_clinician_sees_the_ledger_with_active_flags_outside_a_plan(client, clinician, run_episode):
    log(run_episode, days_ago=10, km="4.00")
    log(run_episode, days_ago=2, km="5.00")
    page = _page(login(client, clinician).get(f"/episodes/{run_episode.pk}/"))
    assert "Running load" in page
    assert "125.0 % of 4.00 km" in page
    assert '<span class="tier tier-caution">longer than 30-day longest</span>' in page
    assert "(information only)" not in page
    assert AuditEvent.objects.filter(action="run.load_ledger_viewed", actor=clinician).count() == 1


def test_within_a_plan_the_flags_are_information_only_and_planned_runs_labelled(client, clinician, return_to_run):
    episode = return_to_run.episode
    log(episode, days_ago=10, km="1.61")
    return_to_run.current_phase = 2
    return_to_run.save()
    log(episode, days_ago=2, km="2.41")
    page = _page(login(client, clinician).get(f"/episodes/{episode.pk}/"))
    assert "longer than 30-day longest (information only)" in page
    assert "protocol-planned" in page


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_other_roles_do_not_see_it(request, client, run_episode, role):
    log(run_episode)
    response = login(client, request.getfixturevalue(role)).get(f"/episodes/{run_episode.pk}/")
    assert "Running load" not in _page(response)


def test_the_ledger_reads_a_bounded_number_of_queries_and_shows_the_last_30_runs(run_episode):
    for days_ago in range(40):
        log(run_episode, days_ago=days_ago + 1, km="3.00")
    with CaptureQueriesContext(connection) as queries:
        rows = run_selectors.episode_ledger(run_episode, progression_pct=30, spike_pct=110)
    assert len(queries) == 2
    assert len(rows) == run_selectors.LEDGER_RUNS
    assert rows[0].local_date > rows[-1].local_date
    # The oldest shown still has its 30 days of history behind it.
    assert rows[-1].longest_prior_km is not None
