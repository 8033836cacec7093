"""Booking a signed plan's follow-ups in one step."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, AssessmentStatus
from clinic.permissions import Role
from clinic.scheduling.models import Appointment, AppointmentKind, AppointmentStatus, WorkingHours
from plans.models import PlanVersion, TreatmentPlan
from tests.factories import EpisodeFactory, UserFactory


def _sign(episode, clinician, *, visits_per_week: int, weeks: int) -> PlanVersion:
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))
    assessment = Assessment.objects.create(
        episode=episode, clinician=clinician, status=AssessmentStatus.COMPLETED, completed_at=timezone.now()
    )
    plan = TreatmentPlan.objects.create(
        episode=episode, assessment=assessment, created_by=clinician, visits_per_week=visits_per_week, weeks=weeks
    )
    return PlanVersion.objects.create(
        plan=plan,
        number=1,
        body={"visits_per_week": visits_per_week, "weeks": weeks, "items": []},
        signed_by=clinician,
        signed_at=timezone.now(),
    )


@pytest.fixture
def signed_plan(episode, clinician):
    return _sign(episode, clinician, visits_per_week=2, weeks=2)


@pytest.fixture
def six_visit_plan(episode, clinician):
    return _sign(episode, clinician, visits_per_week=2, weeks=3)


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
    (message,) = mail.outbox  # one confirmation for the whole series
    assert message.attachments[0][0] == "visits.ics"


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


def _book_two(episode, clinician) -> list[datetime.date]:
    """Two visits already booked in the plan's first week: the day after tomorrow and the day after."""
    zone = episode.patient.clinic.zone
    today = timezone.localdate(timezone.now(), zone)
    days = [today + datetime.timedelta(days=2), today + datetime.timedelta(days=4)]
    for day in days:
        start = datetime.datetime.combine(day, datetime.time(10), tzinfo=zone)
        Appointment.objects.create(
            episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
        )
    return days


def test_visits_already_booked_count_and_their_days_are_left_free(
    client, front_desk, episode, clinician, six_visit_plan
):
    booked_days = _book_two(episode, clinician)
    client.force_login(front_desk)
    url = reverse("schedule_book_plan", args=[episode.pk])
    response = client.get(url)
    assert "2 of 6 visits booked; 4 proposed" in response.content.decode()
    visits = _proposed(response)
    assert len(visits) == 4
    zone = episode.patient.clinic.zone
    proposed_days = {datetime.datetime.fromisoformat(value.split("|")[0]).astimezone(zone).date() for value in visits}
    assert not proposed_days & set(booked_days)
    assert [value.split("|")[1] for value in visits].count("reassessment") == 1
    client.post(url, {"visit": visits})
    assert Appointment.objects.filter(episode=episode).count() == 6


def test_a_booked_reassessment_is_not_proposed_again(client, front_desk, episode, clinician, signed_plan):
    zone = episode.patient.clinic.zone
    start = datetime.datetime.combine(
        timezone.localdate(timezone.now(), zone) + datetime.timedelta(days=9), datetime.time(10), tzinfo=zone
    )
    Appointment.objects.create(
        episode=episode,
        clinician=clinician,
        kind=AppointmentKind.REASSESSMENT,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=45),
    )
    client.force_login(front_desk)
    visits = _proposed(client.get(reverse("schedule_book_plan", args=[episode.pk])))
    assert len(visits) == 3
    assert not any(value.endswith("|reassessment") for value in visits)


def test_cancelled_and_missed_visits_do_not_count(client, front_desk, episode, clinician, signed_plan):
    days = _book_two(episode, clinician)
    first, second = Appointment.objects.order_by("starts_at")
    first.status, first.cancel_reason = AppointmentStatus.CANCELLED, "Ill"
    first.save()
    second.status = AppointmentStatus.NO_SHOW
    second.save()
    client.force_login(front_desk)
    response = client.get(reverse("schedule_book_plan", args=[episode.pk]))
    assert "0 of 4 visits booked; 4 proposed" in response.content.decode()
    assert days  # both days are free again for the proposal
    assert len(_proposed(response)) == 4


def test_the_patients_visits_with_another_clinician_block_their_day(
    client, front_desk, episode, clinician, signed_plan, clinic
):
    other = UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
    zone = clinic.zone
    tomorrow = timezone.localdate(timezone.now(), zone) + datetime.timedelta(days=1)
    start = datetime.datetime.combine(tomorrow, datetime.time(8), tzinfo=zone)
    other_episode = EpisodeFactory(patient=episode.patient, lead_clinician=other)
    Appointment.objects.create(
        episode=other_episode, clinician=other, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )
    client.force_login(front_desk)
    url = reverse("schedule_book_plan", args=[episode.pk])
    visits = _proposed(client.get(url))
    starts = [datetime.datetime.fromisoformat(value.split("|")[0]).astimezone(zone) for value in visits]
    assert tomorrow not in {start.date() for start in starts}
    # Asked for, a second visit that day is allowed, after the other one.
    allowed = _proposed(client.get(url, {"two_a_day": "on"}))
    first = datetime.datetime.fromisoformat(allowed[0].split("|")[0]).astimezone(zone)
    assert first == start + datetime.timedelta(minutes=30)


def test_booking_rechecks_the_plan_and_the_patients_day(client, front_desk, episode, clinician, signed_plan):
    client.force_login(front_desk)
    url = reverse("schedule_book_plan", args=[episode.pk])
    visits = _proposed(client.get(url))
    # Meanwhile someone books a visit of the plan on the first proposed day, an hour later.
    start = datetime.datetime.fromisoformat(visits[0].split("|")[0]) + datetime.timedelta(hours=1)
    Appointment.objects.create(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )
    response = client.post(url, {"visit": visits}, follow=True)
    page = response.content.decode()
    assert "choose at most 3 more" in page
    assert "already has a visit on the day" in page
    assert Appointment.objects.count() == 1
    # The page proposes again from the current state.
    assert "1 of 4 visits booked; 3 proposed" in page


def test_a_naive_visit_time_is_a_message(client, front_desk, episode, signed_plan):
    client.force_login(front_desk)
    response = client.post(
        reverse("schedule_book_plan", args=[episode.pk]), {"visit": ["2030-01-07T09:00|follow_up"]}, follow=True
    )
    assert "not understood" in response.content.decode()
    assert not Appointment.objects.exists()
