"""The clinician's dashboard shows the submitted intakes still waiting for them, red flag or not."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from clinic.models import EpisodeStatus
from clinic.permissions import Role
from clinic.views import DASHBOARD_INTAKES
from intake.models import Intake, IntakeStatus, ReviewNote
from tests.factories import AssessmentFactory, EpisodeFactory, PatientFactory, UserFactory

STAFF_BACKEND = "clinic.backends.StaffBackend"


def _submitted(clinic, clinician, *, minutes_ago=0, **episode_fields):
    episode = EpisodeFactory(patient=PatientFactory(clinic=clinic), lead_clinician=clinician, **episode_fields)
    return Intake.objects.create(
        episode=episode,
        status=IntakeStatus.SUBMITTED,
        submitted_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
    )


def _links(html: str) -> list[int]:
    section = html.split('id="my-intakes"', 1)[1].split("</section>", 1)[0]
    return [int(pk) for pk in re.findall(r'href="/episodes/(\d+)/intake/"', section)]


def _dashboard(client, user, query=""):
    client.force_login(user, backend=STAFF_BACKEND)
    response = client.get("/" + query)
    assert response.status_code == 200
    return response.content.decode()


def test_a_submitted_intake_without_red_flag_waits_for_its_lead_clinician(client, clinic, clinician):
    older = _submitted(clinic, clinician, minutes_ago=60)
    newer = _submitted(clinic, clinician, minutes_ago=5)

    html = _dashboard(client, clinician)

    assert "New intakes to review (2)" in html
    assert _links(html) == [newer.episode_id, older.episode_id]


def test_intakes_already_seen_or_not_the_clinicians_are_not_listed(client, clinic, other_clinic, clinician):
    waiting = _submitted(clinic, clinician)
    noted = _submitted(clinic, clinician)
    ReviewNote.objects.create(intake=noted, author=clinician, text="Seen, book the exam.")
    assessed = _submitted(clinic, clinician)
    AssessmentFactory(episode=assessed.episode, clinician=clinician)
    _submitted(clinic, clinician, status=EpisodeStatus.DISCHARGED, closed_on=timezone.localdate(timezone=clinic.zone))
    _submitted(clinic, UserFactory(clinic=clinic, roles=[Role.CLINICIAN]))
    Intake.objects.create(
        episode=EpisodeFactory(patient=PatientFactory(clinic=clinic), lead_clinician=clinician),
        status=IntakeStatus.IN_PROGRESS,
    )

    html = _dashboard(client, clinician)

    assert "New intakes to review (1)" in html
    assert _links(html) == [waiting.episode_id]


def test_no_intake_waiting_says_so(client, clinic, clinician):
    html = _dashboard(client, clinician)

    assert "New intakes to review (0)" in html
    assert "No submitted intakes are waiting for you." in html


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_other_roles_get_no_intakes_to_review(client, clinic, clinician, role):
    _submitted(clinic, clinician)

    html = _dashboard(client, UserFactory(clinic=clinic, roles=[role]))

    assert "New intakes to review" not in html


def test_many_intakes_come_a_page_at_a_time(client, clinic, clinician):
    intakes = [_submitted(clinic, clinician, minutes_ago=minutes) for minutes in range(DASHBOARD_INTAKES + 3)]

    first = _dashboard(client, clinician)
    second = _dashboard(client, clinician, "?intakes_page=2")

    assert f"New intakes to review ({DASHBOARD_INTAKES + 3})" in first
    assert _links(first) == [intake.episode_id for intake in intakes[:DASHBOARD_INTAKES]]
    assert 'href="?intakes_page=2#my-intakes"' in first
    assert _links(second) == [intake.episode_id for intake in intakes[DASHBOARD_INTAKES:]]
    assert _links(_dashboard(client, clinician, "?intakes_page=nonsense")) == _links(first)


# The clinician's dashboard (tests/clinic/test_pages.py), with its intakes to review, notes to finish and
# visits without a signed note (one query more for that list), and the return-to-run lists (2).
DASHBOARD_QUERIES = 15


def test_the_query_count_does_not_grow_with_intakes(client, clinic, clinician, django_assert_num_queries):
    _submitted(clinic, clinician)
    client.force_login(clinician, backend=STAFF_BACKEND)
    client.get("/")
    with django_assert_num_queries(DASHBOARD_QUERIES):
        client.get("/")
    for minutes in range(DASHBOARD_INTAKES * 2):
        _submitted(clinic, clinician, minutes_ago=minutes)

    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get("/")

    assert len(_links(response.content.decode())) == DASHBOARD_INTAKES
