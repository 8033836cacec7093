"""The front desk's list of episodes whose signed plan is not fully booked."""

from __future__ import annotations

import datetime

from django.utils import timezone

from assessments.models import Assessment, AssessmentStatus
from clinic.scheduling import selectors
from clinic.scheduling.models import AppointmentStatus
from plans.models import PlanVersion, TreatmentPlan
from tests.factories import AppointmentFactory, EpisodeFactory


def _signed(episode, clinician, visits_per_week=1, weeks=3):
    assessment = Assessment.objects.create(
        episode=episode, clinician=clinician, status=AssessmentStatus.COMPLETED, completed_at=timezone.now()
    )
    plan = TreatmentPlan.objects.create(episode=episode, assessment=assessment, created_by=clinician)
    PlanVersion.objects.create(
        plan=plan,
        number=1,
        body={"visits_per_week": visits_per_week, "weeks": weeks},
        signed_by=clinician,
        signed_at=timezone.now() - datetime.timedelta(days=1),
    )


def _visit(episode, days, status=AppointmentStatus.BOOKED):
    start = timezone.now() + datetime.timedelta(days=days)
    AppointmentFactory(
        episode=episode,
        clinician=episode.lead_clinician,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=30),
        status=status,
        cancel_reason="x" if status == AppointmentStatus.CANCELLED else "",
    )


def test_lists_episodes_with_fewer_visits_than_planned(front_desk, clinic, clinician, django_assert_max_num_queries):
    short = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    full = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    _signed(short, clinician)
    _signed(full, clinician)
    for days in (1, 8, 15):
        _visit(full, days)
    _visit(short, 3)
    _visit(short, 4, AppointmentStatus.CANCELLED)  # does not count
    rows = selectors.under_scheduled(user=front_desk)
    assert [(row.episode.pk, row.booked, row.planned) for row in rows] == [(short.pk, 1, 3)]
    with django_assert_max_num_queries(8):
        selectors.under_scheduled(user=front_desk)


def test_the_dashboard_shows_the_list(client, front_desk, clinic, clinician):
    episode = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    _signed(episode, clinician)
    client.force_login(front_desk)
    page = client.get("/").content.decode()
    assert "Under-scheduled patients" in page
    assert episode.patient.full_name in page
