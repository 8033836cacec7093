"""Shared pieces of the run-log tests: an episode opened a while ago, a return-to-run plan on
Template A's table, a portal link, and a run logged through the service."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from clinic.portal import services as portal
from running.models import ReturnToRun
from running.services import runs
from tests.plans.handout_helpers import home_item, signed_version

# The six phases of the published walk-run program as a signed table would hold them.
TEMPLATE_A = [
    {"walk_min": 2, "run_min": 3, "distance_km": "1.61", "rpe": 3},
    {"walk_min": 2, "run_min": 3, "distance_km": "2.41", "rpe": 3},
    {"walk_min": 2, "run_min": 4, "distance_km": "2.41", "rpe": 4},
    {"walk_min": 2, "run_min": 4, "distance_km": "3.22", "rpe": 4},
    {"walk_min": 1, "run_min": 4, "distance_km": "3.22", "rpe": 5},
    {"walk_min": 0, "distance_km": "3.22", "rpe": 5},
]
FEEL = runs.Feel(pain_before=1, pain_during=2, rpe=3, swelling_or_stiffness=False, note="Felt fine")


def local_today(clinic) -> datetime.date:
    return timezone.localdate(timezone.now(), clinic.zone)


@pytest.fixture
def run_episode(episode):
    episode.opened_on = local_today(episode.patient.clinic) - datetime.timedelta(days=60)
    episode.save(update_fields=["opened_on"])
    return episode


@pytest.fixture
def return_to_run(run_episode):
    version = signed_version(run_episode, [home_item("Glute bridge")], handout=False)
    return ReturnToRun.objects.create(
        episode=run_episode,
        plan_version=version,
        phases=TEMPLATE_A,
        started_on=run_episode.opened_on,
        started_by=run_episode.lead_clinician,
    )


def portal_path(patient) -> str:
    return urlsplit(portal.link_issue(patient=patient)).path


def log(episode, *, days_ago: int = 1, km: str = "1.61", minutes: int = 20, feel: runs.Feel = FEEL, **extra):
    from decimal import Decimal

    from running import run_rules

    return runs.log_run(
        episode=episode,
        local_date=local_today(episode.patient.clinic) - datetime.timedelta(days=days_ago),
        distance_m=run_rules.km_to_m(Decimal(km)),
        moving_s=minutes * 60,
        feel=feel,
        **extra,
    )
