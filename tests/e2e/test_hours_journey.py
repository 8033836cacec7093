"""The clinic admin gives a clinician a lunch break and a day off, and sees the coming week
change as the booking pages will read it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clinic.permissions import Role
from clinic.scheduling.models import HoursException, WorkingHours
from tests.e2e.conftest import PHONE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_adds_a_lunch_break_and_a_day_off(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Casey Lead")
    admin = UserFactory(clinic=clinician.clinic, roles=[Role.CLINIC_ADMIN])
    today = timezone.localdate(timezone.now(), clinician.clinic.zone)
    # A day off in the coming week that is not its only Monday, whose hours the page shows too.
    day_off = today + datetime.timedelta(days=2 if (today + datetime.timedelta(days=1)).weekday() == 0 else 1)

    page = journey.open()
    journey.sign_in(page, admin)
    journey.check(page, "01-dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clinic settings").click()
    page.wait_for_load_state()
    journey.check(page, "02-clinic-settings")
    page.locator("main").get_by_role("link", name="Working hours").click()
    page.wait_for_load_state()
    journey.check(page, "03-working-hours")
    page.get_by_role("link", name="Casey Lead").click()
    page.wait_for_load_state()
    journey.check(page, "04-clinician-empty")

    for number, (start, end) in enumerate([("08:00", "12:00"), ("13:00", "17:00")], start=1):
        window = page.get_by_role("group", name=f"Window {number}")
        window.get_by_label("Day").select_option(label="Monday")
        window.get_by_label("From").fill(start)
        window.get_by_label("Until").fill(end)
    page.get_by_role("button", name="Save weekly hours").click()
    page.wait_for_load_state()
    assert "Weekly hours saved." in page.get_by_role("status").inner_text()
    journey.check(page, "05-lunch-break")

    change = page.get_by_role("group", name="Change one day's hours")
    change.get_by_label("Date").fill(f"{day_off:%Y-%m-%d}")
    change.get_by_label("Note for the front desk").fill("Course")
    page.get_by_role("button", name="Save the change").click()
    page.wait_for_load_state()
    assert "Change of hours saved." in page.get_by_role("status").inner_text()

    week = page.get_by_role("table", name="Working time and time off, day by day")
    day_row = week.get_by_role("row").filter(has_text=f"{day_off:%a} {day_off.day} {day_off:%b}")
    assert "Not working" in day_row.inner_text()
    assert "Course" in day_row.inner_text()
    assert "08:00–12:00, 13:00–17:00" in week.inner_text()
    journey.check(page, "06-day-off")
    page.set_viewport_size(PHONE["viewport"])
    journey.check(page, "07-on-a-phone")

    assert [(row.start, row.end) for row in WorkingHours.objects.filter(clinician=clinician, weekday=0)] == [
        (datetime.time(8), datetime.time(12)),
        (datetime.time(13), datetime.time(17)),
    ]
    assert HoursException.objects.get(clinician=clinician).day == day_off
