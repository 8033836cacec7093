"""Booking a signed plan's follow-ups in one step."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, AssessmentStatus
from clinic.scheduling.models import Appointment, AppointmentKind, WorkingHours
from plans.models import PlanVersion, TreatmentPlan


@pytest.fixture
def signed_plan(episode, clinician):
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))
    assessment = Assessment.objects.create(
        episode=episode, clinician=clinician, status=AssessmentStatus.COMPLETED, completed_at=timezone.now()
    )
    plan = TreatmentPlan.objects.create(
        episode=episode, assessment=assessment, created_by=clinician, visits_per_week=2, weeks=2
    )
    return PlanVersion.objects.create(
        plan=plan,
        number=1,
        body={"visits_per_week": 2, "weeks": 2, "items": []},
        signed_by=clinician,
        signed_at=timezone.now(),
    )


def _proposed(response) -> list[str]:
    return re.findall(r'name="visit" value="([^"]+)"', response.content.decode())


def test_front_desk_books_the_series_in_one_step(
    client, front_desk, episode, signed_plan, django_capture_on_commit_callbacks
):
    client.force_login(front_desk)
    url = reverse("schedule_book_plan", args=[episode.pk])
    proposal = client.get(url)
    visits = _proposed(proposal)
    assert len(visits) == 4
    assert visits[-1].endswith("|reassessment")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"visit": visits})
    assert response.status_code == 302
    booked = list(Appointment.objects.order_by("starts_at"))
    assert len(booked) == 4
    assert booked[-1].kind == AppointmentKind.REASSESSMENT
    assert len({visit.starts_at.date() for visit in booked}) == 4  # different days
    assert len(mail.outbox) == 4
    assert all(message.attachments[0][0] == "visit.ics" for message in mail.outbox)


def test_a_series_is_all_or_nothing(client, front_desk, episode, clinician, signed_plan):
    client.force_login(front_desk)
    url = reverse("schedule_book_plan", args=[episode.pk])
    visits = _proposed(client.get(url))
    # Someone books the third slot meanwhile.
    start = datetime.datetime.fromisoformat(visits[2].split("|")[0])
    Appointment.objects.create(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )
    response = client.post(url, {"visit": visits}, follow=True)
    assert "already has a visit" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_unticking_books_fewer(client, front_desk, episode, signed_plan):
    client.force_login(front_desk)
    url = reverse("schedule_book_plan", args=[episode.pk])
    visits = _proposed(client.get(url))
    client.post(url, {"visit": visits[:2]})
    assert Appointment.objects.count() == 2


def test_without_a_signed_plan_there_is_nothing_to_book(client, front_desk, episode):
    client.force_login(front_desk)
    response = client.get(reverse("schedule_book_plan", args=[episode.pk]))
    assert response.status_code == 302


def test_a_tampered_visit_value_is_a_message(client, front_desk, episode, signed_plan):
    client.force_login(front_desk)
    response = client.post(reverse("schedule_book_plan", args=[episode.pk]), {"visit": ["yesterday|nap"]}, follow=True)
    assert "not understood" in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_patients_preferred_days_and_times_are_met_when_free(client, front_desk, episode, signed_plan):
    client.force_login(front_desk)
    url = reverse("schedule_book_plan", args=[episode.pk])
    response = client.get(url, {"weekdays": ["1", "3"], "earliest": "15:00", "latest": "16:00"})
    visits = [datetime.datetime.fromisoformat(value.split("|")[0]) for value in _proposed(response)]
    assert len(visits) == 4
    zone = episode.patient.clinic.zone
    assert {visit.astimezone(zone).weekday() for visit in visits} <= {1, 3}
    assert all(datetime.time(15) <= visit.astimezone(zone).time() <= datetime.time(16) for visit in visits)


def test_an_impossible_preference_is_a_field_error(client, front_desk, episode, signed_plan):
    client.force_login(front_desk)
    response = client.get(reverse("schedule_book_plan", args=[episode.pk]), {"earliest": "16:00", "latest": "09:00"})
    assert "The latest start is before the earliest" in response.content.decode()
    assert len(_proposed(response)) == 4  # proposed without the preference
