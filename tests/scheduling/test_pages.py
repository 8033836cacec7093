"""The front desk's day view and booking pages."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinic.scheduling.models import Appointment, AppointmentStatus, WorkingHours
from tests.factories import AppointmentFactory, EpisodeFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


@pytest.fixture
def week_of_hours(clinician):
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))


def _tomorrow_at(hour: int) -> datetime.datetime:
    day = timezone.localdate(timezone.now(), CHICAGO) + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=CHICAGO)


def test_day_view_shows_visits_and_free_slots(client, front_desk, episode, clinician, week_of_hours):
    start = _tomorrow_at(9)
    AppointmentFactory(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )
    client.force_login(front_desk)
    response = client.get(reverse("schedule_day"), {"day": f"{start:%Y-%m-%d}"})
    page = response.content.decode()
    assert response.status_code == 200
    assert episode.patient.full_name in page
    assert "09:30</a>" in page  # the next free slot
    assert ">09:00</a>" not in page  # taken


@pytest.mark.parametrize(("role", "expected"), [("front_desk", 200), ("clinician", 200), ("clinic_admin", 403)])
def test_who_may_schedule(client, request, role, expected):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("schedule_day")).status_code == expected


def test_booking_with_a_patient_search_sent_by_post(
    client, front_desk, episode, clinician, week_of_hours, django_capture_on_commit_callbacks
):
    start = _tomorrow_at(10)
    url = f"{reverse('schedule_book')}?clinician={clinician.pk}&start={start.isoformat()}"
    client.force_login(front_desk)
    found = client.post(url, {"q": episode.patient.last_name, "search": ""})
    assert episode.presenting_complaint in found.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        booked = client.post(
            url, {"q": episode.patient.last_name, "episode": episode.pk, "kind": "follow_up", "book": ""}
        )
    assert booked.status_code == 302
    visit = Appointment.objects.get()
    assert visit.starts_at == start
    assert len(mail.outbox) == 1


def test_booking_a_taken_slot_says_why_and_keeps_the_search(client, front_desk, episode, clinician, week_of_hours):
    start = _tomorrow_at(10)
    AppointmentFactory(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )
    url = f"{reverse('schedule_book')}?clinician={clinician.pk}&start={start.isoformat()}"
    client.force_login(front_desk)
    response = client.post(
        url, {"q": episode.patient.last_name, "episode": episode.pk, "kind": "follow_up", "book": ""}
    )
    assert response.status_code == 200
    assert "already has a visit" in response.content.decode()
    assert f'value="{episode.patient.last_name}"' in response.content.decode()
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize("start", ["", "not-a-date", "2026-13-40T10:00"])
def test_a_malformed_slot_is_a_message_not_an_error(client, front_desk, clinician, start):
    client.force_login(front_desk)
    response = client.get(reverse("schedule_book"), {"clinician": clinician.pk, "start": start})
    assert response.status_code == 302


def test_check_in_and_cancel_from_the_day_view(client, front_desk, episode, clinician):
    visit = AppointmentFactory(episode=episode, clinician=clinician)
    client.force_login(front_desk)
    client.post(reverse("schedule_visit_status", args=[visit.pk]), {"status": "checked_in"})
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.CHECKED_IN
    other = AppointmentFactory(
        episode=episode,
        clinician=clinician,
        starts_at=visit.starts_at + datetime.timedelta(hours=2),
        ends_at=visit.starts_at + datetime.timedelta(hours=3),
    )
    client.post(reverse("schedule_visit_status", args=[other.pk]), {"status": "cancelled", "reason": ""})
    assert Appointment.objects.get(pk=other.pk).status == AppointmentStatus.BOOKED  # a reason is required
    client.post(reverse("schedule_visit_status", args=[other.pk]), {"status": "cancelled", "reason": "Ill"})
    assert Appointment.objects.get(pk=other.pk).status == AppointmentStatus.CANCELLED


def test_other_clinics_visits_are_not_found(client, front_desk, foreign_episode):
    visit = AppointmentFactory(episode=foreign_episode)
    client.force_login(front_desk)
    assert client.post(reverse("schedule_visit_status", args=[visit.pk]), {"status": "checked_in"}).status_code == 404


def test_move_a_visit_from_the_day_view(client, front_desk, episode, clinician, week_of_hours):
    start = _tomorrow_at(9)
    visit = AppointmentFactory(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )
    client.force_login(front_desk)
    client.post(reverse("schedule_visit_move", args=[visit.pk]), {"starts_at": f"{start:%Y-%m-%d}T11:00"})
    moved = Appointment.objects.get(pk=visit.pk)
    assert moved.starts_at == start.replace(hour=11)
    assert moved.ends_at - moved.starts_at == datetime.timedelta(minutes=30)
    bad = client.post(reverse("schedule_visit_move", args=[visit.pk]), {"starts_at": "soon"}, follow=True)
    assert "Enter the new date and time" in bad.content.decode()


# The day view's queries, the same however many visits the day holds.
DAY_VIEW_QUERIES = 13


def test_day_view_queries_do_not_grow_with_visits(
    client, front_desk, clinic, clinician, week_of_hours, django_assert_num_queries
):
    start = _tomorrow_at(8)
    for number in range(2):
        begin = start + datetime.timedelta(minutes=30 * number)
        AppointmentFactory(
            episode=EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician),
            clinician=clinician,
            starts_at=begin,
            ends_at=begin + datetime.timedelta(minutes=30),
        )
    client.force_login(front_desk)
    url = f"{reverse('schedule_day')}?day={start:%Y-%m-%d}"
    client.get(url)
    with django_assert_num_queries(DAY_VIEW_QUERIES):
        client.get(url)
    for number in range(2, 12):
        begin = start + datetime.timedelta(minutes=30 * number)
        AppointmentFactory(
            episode=EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician),
            clinician=clinician,
            starts_at=begin,
            ends_at=begin + datetime.timedelta(minutes=30),
        )
    with django_assert_num_queries(DAY_VIEW_QUERIES):
        response = client.get(url)
    assert response.content.decode().count('status-booked" id="visit-') == 12


def test_one_clinicians_calendar_or_the_whole_clinic(client, front_desk, clinic, clinician, week_of_hours):
    from clinic.permissions import Role
    from tests.factories import UserFactory

    other = UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name="Robin Second")
    client.force_login(front_desk)
    # One clinician's week is a time grid, a column a day, with the clinician named in the title.
    for view, shown, alone in [
        ("schedule_day", ">{}</h2>", ">{}</h2>"),
        ("schedule_week", '<th scope="row">{}</th>', ": {}</h1>"),
    ]:
        whole = client.get(reverse(view)).content.decode()
        assert shown.format(clinician.full_name) in whole
        assert shown.format("Robin Second") in whole
        one = client.get(reverse(view), {"clinician": other.pk}).content.decode()
        assert shown.format(clinician.full_name) not in one
        assert alone.format(clinician.full_name) not in one
        assert alone.format("Robin Second") in one


def test_booking_search_queries_do_not_grow_with_the_patients_found(
    client, front_desk, clinic, clinician, week_of_hours, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"{reverse('schedule_book')}?clinician={clinician.pk}&start={_tomorrow_at(10).isoformat()}"
    client.force_login(front_desk)
    EpisodeFactory(patient__clinic=clinic, patient__last_name="Runner", lead_clinician=clinician)
    client.post(url, {"q": "Runner", "search": ""})
    with CaptureQueriesContext(connection) as one:
        assert "Runner" in client.post(url, {"q": "Runner", "search": ""}).content.decode()
    for _ in range(5):
        EpisodeFactory(patient__clinic=clinic, patient__last_name="Runner", lead_clinician=clinician)
    with django_assert_max_num_queries(len(one)):
        page = client.post(url, {"q": "Runner", "search": ""}).content.decode()
    assert page.count('name="episode"') == 6


def _visit_tomorrow(episode, clinician, hour: int = 9):
    start = _tomorrow_at(hour)
    return AppointmentFactory(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )


def test_the_day_view_links_each_booked_visit_to_its_page(client, front_desk, episode, clinician, week_of_hours):
    visit = _visit_tomorrow(episode, clinician)
    client.force_login(front_desk)

    day = client.get(reverse("schedule_day"), {"day": f"{visit.starts_at:%Y-%m-%d}"}).content.decode()
    page = client.get(reverse("schedule_visit", args=[visit.pk]))

    assert reverse("schedule_visit", args=[visit.pk]) in day
    assert page.status_code == 200
    html = page.content.decode()
    assert episode.patient.full_name in html
    assert 'name="starts_at"' in html
    assert 'name="reason"' in html
    assert 'value="checked_in"' in html


@pytest.mark.parametrize(("user", "status"), [("clinician", 200), ("clinic_admin", 403)])
def test_who_may_open_a_visit_page(request, client, episode, clinician, user, status):
    visit = _visit_tomorrow(episode, clinician)
    client.force_login(request.getfixturevalue(user))
    assert client.get(reverse("schedule_visit", args=[visit.pk])).status_code == status


def test_another_clinics_visit_page_is_not_found(client, front_desk, foreign_episode):
    visit = AppointmentFactory(episode=foreign_episode)
    client.force_login(front_desk)
    assert client.get(reverse("schedule_visit", args=[visit.pk])).status_code == 404


def test_a_refused_move_keeps_what_was_typed(client, front_desk, episode, clinician, week_of_hours):
    visit = _visit_tomorrow(episode, clinician)
    other = _visit_tomorrow(EpisodeFactory(patient__clinic=episode.patient.clinic), clinician, hour=11)
    client.force_login(front_desk)

    response = client.post(
        reverse("schedule_visit_move", args=[visit.pk]),
        {"starts_at": f"{other.starts_at:%Y-%m-%d}T11:00", "override_reason": "Patient asked"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert f'value="{other.starts_at:%Y-%m-%d}T11:00"' in html
    assert 'value="Patient asked"' in html
    assert Appointment.objects.get(pk=visit.pk).starts_at == visit.starts_at


def test_a_cancel_without_a_reason_keeps_the_visit_and_shows_why(client, front_desk, episode, clinician):
    visit = _visit_tomorrow(episode, clinician)
    client.force_login(front_desk)

    response = client.post(reverse("schedule_visit_status", args=[visit.pk]), {"status": "cancelled", "reason": ""})

    assert response.status_code == 400
    assert 'id="cancel-reason"' in response.content.decode()
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.BOOKED


def _clinicians(clinic, count: int) -> list:
    from clinic.permissions import Role
    from tests.factories import UserFactory

    # Names that sort in creation order, as the pages list clinicians by name.
    return [
        UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name=f"Clin {number:02}") for number in range(count)
    ]


@pytest.mark.parametrize(
    ("view", "shown", "alone"),
    [("schedule_day", ">{}</h2>", ">{}</h2>"), ("schedule_week", '<th scope="row">{}</th>', ": {}</h1>")],
)
def test_a_large_clinic_is_shown_a_page_of_clinicians_at_a_time(client, front_desk, clinic, view, shown, alone):
    from clinic.scheduling.views import CLINICIANS_PER_PAGE

    people = _clinicians(clinic, CLINICIANS_PER_PAGE + 1)
    client.force_login(front_desk)
    day = f"{_tomorrow_at(9):%Y-%m-%d}"

    first = client.get(reverse(view), {"day": day}).content.decode()
    second = client.get(reverse(view), {"day": day, "page": 2}).content.decode()
    beyond = client.get(reverse(view), {"day": day, "page": 99}).content.decode()
    one = client.get(reverse(view), {"day": day, "clinician": people[-1].pk, "page": 1}).content.decode()

    assert [shown.format(person.full_name) in first for person in people] == [True] * CLINICIANS_PER_PAGE + [False]
    assert [shown.format(person.full_name) in second for person in people] == [False] * CLINICIANS_PER_PAGE + [True]
    assert shown.format(people[-1].full_name) in beyond  # past the end: the last page
    assert shown.format(people[0].full_name) not in beyond
    assert f"Clinicians 1–{CLINICIANS_PER_PAGE} of {CLINICIANS_PER_PAGE + 1}" in first
    assert f'href="?day={day}&amp;page=2">Next clinicians' in first
    assert f'href="?day={day}&amp;page=1">‹ Previous clinicians' in second
    # Moving to another day keeps the page of clinicians.
    assert (
        "page=2"
        in second.split('aria-label="Days"' if view == "schedule_day" else 'aria-label="Weeks"')[1].split("</nav>")[0]
    )
    # One clinician's calendar has no pages.
    assert alone.format(people[-1].full_name) in one
    assert alone.format(people[0].full_name) not in one
    assert "Next clinicians" not in one


def test_a_small_clinic_has_no_clinician_pages(client, front_desk, clinic, clinician):
    client.force_login(front_desk)
    assert 'aria-label="Clinicians"' not in client.get(reverse("schedule_day")).content.decode()


def test_the_week_puts_each_visit_on_its_local_day_and_clinician(client, front_desk, clinic, clinician):
    other = _clinicians(clinic, 1)[0]
    monday = timezone.localdate(timezone.now(), CHICAGO)
    monday -= datetime.timedelta(days=monday.weekday())
    # 23:30 on Tuesday in Chicago is Wednesday in UTC: the visit belongs to Tuesday.
    late = datetime.datetime.combine(monday + datetime.timedelta(days=1), datetime.time(23, 30), tzinfo=CHICAGO)
    AppointmentFactory(
        episode=EpisodeFactory(patient__clinic=clinic, patient__last_name="Lateslot", lead_clinician=clinician),
        clinician=clinician,
        starts_at=late,
        ends_at=late + datetime.timedelta(minutes=30),
    )
    thursday = datetime.datetime.combine(monday + datetime.timedelta(days=3), datetime.time(9), tzinfo=CHICAGO)
    AppointmentFactory(
        episode=EpisodeFactory(patient__clinic=clinic, patient__last_name="Otherdesk", lead_clinician=other),
        clinician=other,
        starts_at=thursday,
        ends_at=thursday + datetime.timedelta(minutes=30),
    )
    client.force_login(front_desk)
    html = client.get(reverse("schedule_week"), {"day": f"{monday:%Y-%m-%d}"}).content.decode()
    rows = {
        name: re.split(r"<td[^>]*>", row.split("</tr>")[0])[1:]
        for name, row in (part.split("</th>", 1) for part in html.split('<th scope="row">')[1:])
    }
    assert [("Lateslot" in cell) for cell in rows[clinician.full_name]] == [
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert "23:30" in rows[clinician.full_name][1]
    assert [("Otherdesk" in cell) for cell in rows[other.full_name]] == [False, False, False, True, False, False, False]
