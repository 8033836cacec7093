"""The patient's and the episode's pages list their visits and offer to book one; the booking
page of an episode offers a clinician's free times and books one."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import EpisodeStatus
from clinic.permissions import Role
from clinic.scheduling.models import Appointment, AppointmentStatus, WorkingHours
from tests.factories import AppointmentFactory, EpisodeFactory, UserFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def _hours(person) -> None:
    for weekday in range(7):
        WorkingHours.objects.create(clinician=person, weekday=weekday, start=datetime.time(8), end=datetime.time(17))


def _local(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate(timezone.now(), CHICAGO) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=CHICAGO)


def _visit(episode, start, **fields) -> Appointment:
    return AppointmentFactory(
        episode=episode,
        clinician=episode.lead_clinician,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=30),
        **fields,
    )


PAGES = [("patient_detail", lambda episode: episode.patient.pk), ("episode_detail", lambda episode: episode.pk)]


@pytest.mark.parametrize(("page", "pk"), PAGES)
def test_the_page_lists_upcoming_and_recent_visits_in_the_clinics_time(client, front_desk, episode, page, pk):
    # 23:30 in Chicago is the next day in UTC: the page shows the clinic's day and time.
    late = _visit(episode, _local(2, 23, 30), kind="reassessment")
    past = _visit(episode, _local(-3, 9), status=AppointmentStatus.COMPLETED)
    client.force_login(front_desk)
    html = client.get(reverse(page, args=[pk(episode)])).content.decode()
    upcoming, recent = html.split("<caption>Upcoming visits</caption>")[1].split("<caption>Recent visits</caption>")
    assert f'<a href="{reverse("schedule_visit", args=[late.pk])}">{_local(2, 23, 30):%a %-d %b %Y}</a>' in upcoming
    assert "23:30–00:00" in upcoming
    assert "Re-assessment" in upcoming
    assert episode.lead_clinician.full_name in upcoming
    assert reverse("schedule_visit", args=[past.pk]) in recent
    assert "Completed" in recent


@pytest.mark.parametrize(("page", "pk"), PAGES)
def test_without_visits_the_page_says_so_and_offers_to_book(client, front_desk, episode, page, pk):
    client.force_login(front_desk)
    html = client.get(reverse(page, args=[pk(episode)])).content.decode()
    assert "No visits yet." in html
    assert f'href="{reverse("schedule_book_episode", args=[episode.pk])}">Book a visit' in html


@pytest.mark.parametrize(("page", "pk"), PAGES)
def test_who_may_not_schedule_sees_visits_without_links_or_booking(client, clinic_admin, episode, page, pk):
    visit = _visit(episode, _local(1, 9))
    client.force_login(clinic_admin)
    response = client.get(reverse(page, args=[pk(episode)]))
    if response.status_code == 403:
        return
    html = response.content.decode()
    assert "Upcoming visits" in html
    assert reverse("schedule_visit", args=[visit.pk]) not in html
    assert reverse("schedule_book_episode", args=[episode.pk]) not in html


@pytest.mark.parametrize(("page", "pk"), PAGES)
def test_a_closed_episode_is_not_offered_for_booking(client, front_desk, episode, page, pk):
    episode.status = EpisodeStatus.DISCHARGED
    episode.closed_on = episode.opened_on
    episode.save()
    client.force_login(front_desk)
    assert (
        reverse("schedule_book_episode", args=[episode.pk])
        not in client.get(reverse(page, args=[pk(episode)])).content.decode()
    )


# The front desk's patient and episode pages, the same however many visits they list.
PAGE_QUERIES = {"patient_detail": 10, "episode_detail": 12}


@pytest.mark.parametrize(("page", "pk"), PAGES)
def test_the_pages_queries_do_not_grow_with_visits(
    client, front_desk, clinic, episode, page, pk, django_assert_num_queries
):
    second = EpisodeFactory(patient=episode.patient)
    _visit(episode, _local(1, 9))
    _visit(episode, _local(-1, 9))
    client.force_login(front_desk)
    url = reverse(page, args=[pk(episode)])
    client.get(url)
    with django_assert_num_queries(PAGE_QUERIES[page]):
        client.get(url)
    for number in range(12):
        other = UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
        for days in (2 + number, -2 - number):
            start = _local(days, 9)
            AppointmentFactory(
                episode=episode if number % 2 else second,
                clinician=other,
                starts_at=start,
                ends_at=start + datetime.timedelta(minutes=30),
            )
    with django_assert_num_queries(PAGE_QUERIES[page]):
        html = client.get(url).content.decode()
    assert html.count("/schedule/visits/") >= 12


# --- The booking page of an episode ------------------------------------------------------------------


@pytest.fixture
def lead(episode):
    _hours(episode.lead_clinician)
    return episode.lead_clinician


def test_the_booking_page_offers_the_lead_clinicians_free_times(client, front_desk, episode, lead):
    _visit(EpisodeFactory(patient__clinic=episode.patient.clinic, lead_clinician=lead), _local(1, 10))
    client.force_login(front_desk)
    html = client.get(reverse("schedule_book_episode", args=[episode.pk])).content.decode()
    assert f"Free times with {lead.full_name}" in html
    assert f'value="{_local(1, 11):%Y-%m-%dT%H:%M}"' in html
    assert f'value="{_local(1, 10):%Y-%m-%dT%H:%M}"' not in html  # taken
    assert f'<option value="{lead.pk}" selected>' in html
    # No visit yet in the episode: the first is its initial evaluation.
    assert '<option value="initial" selected>' in html


def test_another_clinicians_free_times(client, front_desk, clinic, episode, lead):
    other = UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name="Sam Second")
    WorkingHours.objects.create(
        clinician=other, weekday=_local(1, 9).weekday(), start=datetime.time(13), end=datetime.time(14)
    )
    client.force_login(front_desk)
    html = client.get(
        reverse("schedule_book_episode", args=[episode.pk]), {"clinician": other.pk, "kind": "follow_up"}
    ).content.decode()
    assert "Free times with Sam Second" in html
    assert f'value="{_local(1, 13):%Y-%m-%dT%H:%M}"' in html
    assert f'value="{_local(1, 11):%Y-%m-%dT%H:%M}"' not in html


def test_a_free_time_is_booked_for_the_episode(client, front_desk, episode, lead, django_capture_on_commit_callbacks):
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("schedule_book_episode", args=[episode.pk]),
            {"clinician": lead.pk, "kind": "initial", "starts_at": f"{_local(1, 11):%Y-%m-%dT%H:%M}"},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("episode_detail", args=[episode.pk])
    visit = Appointment.objects.get()
    assert (visit.episode, visit.clinician, visit.starts_at, visit.kind) == (episode, lead, _local(1, 11), "initial")
    assert visit.ends_at - visit.starts_at == datetime.timedelta(minutes=45)


def test_a_time_taken_meanwhile_is_refused_beside_the_times(client, front_desk, episode, lead):
    _visit(EpisodeFactory(patient__clinic=episode.patient.clinic, lead_clinician=lead), _local(1, 11))
    client.force_login(front_desk)
    response = client.post(
        reverse("schedule_book_episode", args=[episode.pk]),
        {"clinician": lead.pk, "kind": "follow_up", "starts_at": f"{_local(1, 11):%Y-%m-%dT%H:%M}"},
    )
    assert response.status_code == 400
    assert 'id="id_starts_at_errors"' in response.content.decode()
    assert "already has a visit" in response.content.decode()
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"clinician": "abc"}, "Choose a clinician of this clinic."),
        ({"clinician": "foreign"}, "Choose a clinician of this clinic."),
        ({"kind": "x\x00"}, "Choose one of the visit types."),
        ({"starts_at": ""}, "Choose one of the free times."),
        ({"starts_at": "soon"}, "Choose one of the free times."),
        ({"starts_at": "2026-12-01T10:00\x00"}, "control character"),
        ({"starts_at": "1" * 100_000}, "at most 30 characters"),
        ({"starts_at": "0001-01-01T10:00"}, "Check the year"),
    ],
)
def test_bad_input_is_a_field_error(client, front_desk, episode, lead, foreign_episode, fields, shown):
    data = {"clinician": lead.pk, "kind": "follow_up", "starts_at": f"{_local(1, 11):%Y-%m-%dT%H:%M}", **fields}
    if data["clinician"] == "foreign":
        data["clinician"] = foreign_episode.lead_clinician.pk
    client.force_login(front_desk)
    response = client.post(reverse("schedule_book_episode", args=[episode.pk]), data)
    assert response.status_code == 400
    assert shown in response.content.decode()
    assert foreign_episode.lead_clinician.full_name not in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_bad_choice_of_whose_times_to_show_is_an_error_not_a_crash(client, front_desk, episode, lead):
    client.force_login(front_desk)
    response = client.get(reverse("schedule_book_episode", args=[episode.pk]), {"clinician": "9" * 500, "kind": "\x00"})
    assert response.status_code == 200
    assert "Choose a clinician of this clinic." in response.content.decode()
    assert f"Free times with {lead.full_name}" in response.content.decode()


@pytest.mark.parametrize(("user", "status"), [("clinic_admin", 403), ("front_desk", 404)])
def test_who_may_not_book_and_another_clinics_episode(request, client, foreign_episode, episode, user, status):
    client.force_login(request.getfixturevalue(user))
    target = foreign_episode if status == 404 else episode
    assert client.get(reverse("schedule_book_episode", args=[target.pk])).status_code == status
    assert client.post(reverse("schedule_book_episode", args=[target.pk]), {}).status_code == status


def test_a_closed_episode_cannot_be_booked(client, front_desk, episode, lead):
    episode.status = EpisodeStatus.DISCHARGED
    episode.closed_on = episode.opened_on
    episode.save()
    client.force_login(front_desk)
    html = client.get(reverse("schedule_book_episode", args=[episode.pk])).content.decode()
    assert "This episode of care is closed" in html
    response = client.post(
        reverse("schedule_book_episode", args=[episode.pk]),
        {"clinician": lead.pk, "kind": "follow_up", "starts_at": f"{_local(1, 11):%Y-%m-%dT%H:%M}"},
    )
    assert response.status_code == 400
    assert not Appointment.objects.exists()
