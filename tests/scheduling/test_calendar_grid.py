"""The day and week calendars as a time grid: blocks as long as the visits, free times to book,
cancelled visits shown (and hideable), today and the current time marked."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clinic.permissions import Role
from clinic.scheduling import grid
from clinic.scheduling.models import AppointmentStatus, HoursException, TimeOff, WorkingHours
from tests.factories import AppointmentFactory, EpisodeFactory, UserFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
# A Wednesday at 10:20 in the clinic: the tests that mark "now" pin the clock here.
NOW = datetime.datetime(2026, 6, 10, 10, 20, tzinfo=CHICAGO)


@pytest.fixture
def week_of_hours(clinician):
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))


def _tomorrow_at(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate(timezone.now(), CHICAGO) + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=CHICAGO)


def _visit(episode, clinician, start, minutes=30, **fields):
    return AppointmentFactory(
        episode=episode,
        clinician=clinician,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=minutes),
        **fields,
    )


def _block(html: str, visit) -> str:
    """The class attribute of the visit's block on the grid."""
    found = re.search(rf'<li class="([^"]*)" id="visit-{visit.pk}"', html)
    assert found, f"visit {visit.pk} is not on the grid"
    return found.group(1)


def _day(client, day, **params):
    return client.get(reverse("schedule_day"), {"day": f"{day:%Y-%m-%d}", **params}).content.decode()


# --- Rows: the pure placement rules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "slot", "row", "span"),
    [
        (9 * 60, 9 * 60 + 45, 15, 5, 3),  # 45 minutes on 15-minute rows: three rows, from 09:00
        (9 * 60, 9 * 60 + 30, 15, 5, 2),
        (9 * 60 + 10, 9 * 60 + 40, 15, 5, 3),  # 09:10-09:40 touches the 09:00, 09:15 and 09:30 rows
        (8 * 60, 8 * 60 + 5, 15, 1, 1),  # shorter than a row: still one row
        (9 * 60, 10 * 60, 30, 3, 2),
        (9 * 60, 10 * 60, 5, 13, 12),
    ],
)
def test_rows_and_spans(start, end, slot, row, span):
    rows = grid.rows_for([(8 * 60, 17 * 60)], slot)
    assert (rows.row(start), rows.span(start, end)) == (row, span)


@pytest.mark.parametrize(
    ("spans", "first", "last"),
    [
        ([], 8 * 60, 18 * 60),  # nobody works, nothing booked: a usual clinic day
        ([(8 * 60, 17 * 60)], 8 * 60, 17 * 60),
        ([(8 * 60 + 30, 16 * 60 + 10)], 8 * 60, 17 * 60),  # widened to whole hours
        ([(9 * 60, 17 * 60), (7 * 60 + 15, 7 * 60 + 45)], 7 * 60, 17 * 60),  # an early visit outside hours
        ([(22 * 60, 24 * 60)], 22 * 60, 24 * 60),
    ],
)
def test_the_rows_cover_the_working_hours_and_visits(spans, first, last):
    rows = grid.rows_for(spans, 15)
    assert (rows.first, rows.last) == (first, last)


@pytest.mark.parametrize(
    ("spans", "lanes", "count"),
    [
        ([], [], 1),
        ([(540, 570), (570, 600)], [1, 1], 1),  # back to back: one lane
        ([(540, 570), (540, 570)], [1, 2], 2),  # a cancelled visit and the one booked in its place
        ([(540, 600), (550, 560), (560, 570)], [1, 2, 2], 2),
        ([(540, 600)] * 6, [1, 2, 3, 4, 4, 4], 4),  # past four lanes they share the last
    ],
)
def test_overlapping_visits_sit_side_by_side(spans, lanes, count):
    assert grid.lanes(spans) == (lanes, count)


def test_gaps_are_the_time_outside_the_windows():
    assert grid.gaps([(540, 720), (780, 1020)], 480, 1080) == [(480, 540), (720, 780), (1020, 1080)]
    assert grid.gaps([], 480, 600) == [(480, 600)]


def test_a_slot_that_does_not_divide_an_hour_is_refused():
    with pytest.raises(ValueError, match="divide an hour"):
        grid.rows_for([], 25)


# --- The day view ------------------------------------------------------------------------------


def test_a_visit_spans_as_many_rows_as_it_lasts(client, front_desk, episode, clinician, week_of_hours):
    long = _visit(episode, clinician, _tomorrow_at(9), minutes=45)
    short = _visit(episode, clinician, _tomorrow_at(11), minutes=30)
    client.force_login(front_desk)
    html = _day(client, long.starts_at)
    # 08:00 is row 1 on 15-minute rows: 09:00 is row 5, 11:00 row 13.
    assert "r5 s3 " in _block(html, long)
    assert "r13 s2 " in _block(html, short)


def test_the_clinics_slot_size_sets_the_rows(client, front_desk, episode, clinician, clinic, week_of_hours):
    clinic.calendar_slot_minutes = 30
    clinic.save()
    visit = _visit(episode, clinician, _tomorrow_at(9), minutes=45)
    client.force_login(front_desk)
    html = _day(client, visit.starts_at)
    assert "r3 s2 " in _block(html, visit)
    assert "Book 10:00</a>" in html
    assert "Book 10:15</a>" not in html


def test_free_times_are_links_to_book(client, front_desk, episode, clinician, week_of_hours):
    visit = _visit(episode, clinician, _tomorrow_at(9))
    client.force_login(front_desk)
    html = _day(client, visit.starts_at)
    booking = f"{reverse('schedule_book')}?clinician={clinician.pk}&amp;start={visit.starts_at:%Y-%m-%d}T09:30:00-0"
    assert booking in html
    assert "Book 09:30</a>" in html
    assert "Book 08:30</a>" in html  # 08:30-09:00 still fits a 30-minute follow-up
    assert "Book 08:45</a>" not in html  # would run into the 09:00 visit
    assert "Book 09:00</a>" not in html


def test_time_outside_working_hours_and_time_off_is_shaded(client, front_desk, clinician):
    WorkingHours.objects.create(
        clinician=clinician, weekday=_tomorrow_at(9).weekday(), start=datetime.time(9), end=datetime.time(17)
    )
    WorkingHours.objects.create(
        clinician=clinician, weekday=_tomorrow_at(9).weekday(), start=datetime.time(8), end=datetime.time(8, 30)
    )
    TimeOff.objects.create(clinician=clinician, starts_at=_tomorrow_at(12), ends_at=_tomorrow_at(13), reason="Course")
    client.force_login(front_desk)
    html = _day(client, _tomorrow_at(9))
    assert "Not working 08:30–09:00" in html
    assert "Time off 12:00–13:00 (Course)" in html
    assert "Book 12:" not in html


@pytest.mark.parametrize("view", ["schedule_day", "schedule_week"])
def test_a_dates_own_hours_replace_its_weekly_hours_on_the_grid(client, front_desk, clinician, week_of_hours, view):
    tomorrow = _tomorrow_at(9).date()
    # Tomorrow only 12:00-14:00; a week later (same weekday) a day off: neither may disturb the other.
    HoursException.objects.create(clinician=clinician, day=tomorrow, start=datetime.time(12), end=datetime.time(14))
    HoursException.objects.create(clinician=clinician, day=tomorrow + datetime.timedelta(days=7))
    client.force_login(front_desk)

    response = client.get(reverse(view), {"day": f"{tomorrow:%Y-%m-%d}", "clinician": clinician.pk})

    assert response.status_code == 200
    html = response.content.decode()
    if view == "schedule_day":
        assert "Book 12:00</a>" in html
        assert "Book 09:00</a>" not in html
        assert "Book 14:00</a>" not in html


def test_cancelled_visits_are_shown_marked_and_can_be_hidden(client, front_desk, episode, clinician, week_of_hours):
    cancelled = _visit(
        episode, clinician, _tomorrow_at(9), status=AppointmentStatus.CANCELLED, cancel_reason="Patient unwell"
    )
    replacement = _visit(EpisodeFactory(patient__clinic=episode.patient.clinic), clinician, _tomorrow_at(9))
    client.force_login(front_desk)

    html = _day(client, cancelled.starts_at)
    assert "status-cancelled" in _block(html, cancelled)
    assert "<strong>Cancelled</strong>: Patient unwell" in html
    # Side by side with the visit booked in its place.
    assert (" l1 " in _block(html, cancelled)) != (" l1 " in _block(html, replacement))
    assert "Hide cancelled visits" in html

    hidden = _day(client, cancelled.starts_at, cancelled="hide")
    assert f'id="visit-{cancelled.pk}"' not in hidden
    assert f'id="visit-{replacement.pk}"' in hidden
    # Remembered for the session, the week view too.
    assert f'id="visit-{cancelled.pk}"' not in _day(client, cancelled.starts_at)
    week = client.get(reverse("schedule_week"), {"day": f"{cancelled.starts_at:%Y-%m-%d}"}).content.decode()
    assert "(cancelled)" not in week
    shown = _day(client, cancelled.starts_at, cancelled="show")
    assert f'id="visit-{cancelled.pk}"' in shown


def test_a_cancelled_visits_time_can_be_booked_again(client, front_desk, episode, clinician, week_of_hours):
    cancelled = _visit(episode, clinician, _tomorrow_at(9), status=AppointmentStatus.CANCELLED, cancel_reason="Ill")
    client.force_login(front_desk)
    assert "Book 09:00</a>" in _day(client, cancelled.starts_at)


def test_today_and_the_current_time_are_marked(client, front_desk, clinician, week_of_hours):
    with time_machine.travel(NOW, tick=False):
        client.force_login(front_desk)
        today = _day(client, NOW)
        tomorrow = _day(client, NOW + datetime.timedelta(days=1))
        week = client.get(reverse("schedule_week"), {"clinician": clinician.pk}).content.decode()
    assert 'class="today-mark">Today' in today
    assert "Now, 10:20" in today
    # 10:20 on 15-minute rows from 08:00: a third of the way into row 10.
    assert "grid-row-start: 10; margin-top: calc(var(--cal-row) * 0.333)" in today
    assert "Now," not in tomorrow
    assert 'class="today-mark"' not in tomorrow
    wednesday = '<h2 class="cal-head" id="track-3" aria-current="date">Wed 10 Jun <span class="today-mark">Today</span>'
    assert wednesday in week
    assert week.count('aria-current="date"') == 1


def test_front_desk_is_not_offered_the_calendar_feed(client, front_desk, clinician):
    client.force_login(front_desk)
    assert reverse("my_calendar_feed") not in client.get(reverse("schedule_day")).content.decode()
    client.force_login(clinician)
    assert reverse("my_calendar_feed") in client.get(reverse("schedule_day")).content.decode()


def test_another_clinics_clinician_is_ignored(client, front_desk, clinician, foreign_episode, week_of_hours):
    stranger = foreign_episode.lead_clinician
    visit = _visit(foreign_episode, stranger, _tomorrow_at(9))
    client.force_login(front_desk)
    for view in ("schedule_day", "schedule_week"):
        html = client.get(reverse(view), {"day": f"{visit.starts_at:%Y-%m-%d}", "clinician": stranger.pk})
        page = html.content.decode()
        assert html.status_code == 200
        assert stranger.full_name not in page
        assert f'id="visit-{visit.pk}"' not in page
        assert clinician.full_name in page  # the whole clinic instead


def test_a_visit_block_links_to_its_page_and_carries_its_move(client, front_desk, episode, clinician, week_of_hours):
    booked = _visit(episode, clinician, _tomorrow_at(9))
    done = _visit(episode, clinician, _tomorrow_at(10), status=AppointmentStatus.COMPLETED)
    client.force_login(front_desk)
    html = _day(client, booked.starts_at)
    assert f'data-move="{reverse("schedule_visit_move", args=[booked.pk])}"' in html
    assert reverse("schedule_visit_move", args=[done.pk]) not in html
    assert f'href="{reverse("schedule_visit", args=[done.pk])}"' in html
    assert 'id="cal-move" method="post"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_grid_uses_no_inline_style_attributes(client, front_desk, episode, clinician, week_of_hours):
    visit = _visit(episode, clinician, _tomorrow_at(9))
    client.force_login(front_desk)
    for html in (
        _day(client, visit.starts_at),
        client.get(reverse("schedule_week"), {"clinician": clinician.pk}).content.decode(),
    ):
        assert " style=" not in html
        assert re.search(r'<style nonce="[^"]+">', html)


def test_day_view_queries_do_not_grow_with_cancelled_visits_or_time_off(
    client, front_desk, episode, clinician, week_of_hours, django_assert_max_num_queries
):
    start = _tomorrow_at(8)
    _visit(episode, clinician, start, status=AppointmentStatus.CANCELLED, cancel_reason="Ill")
    client.force_login(front_desk)
    url = f"{reverse('schedule_day')}?day={start:%Y-%m-%d}"
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for number in range(1, 10):
        begin = start + datetime.timedelta(minutes=30 * number)
        _visit(
            EpisodeFactory(patient__clinic=episode.patient.clinic),
            clinician,
            begin,
            status=AppointmentStatus.CANCELLED if number % 2 else AppointmentStatus.BOOKED,
            cancel_reason="Ill",
        )
    TimeOff.objects.create(clinician=clinician, starts_at=_tomorrow_at(15), ends_at=_tomorrow_at(16))
    with django_assert_max_num_queries(len(small)):
        client.get(url)


# --- The week view -----------------------------------------------------------------------------


def test_the_weeks_day_view_link_keeps_the_day(client, front_desk, clinician):
    day = _tomorrow_at(9).date()
    client.force_login(front_desk)
    html = client.get(reverse("schedule_week"), {"day": f"{day:%Y-%m-%d}"}).content.decode()
    nav = html.split('aria-label="Weeks"')[1].split("</nav>")[0]
    assert f'href="{reverse("schedule_day")}?day={day:%Y-%m-%d}">Day view' in nav


def test_the_clinics_week_shows_free_times_to_book(client, front_desk, episode, clinician, week_of_hours):
    visit = _visit(episode, clinician, _tomorrow_at(8))
    client.force_login(front_desk)
    html = client.get(reverse("schedule_week"), {"day": f"{visit.starts_at:%Y-%m-%d}"}).content.decode()
    book = f"{reverse('schedule_book')}?clinician={clinician.pk}&amp;start={visit.starts_at:%Y-%m-%d}T08:30:00-0"
    assert book in html
    assert "Book 08:30<" in html
    # 08:30 to 16:30 every 15 minutes: 33 starts where a 30-minute follow-up fits.
    assert "33 free times<" in html
    assert f"?day={visit.starts_at:%Y-%m-%d}&amp;clinician={clinician.pk}" in html


def test_one_clinicians_week_is_a_grid_of_days(client, front_desk, episode, clinician, week_of_hours):
    visit = _visit(episode, clinician, _tomorrow_at(9), minutes=45)
    client.force_login(front_desk)
    html = client.get(
        reverse("schedule_week"), {"day": f"{visit.starts_at:%Y-%m-%d}", "clinician": clinician.pk}
    ).content.decode()
    assert html.count('class="cal-track') == 7
    assert "r5 s3 " in _block(html, visit)
    assert f'data-day="{visit.starts_at:%Y-%m-%d}"' in html
    assert "Book 10:00</a>" in html


def test_week_queries_do_not_grow_with_visits(
    client, front_desk, clinic, clinician, week_of_hours, django_assert_max_num_queries
):
    other = UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name="Robin Second")
    start = _tomorrow_at(8)
    client.force_login(front_desk)
    url = f"{reverse('schedule_week')}?day={start:%Y-%m-%d}"
    one = f"{url}&clinician={clinician.pk}"
    _visit(EpisodeFactory(patient__clinic=clinic), clinician, start)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as whole_small:
        client.get(url)
    with CaptureQueriesContext(connection) as one_small:
        client.get(one)
    for number in range(1, 12):
        begin = start + datetime.timedelta(minutes=30 * number)
        _visit(EpisodeFactory(patient__clinic=clinic), clinician if number % 2 else other, begin)
        _visit(EpisodeFactory(patient__clinic=clinic), clinician, begin + datetime.timedelta(days=1))
    with django_assert_max_num_queries(len(whole_small)):
        client.get(url)
    with django_assert_max_num_queries(len(one_small)):
        client.get(one)


@time_machine.travel(NOW, tick=False)
def test_time_off_over_several_days_blocks_each_days_free_times_in_the_clinics_week(
    client, front_desk, clinician, week_of_hours
):
    # Tuesday 12:00 to Thursday 10:00 of the next week: each day counts only what touches it.
    monday = datetime.date(2026, 6, 15)
    TimeOff.objects.create(
        clinician=clinician,
        starts_at=datetime.datetime(2026, 6, 16, 12, tzinfo=CHICAGO),
        ends_at=datetime.datetime(2026, 6, 18, 10, tzinfo=CHICAGO),
    )
    client.force_login(front_desk)
    html = client.get(reverse("schedule_week"), {"day": f"{monday:%Y-%m-%d}"}).content.decode()

    def free(day: int) -> str | None:
        found = re.search(rf"\?day=2026-06-{day}&amp;clinician={clinician.pk}\">(\d+) free times?<", html)
        return found and found.group(1)

    # 08:00 to 16:30 every 15 minutes; Tuesday until 11:30; Wednesday none; Thursday from 10:00.
    assert (free(15), free(16), free(17), free(18), free(19)) == ("35", "15", None, "27", "35")
