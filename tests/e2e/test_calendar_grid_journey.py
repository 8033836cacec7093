"""The front desk works the calendar's time grid: books by clicking a free time, moves a visit by
dragging it with the mouse and with the keyboard alone, has a move onto a taken time refused,
cancels a visit and books the freed time for a patient on the wait list, hides the cancelled
visit, and uses both week views; and the grid on a tablet, where a finger books a free time."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from clinic.permissions import Role
from clinic.scheduling import services
from clinic.scheduling.models import Appointment, AppointmentStatus, WorkingHours
from tests.e2e.conftest import PHONE, TABLET
from tests.factories import AppointmentFactory, EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_MINUTE = 8 * 60  # working hours 08:00-17:00: the grid's first row is 08:00
SLOT = 15


def _clinic_day():
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Casey Lead")
    second = UserFactory(clinic=clinician.clinic, roles=[Role.CLINICIAN], full_name="Robin Second")
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    for person in (clinician, second):
        for weekday in range(7):
            WorkingHours.objects.create(
                clinician=person, weekday=weekday, start=datetime.time(8), end=datetime.time(17)
            )
    zone = clinician.clinic.zone
    day = timezone.localdate(timezone.now(), zone) + datetime.timedelta(days=1)
    return clinician, front_desk, zone, day


def _patient(clinician, first, last):
    return EpisodeFactory(
        patient__clinic=clinician.clinic, patient__first_name=first, patient__last_name=last, lead_clinician=clinician
    )


def _visit(clinician, episode, day, zone, hour, minute=0):
    start = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)
    return AppointmentFactory(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )


def _local(visit, zone):
    visit.refresh_from_db()
    return timezone.localtime(visit.starts_at, zone)


def _drag(page, visit, *, to_clinician_track, hour, minute=0):
    """Press the mouse on the visit's top edge and let go over ``hour:minute`` in the track."""
    block = page.locator(f"#visit-{visit.pk}").bounding_box()
    track = to_clinician_track.bounding_box()
    rows = int(page.locator(".cal").get_attribute("data-rows"))
    row_height = track["height"] / rows
    target_y = track["y"] + ((hour * 60 + minute - FIRST_MINUTE) // SLOT) * row_height + 3
    target_x = track["x"] + track["width"] / 2
    page.mouse.move(block["x"] + block["width"] / 2, block["y"] + 3)
    page.mouse.down()
    page.mouse.move(target_x, (block["y"] + target_y) / 2, steps=5)
    page.mouse.move(target_x, target_y, steps=5)
    with page.expect_navigation():
        page.mouse.up()


def test_front_desk_books_moves_and_cancels_on_the_grid(journey):
    clinician, front_desk, zone, day = _clinic_day()
    booked_by_click = _patient(clinician, "Sam", "Okonkwo")
    dragged = _visit(clinician, _patient(clinician, "Lee", "Dragwell"), day, zone, 9)
    keyed = _visit(clinician, _patient(clinician, "Kim", "Keyes"), day, zone, 13)
    waiting = _patient(clinician, "Wren", "Waites")
    services.wait_list_add(actor=front_desk, episode=waiting, clinician=None)

    page = journey.open()
    journey.sign_in(page, front_desk)
    journey.check(page, "00-dashboard")
    page.goto(journey.url(f"/schedule/?day={day:%Y-%m-%d}"))
    column = page.get_by_role("region", name="Casey Lead")
    track = column.locator(".cal-track")
    assert page.get_by_text("Drag a visit to a free time").is_visible()
    journey.check(page, "01-day-grid")

    # A click on a free time opens the booking page for that clinician and time.
    column.get_by_role("link", name="Book 10:00").click()
    page.wait_for_load_state()
    asked = parse_qs(urlsplit(page.url).query)
    assert asked["clinician"] == [str(clinician.pk)]
    assert asked["start"][0].startswith(f"{day:%Y-%m-%d}T10:00")
    page.get_by_label("Find the patient").fill("Okonkwo")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    page.get_by_label("Sam Okonkwo", exact=False).check()
    journey.check(page, "02-book-from-the-gap")
    page.get_by_role("button", name="Book visit").click()
    page.wait_for_load_state()
    new = Appointment.objects.get(episode=booked_by_click)
    assert _local(new, zone).time() == datetime.time(10)
    assert "Sam Okonkwo" in page.locator(f"#visit-{new.pk}").inner_text()
    assert column.get_by_role("link", name="Book 10:00").count() == 0

    # Dragged with the mouse from 09:00 to 11:00.
    _drag(page, dragged, to_clinician_track=track, hour=11)
    assert _local(dragged, zone).time() == datetime.time(11)
    assert "Visit moved to" in page.get_by_role("status").first.inner_text()
    journey.check(page, "03-after-the-drag")

    # Dropped on a taken time: the visit's page says why, and nothing moved.
    _drag(page, new, to_clinician_track=page.get_by_role("region", name="Casey Lead").locator(".cal-track"), hour=11)
    assert f"/schedule/visits/{new.pk}/move/" in page.url
    assert _local(new, zone).time() == datetime.time(10)
    journey.check(page, "04-refused-move")
    page.goto(journey.url(f"/schedule/?day={day:%Y-%m-%d}"))

    # The keyboard alone: to the visit, M, three rows down (45 minutes), Enter.
    link = page.locator(f"#visit-{keyed.pk} a")
    link.focus()
    page.keyboard.press("m")
    assert page.locator(".cal-ghost").inner_text() == "13:00"
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    assert "13:45" in page.locator("#cal-status").inner_text()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _local(keyed, zone).time() == datetime.time(13, 45)
    # Escape stops a keyboard move without moving anything.
    page.locator(f"#visit-{keyed.pk} a").focus()
    page.keyboard.press("m")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Escape")
    assert page.locator(".cal-ghost").count() == 0
    assert _local(keyed, zone).time() == datetime.time(13, 45)

    # Cancelled from its page; the freed time goes to the patient on the wait list.
    page.locator(f"#visit-{keyed.pk} a").click()
    page.wait_for_load_state()
    journey.check(page, "05-visit-page")
    page.get_by_label("Reason for cancelling").fill("Patient unwell")
    page.get_by_role("button", name="Cancel visit").click()
    page.wait_for_load_state()
    journey.check(page, "06-offer-to-the-wait-list")
    page.get_by_label("Wren Waites", exact=False).check()
    page.get_by_role("button", name="Book the slot for this patient").click()
    page.wait_for_load_state()
    offered = Appointment.objects.get(episode=waiting)
    assert _local(offered, zone).time() == datetime.time(13, 45)
    cancelled = page.locator(f"#visit-{keyed.pk}")
    assert "Cancelled: Patient unwell" in cancelled.inner_text()
    assert "line-through" in cancelled.locator("a").evaluate("(el) => getComputedStyle(el).textDecorationLine")
    assert "Wren Waites" in page.locator(f"#visit-{offered.pk}").inner_text()
    journey.check(page, "07-cancelled-and-offered")

    page.get_by_role("link", name="Hide cancelled visits").click()
    page.wait_for_load_state()
    assert page.locator(f"#visit-{keyed.pk}").count() == 0
    assert Appointment.objects.get(pk=keyed.pk).status == AppointmentStatus.CANCELLED
    journey.check(page, "08-cancelled-hidden")

    # The week: the whole clinic as a compact grid, then one clinician's days as a time grid.
    page.get_by_role("link", name="Week view").click()
    page.wait_for_load_state()
    table = page.get_by_role("table")
    assert "Dragwell" in table.inner_text()
    # Both clinicians have free time on every day of the week from the grid's day on (today's may
    # be over, and earlier days are past, whatever the hour the journey runs at).
    assert table.get_by_role("link", name="free time").count() >= 2 * (7 - day.weekday())
    journey.check(page, "09-week-of-the-clinic")
    page.get_by_label("Calendar of").select_option(label="Casey Lead")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.locator(".cal-track").count() == 7
    assert page.locator(f"#visit-{dragged.pk}").is_visible()
    journey.check(page, "10-week-of-one-clinician")
    page.get_by_role("navigation", name="Weeks").get_by_role("link", name="Day view").click()
    page.wait_for_load_state()
    assert parse_qs(urlsplit(page.url).query)["day"] == [f"{day:%Y-%m-%d}"]
    journey.check(page, "11-back-to-the-day")


def test_the_grid_on_a_tablet(journey):
    clinician, front_desk, zone, day = _clinic_day()
    visit = _visit(clinician, _patient(clinician, "Lee", "Dragwell"), day, zone, 9)

    page = journey.open(**TABLET)
    journey.sign_in(page, front_desk)
    journey.check(page, "00-tablet-dashboard")
    page.goto(journey.url(f"/schedule/?day={day:%Y-%m-%d}"))
    block = page.locator(f"#visit-{visit.pk}")
    assert block.is_visible()
    # A finger on a visit drags it rather than scrolling the page.
    assert block.evaluate("(el) => getComputedStyle(el).touchAction") == "none"
    # Both clinicians' columns fit the tablet's width side by side.
    columns = page.locator(".cal-col")
    assert columns.count() == 2
    assert columns.nth(1).bounding_box()["x"] + columns.nth(1).bounding_box()["width"] <= 1024
    journey.check(page, "01-tablet-day")
    with page.expect_navigation():
        page.get_by_role("region", name="Casey Lead").get_by_role("link", name="Book 10:00").tap()
    assert "/schedule/book/" in page.url
    journey.check(page, "02-tablet-book")

    # On a phone the grid scrolls sideways inside itself; the page does not.
    phone = journey.open(**PHONE)
    journey.sign_in(phone, front_desk)
    journey.check(phone, "03-phone-dashboard")
    phone.goto(journey.url(f"/schedule/?day={day:%Y-%m-%d}"))
    assert phone.locator(f"#visit-{visit.pk}").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    journey.check(phone, "04-phone-day")
