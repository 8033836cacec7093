"""The clinic admin edits clinicians' working hours, changes for single days and time off."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from clinic.permissions import Role
from clinic.scheduling import hours_services, rules, services
from clinic.scheduling import selectors as schedule
from clinic.scheduling.models import Appointment, HoursException, TimeOff, WorkingHours
from tests.factories import AppointmentFactory, UserFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def _today() -> datetime.date:
    return timezone.localdate(timezone.now(), CHICAGO)


def _next(weekday: int) -> datetime.date:
    """The next such weekday, at least two days ahead (never today, whatever the hour)."""
    day = _today() + datetime.timedelta(days=2)
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=CHICAGO)


@pytest.fixture
def nine_to_five(clinician):
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(9), end=datetime.time(17))


def _page(clinician) -> str:
    return reverse("working_hours_clinician", args=[clinician.pk])


def _week(*windows: tuple[str, str, str], total: int | None = None) -> dict[str, str]:
    """The weekly form's POST: each window (weekday, start, end)."""
    data = {
        "week-TOTAL_FORMS": str(total if total is not None else len(windows)),
        "week-INITIAL_FORMS": "0",
        "week-MIN_NUM_FORMS": "0",
        "week-MAX_NUM_FORMS": "42",
        "save_week": "",
    }
    for index, (weekday, start, end) in enumerate(windows):
        data |= {f"week-{index}-weekday": weekday, f"week-{index}-start": start, f"week-{index}-end": end}
    return data


def _change(day: datetime.date, start: str = "", end: str = "", note: str = "") -> dict[str, str]:
    return {
        "change-day": f"{day:%Y-%m-%d}",
        "change-start": start,
        "change-end": end,
        "change-note": note,
        "add_change": "",
    }


def _time_off(start: datetime.datetime, end: datetime.datetime, reason: str = "Course") -> dict[str, str]:
    return {"starts_at": f"{start:%Y-%m-%dT%H:%M}", "ends_at": f"{end:%Y-%m-%dT%H:%M}", "reason": reason}


# --- Who may see and change ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "list_status", "page_status", "post_status", "time_off_status"),
    [
        (Role.CLINIC_ADMIN, 200, 200, 302, 200),
        (Role.FRONT_DESK, 200, 200, 403, 403),
        (Role.CLINICIAN, 200, 200, 403, 403),
    ],
)
def test_the_clinic_admin_edits_the_front_desk_and_clinicians_read(
    client, clinic, clinician, role, list_status, page_status, post_status, time_off_status
):
    client.force_login(UserFactory(clinic=clinic, roles=[role]))
    assert client.get(reverse("working_hours_list")).status_code == list_status
    page = client.get(_page(clinician))
    assert page.status_code == page_status
    assert ('name="save_week"' in page.content.decode()) is (role == Role.CLINIC_ADMIN)
    assert client.post(_page(clinician), _week(("0", "09:00", "12:00"))).status_code == post_status
    assert client.get(reverse("time_off_add", args=[clinician.pk])).status_code == time_off_status
    assert WorkingHours.objects.filter(clinician=clinician).exists() is (role == Role.CLINIC_ADMIN)


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
@pytest.mark.parametrize("view", ["schedule_day", "schedule_week"])
def test_who_books_finds_the_hours_from_the_schedule(client, clinic, role, view):
    client.force_login(UserFactory(clinic=clinic, roles=[role]))
    html = client.get(reverse(view)).content.decode()
    assert f'<a href="{reverse("working_hours_list")}">Working hours</a>' in html


def test_signed_out_is_sent_to_sign_in(client, clinician):
    assert client.get(reverse("working_hours_list")).status_code == 302
    assert client.get(_page(clinician)).status_code == 302


def test_another_clinics_clinician_and_rows_are_not_found(client, clinic_admin, clinician, other_clinic):
    stranger = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    their_time_off = TimeOff.objects.create(clinician=stranger, starts_at=_at(_next(0), 9), ends_at=_at(_next(0), 12))
    their_change = HoursException.objects.create(clinician=stranger, day=_next(0))
    client.force_login(clinic_admin)
    assert client.get(_page(stranger)).status_code == 404
    assert client.post(_page(stranger), _week(("0", "09:00", "12:00"))).status_code == 404
    assert client.get(reverse("time_off_add", args=[stranger.pk])).status_code == 404
    # Their rows, under our own clinician's address too.
    for owner in (stranger, clinician):
        assert client.get(reverse("time_off_edit", args=[owner.pk, their_time_off.pk])).status_code == 404
        assert client.post(reverse("time_off_remove", args=[owner.pk, their_time_off.pk])).status_code == 404
        assert client.post(reverse("hours_exception_remove", args=[owner.pk, their_change.pk])).status_code == 404
    assert TimeOff.objects.filter(pk=their_time_off.pk).exists()
    assert HoursException.objects.filter(pk=their_change.pk).exists()
    assert stranger.full_name not in client.get(reverse("working_hours_list")).content.decode()


def test_another_clinicians_time_off_is_not_found_under_this_clinicians_address(
    client, clinic, clinic_admin, clinician
):
    colleague = UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
    theirs = TimeOff.objects.create(clinician=colleague, starts_at=_at(_next(0), 9), ends_at=_at(_next(0), 12))
    client.force_login(clinic_admin)
    assert client.get(reverse("time_off_edit", args=[clinician.pk, theirs.pk])).status_code == 404


def test_a_staff_member_who_is_no_clinician_has_no_hours_page(client, clinic_admin, front_desk):
    client.force_login(clinic_admin)
    assert client.get(_page(front_desk)).status_code == 404


# --- Weekly hours ----------------------------------------------------------------------------


def test_admin_sets_a_week_with_a_lunch_break(client, clinic_admin, clinician):
    client.force_login(clinic_admin)
    response = client.post(_page(clinician), _week(("0", "08:00", "12:00"), ("0", "13:00", "17:00"), ("", "", "")))
    assert response.status_code == 302
    rows = [(row.weekday, f"{row.start:%H:%M}", f"{row.end:%H:%M}") for row in clinician.working_hours.all()]
    assert rows == [(0, "08:00", "12:00"), (0, "13:00", "17:00")]
    assert AuditEvent.objects.filter(action="working_hours.changed", object_id=clinician.pk).count() == 1
    # The lunch break is no working time: a visit across it is outside the hours.
    monday = _next(0)
    hours = schedule.working_hours(clinician)
    assert not rules.is_within_working_hours(_at(monday, 11, 30), _at(monday, 12, 30), hours, CHICAGO)
    assert rules.is_within_working_hours(_at(monday, 13), _at(monday, 14), hours, CHICAGO)


def test_saving_replaces_the_week_and_a_removed_row_goes(client, clinic_admin, clinician, nine_to_five):
    client.force_login(clinic_admin)
    data = _week(("1", "10:00", "11:00"), ("2", "10:00", "11:00"))
    data["week-1-DELETE"] = "on"
    assert client.post(_page(clinician), data).status_code == 302
    assert [(row.weekday, row.start) for row in clinician.working_hours.all()] == [(1, datetime.time(10))]


def test_overlapping_windows_are_refused_beside_the_row(client, clinic_admin, clinician, nine_to_five):
    client.force_login(clinic_admin)
    response = client.post(_page(clinician), _week(("0", "08:00", "12:00"), ("0", "11:00", "17:00")))
    page = response.content.decode()
    assert response.status_code == 200
    assert "This overlaps 08:00–12:00 on the same day" in page
    assert 'id="id_week-1-start_errors"' in page  # beside the second window's start
    assert 'value="11:00"' in page  # what was typed is kept
    assert clinician.working_hours.count() == 7  # nothing changed


def test_windows_of_different_days_may_share_times(client, clinic_admin, clinician):
    client.force_login(clinic_admin)
    assert client.post(_page(clinician), _week(("0", "08:00", "12:00"), ("1", "08:00", "12:00"))).status_code == 302


@pytest.mark.parametrize(
    ("window", "message"),
    [
        (("0", "12:00", "09:00"), "The end must be after the start"),
        (("0", "09:00", "09:00"), "The end must be after the start"),
        (("", "09:00", "12:00"), "Choose the day this window is on"),
        (("0", "09:00", ""), "Give the time work ends"),
        (("9", "09:00", "12:00"), "Select a valid choice"),
        (("0", "25:99", "12:00"), "Enter a valid time"),
        (("0", "09:00\x00", "12:00"), 'id="id_week-0-start_errors"'),
        (("zero", "09:00", "12:00"), "Select a valid choice"),
    ],
)
def test_impossible_windows_are_form_errors(client, clinic_admin, clinician, window, message):
    client.force_login(clinic_admin)
    response = client.post(_page(clinician), _week(window))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not clinician.working_hours.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"save_week": ""},  # no management form
        _week(("0", "09:00", "12:00"), total="many"),
        _week(("0", "09:00", "12:00"), total=100000),
    ],
)
def test_a_forged_weekly_form_is_refused_not_a_server_error(client, clinic_admin, clinician, data):
    client.force_login(clinic_admin)
    response = client.post(_page(clinician), data)
    assert response.status_code == 200
    assert not clinician.working_hours.exists()


@pytest.mark.postgres
def test_the_database_refuses_overlapping_weekly_windows(clinician):
    WorkingHours.objects.create(clinician=clinician, weekday=0, start=datetime.time(8), end=datetime.time(12))
    WorkingHours.objects.create(clinician=clinician, weekday=0, start=datetime.time(12), end=datetime.time(13))
    with pytest.raises(IntegrityError, match="working_hours_no_overlap"), transaction.atomic():
        WorkingHours.objects.create(clinician=clinician, weekday=0, start=datetime.time(11), end=datetime.time(14))


def test_the_django_admin_refuses_an_overlapping_window_with_a_message(client, clinic_admin, clinician):
    WorkingHours.objects.create(clinician=clinician, weekday=0, start=datetime.time(8), end=datetime.time(12))
    client.force_login(clinic_admin)
    response = client.post(
        "/admin/scheduling/workinghours/add/",
        {"clinician": clinician.pk, "weekday": 0, "start": "11:00", "end": "14:00"},
    )
    assert response.status_code == 200
    assert "This overlaps 08:00–12:00" in response.content.decode()
    assert clinician.working_hours.count() == 1


def test_the_django_admin_names_working_hours_properly(client, clinic_admin):
    client.force_login(clinic_admin)
    page = client.get("/admin/scheduling/").content.decode()
    assert "Working hourss" not in page
    assert "Working hours" in page
    assert "Changes of hours" in page


# --- Changes for single days -----------------------------------------------------------------


def test_a_shorter_day_replaces_the_weekly_hours_for_free_slots_and_booking(
    client, clinic_admin, clinician, front_desk, episode, nine_to_five
):
    day = _next(3)
    client.force_login(clinic_admin)
    assert client.post(_page(clinician), _change(day, "12:00", "16:00", "Holiday hours")).status_code == 302
    assert AuditEvent.objects.filter(action="hours_exception.added").count() == 1
    slots = rules.free_slots(
        day,
        length=datetime.timedelta(hours=1),
        hours=schedule.working_hours(clinician),
        busy=[],
        zone=CHICAGO,
        step=datetime.timedelta(hours=1),
    )
    assert [f"{slot.start:%H:%M}" for slot in slots] == ["12:00", "13:00", "14:00", "15:00"]
    with pytest.raises(ValidationError, match="outside the clinician's working hours"):
        services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=_at(day, 9))
    booked = services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=_at(day, 12))
    assert booked.pk
    # The next week's same weekday keeps the weekly hours.
    services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=_at(day, 9) + datetime.timedelta(days=7)
    )


def test_a_day_off_refuses_booking_without_a_reason(client, clinic_admin, clinician, front_desk, episode, nine_to_five):
    day = _today() + datetime.timedelta(days=1)  # in the coming week the page shows
    client.force_login(clinic_admin)
    assert client.post(_page(clinician), _change(day)).status_code == 302
    with pytest.raises(ValidationError, match="outside the clinician's working hours"):
        services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=_at(day, 10))
    assert not Appointment.objects.exists()
    page = client.get(_page(clinician)).content.decode()
    assert "Not working" in page


def test_a_day_off_warns_of_the_visits_booked_that_day(client, clinic_admin, clinician, episode, nine_to_five):
    day = _next(2)
    AppointmentFactory(episode=episode, clinician=clinician, starts_at=_at(day, 10), ends_at=_at(day, 11))
    client.force_login(clinic_admin)
    response = client.post(_page(clinician), _change(day), follow=True)
    assert "1 booked visit is outside the clinician&#x27;s hours" in response.content.decode()


@pytest.mark.parametrize(
    ("existing", "change", "message"),
    [
        ((None, None), ("12:00", "16:00"), "already a day off"),
        (("12:00", "16:00"), ("", ""), "already has changed hours"),
        (("12:00", "16:00"), ("15:00", "18:00"), "This overlaps 12:00–16:00"),
        (None, ("16:00", "12:00"), "The end must be after the start"),
        (None, ("12:00", ""), "Give both times, or neither"),
    ],
)
def test_impossible_changes_are_refused_beside_the_field(client, clinic_admin, clinician, existing, change, message):
    day = _next(4)
    if existing is not None:
        start, end = (None if value is None else datetime.time.fromisoformat(value) for value in existing)
        HoursException.objects.create(clinician=clinician, day=day, start=start, end=end)
    client.force_login(clinic_admin)
    response = client.post(_page(clinician), _change(day, *change))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert HoursException.objects.count() == (0 if existing is None else 1)


@pytest.mark.parametrize("day", ["9999-12-24", "0001-01-01", "24/12", "2026-02-30"])
def test_an_implausible_date_for_a_change_is_a_form_error(client, clinic_admin, clinician, day):
    client.force_login(clinic_admin)
    data = _change(_next(1)) | {"change-day": day}
    response = client.post(_page(clinician), data)
    assert response.status_code == 200
    assert 'id="id_change-day_errors"' in response.content.decode()
    assert not HoursException.objects.exists()


def test_removing_a_change_brings_back_the_weekly_hours(client, clinic_admin, clinician, nine_to_five):
    change = HoursException.objects.create(clinician=clinician, day=_next(1))
    client.force_login(clinic_admin)
    assert client.post(reverse("hours_exception_remove", args=[clinician.pk, change.pk])).status_code == 302
    assert not HoursException.objects.exists()
    assert AuditEvent.objects.filter(action="hours_exception.removed", object_id=change.pk).exists()


def test_the_database_refuses_a_half_given_change_and_a_second_day_off(clinician):
    day = _next(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        HoursException.objects.create(clinician=clinician, day=day, start=datetime.time(9))
    HoursException.objects.create(clinician=clinician, day=day)
    with pytest.raises(IntegrityError), transaction.atomic():
        HoursException.objects.create(clinician=clinician, day=day)


@pytest.mark.postgres
def test_the_database_refuses_overlapping_windows_of_one_date(clinician):
    day = _next(1)
    HoursException.objects.create(clinician=clinician, day=day, start=datetime.time(8), end=datetime.time(12))
    HoursException.objects.create(clinician=clinician, day=day, start=datetime.time(12), end=datetime.time(13))
    with pytest.raises(IntegrityError, match="hours_exception_no_overlap"), transaction.atomic():
        HoursException.objects.create(clinician=clinician, day=day, start=datetime.time(9), end=datetime.time(10))


# --- Time off ----------------------------------------------------------------------------------


def test_time_off_is_added_with_a_warning_about_booked_visits(client, clinic_admin, clinician, episode):
    day = _next(1)
    AppointmentFactory(episode=episode, clinician=clinician, starts_at=_at(day, 10), ends_at=_at(day, 11))
    AppointmentFactory(episode=episode, clinician=clinician, starts_at=_at(day, 14), ends_at=_at(day, 15))
    AppointmentFactory(episode=episode, clinician=clinician, starts_at=_at(day, 17), ends_at=_at(day, 18))
    client.force_login(clinic_admin)
    response = client.post(
        reverse("time_off_add", args=[clinician.pk]), _time_off(_at(day, 9), _at(day, 16)), follow=True
    )
    page = response.content.decode()
    assert "Time off saved." in page
    assert "2 booked visits are in this time off" in page
    row = TimeOff.objects.get()
    assert row.starts_at == _at(day, 9)  # read in the clinic's zone, whatever the server's
    assert AuditEvent.objects.filter(action="time_off.added", object_id=row.pk).exists()
    # The coming week shows it.
    assert "09:00–16:00 (Course)" in page


def test_overlapping_time_off_is_refused(client, clinic_admin, clinician):
    day = _next(1)
    TimeOff.objects.create(clinician=clinician, starts_at=_at(day, 9), ends_at=_at(day, 12))
    client.force_login(clinic_admin)
    response = client.post(reverse("time_off_add", args=[clinician.pk]), _time_off(_at(day, 11), _at(day, 15)))
    assert response.status_code == 200
    assert "This overlaps time off from" in response.content.decode()
    assert TimeOff.objects.count() == 1


def test_time_off_is_changed_and_removed(client, clinic_admin, clinician):
    day = _next(1)
    row = TimeOff.objects.create(clinician=clinician, starts_at=_at(day, 9), ends_at=_at(day, 12))
    client.force_login(clinic_admin)
    edit = reverse("time_off_edit", args=[clinician.pk, row.pk])
    assert 'value="' + f"{day:%Y-%m-%d}T09:00" + '"' in client.get(edit).content.decode()
    # Changing a row does not clash with itself.
    assert client.post(edit, _time_off(_at(day, 10), _at(day, 13), "Dentist")).status_code == 302
    row.refresh_from_db()
    assert (row.starts_at, row.reason) == (_at(day, 10), "Dentist")
    assert AuditEvent.objects.filter(action="time_off.changed", object_id=row.pk).exists()
    assert client.post(reverse("time_off_remove", args=[clinician.pk, row.pk])).status_code == 302
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"starts_at": "2026-12-24T12:00", "ends_at": "2026-12-24T09:00"}, "ends_at"),
        ({"starts_at": "9999-12-24T09:00", "ends_at": "9999-12-25T09:00"}, "starts_at"),
        ({"starts_at": "1066-10-14T09:00", "ends_at": "2026-12-25T09:00"}, "starts_at"),
        ({"starts_at": "tomorrow", "ends_at": "2026-12-25T09:00"}, "starts_at"),
        ({"starts_at": "2026-12-24T09:00", "ends_at": "2026-12-25T09:00", "reason": "a\x00b"}, "reason"),
        ({"starts_at": "2026-12-24T09:00", "ends_at": "2026-12-25T09:00", "reason": "x" * 201}, "reason"),
        # 02:30 on the spring-forward day does not exist in the clinic's zone.
        ({"starts_at": "2027-03-14T02:30", "ends_at": "2027-03-14T09:00"}, "starts_at"),
    ],
)
def test_impossible_time_off_is_a_form_error(client, clinic_admin, clinician, data, field):
    client.force_login(clinic_admin)
    response = client.post(reverse("time_off_add", args=[clinician.pk]), data)
    assert response.status_code == 200
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert not TimeOff.objects.exists()


@pytest.mark.postgres
def test_the_database_refuses_overlapping_time_off(clinician):
    day = _next(1)
    TimeOff.objects.create(clinician=clinician, starts_at=_at(day, 9), ends_at=_at(day, 12))
    with pytest.raises(IntegrityError, match="time_off_no_overlap"), transaction.atomic():
        TimeOff.objects.create(clinician=clinician, starts_at=_at(day, 11), ends_at=_at(day, 13))


# --- The coming week and the page's cost ---------------------------------------------------------


def test_the_coming_week_shows_hours_changes_and_time_off(client, front_desk, clinician, nine_to_five):
    tomorrow = _today() + datetime.timedelta(days=1)
    HoursException.objects.create(
        clinician=clinician, day=tomorrow, start=datetime.time(12), end=datetime.time(16), note="Holiday hours"
    )
    HoursException.objects.create(clinician=clinician, day=tomorrow + datetime.timedelta(days=1))
    client.force_login(front_desk)
    page = client.get(_page(clinician)).content.decode()
    assert "12:00–16:00 <em>(changed for this day: Holiday hours)</em>" in page
    assert "Not working" in page
    assert "09:00–17:00" in page


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_clinician_page_costs_the_same_with_many_rows(client, clinic_admin, clinician, nine_to_five):
    client.force_login(clinic_admin)
    client.get(_page(clinician))  # the first page of a session also saves the session
    few = _queries(client, _page(clinician))
    for offset in range(1, 6):
        day = _today() + datetime.timedelta(days=offset)
        HoursException.objects.create(clinician=clinician, day=day, start=datetime.time(8), end=datetime.time(9))
        TimeOff.objects.create(clinician=clinician, starts_at=_at(day, 12), ends_at=_at(day, 13))
    WorkingHours.objects.create(clinician=clinician, weekday=0, start=datetime.time(18), end=datetime.time(19))
    assert _queries(client, _page(clinician)) == few


def test_the_list_costs_the_same_with_more_clinicians(client, clinic, clinic_admin, clinician, nine_to_five):
    client.force_login(clinic_admin)
    client.get(reverse("working_hours_list"))  # the first page of a session also saves the session
    few = _queries(client, reverse("working_hours_list"))
    for _ in range(3):
        other = UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
        WorkingHours.objects.create(clinician=other, weekday=1, start=datetime.time(8), end=datetime.time(12))
    assert _queries(client, reverse("working_hours_list")) == few


def test_the_day_view_costs_the_same_with_changes_of_hours(client, clinic, front_desk, clinician, nine_to_five):
    client.force_login(front_desk)
    client.get(reverse("schedule_day"))  # the first page of a session also saves the session
    few = _queries(client, reverse("schedule_day"))
    for _ in range(3):
        other = UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
        HoursException.objects.create(clinician=other, day=_today())
    assert _queries(client, reverse("schedule_day")) == few


def test_without_weekly_hours_only_a_changed_day_is_checked(clinic_admin, clinician, front_desk, episode):
    day = _next(3)
    hours_services.hours_exception_add(
        actor=clinic_admin, clinician=clinician, day=day, start=datetime.time(12), end=datetime.time(16)
    )
    with pytest.raises(ValidationError, match="outside the clinician's working hours"):
        services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=_at(day, 9))
    # Any other day: no hours kept, any time may be booked, as before.
    other = day + datetime.timedelta(days=1)
    assert services.appointment_book(actor=front_desk, episode=episode, clinician=clinician, starts_at=_at(other, 7))
