"""The migration that stores each episode's latest attended visit fills it for the episodes and
visits already there: the latest checked in or completed, none for an episode never attended."""

from __future__ import annotations

import datetime

import pytest

from clinic.models import EpisodeOfCare
from clinic.scheduling.models import AppointmentStatus
from tests import migrating
from tests.factories import AppointmentFactory, EpisodeFactory

BEFORE = [("clinic", "0023_recert_progress_reports_help")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_latest_attended_visit_of_existing_episodes(episode, clinician):
    never = EpisodeFactory(patient=episode.patient, lead_clinician=clinician)
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    for days_ago, status in (
        (9, AppointmentStatus.COMPLETED),
        (6, AppointmentStatus.CHECKED_IN),
        (3, AppointmentStatus.NO_SHOW),
        (2, AppointmentStatus.CANCELLED),
    ):
        AppointmentFactory(
            episode=episode, starts_at=now - datetime.timedelta(days=days_ago), status=status, cancel_reason="Ill"
        )
    AppointmentFactory(episode=never)  # booked for tomorrow
    try:
        # Back before the column (its values go with it), then forward: the fill writes them again.
        migrating.migrate(BEFORE)
    finally:
        migrating.migrate()
    stored = dict(EpisodeOfCare.objects.values_list("pk", "last_attended_at"))
    assert stored == {episode.pk: now - datetime.timedelta(days=6), never.pk: None}
