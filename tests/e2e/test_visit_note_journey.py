"""A clinician writes a visit's note on a phone: from the visit page, pre-filled from the signed
plan; signing first names what is missing, then signs; an addendum follows. The front desk's
visit page then says only that the note is signed."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clinic.permissions import Role
from notes.models import VisitNote
from tests.e2e.conftest import PHONE
from tests.factories import AppointmentFactory, EpisodeFactory, SignedPlanFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_clinician_writes_signs_and_adds_an_addendum(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead")
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    episode = EpisodeFactory(patient__clinic=clinician.clinic, lead_clinician=clinician)
    SignedPlanFactory(assessment__episode=episode)
    starts = timezone.now() + datetime.timedelta(minutes=30)
    visit = AppointmentFactory(episode=episode, starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30))

    page = journey.open(**PHONE)
    journey.sign_in(page, clinician)
    journey.check(page, "dashboard")
    page.goto(journey.url(f"/schedule/visits/{visit.pk}/"))
    journey.check(page, "visit")
    page.get_by_role("button", name="Write the note").click()
    page.wait_for_url(journey.url(f"/schedule/visits/{visit.pk}/note/"))
    journey.check(page, "note-draft")
    lines = page.locator("fieldset.note-line")
    assert lines.count() == VisitNote.objects.get().items.count() + 1  # and the empty "add" line

    page.get_by_role("button", name="Save and sign").click()
    journey.check(page, "note-sign-refused")
    assert "Give the plan for the next visit." in page.locator(".error-summary").first.inner_text()

    for index in range(lines.count() - 1):
        page.locator(f'[name="line-{index}-region"]').fill("L4")
        page.locator(f'[name="line-{index}-technique"]').fill("Side posture")
        page.locator(f'[name="line-{index}-minutes"]').fill("5")
    page.locator('[name="line-0-progression"]').fill("Added a second set")
    page.get_by_label("Better").check()
    page.get_by_label("Plan for the next visit").fill("Repeat")
    page.get_by_label("Total treatment minutes").fill("30")
    page.get_by_label("Timed-code minutes").fill("20")
    page.get_by_role("button", name="Save and sign").click()
    page.wait_for_url(journey.url(f"/schedule/visits/{visit.pk}/note/"))
    journey.check(page, "note-signed")
    assert "Signed by Dana Lead" in page.locator("main").inner_text()

    page.get_by_label("Addendum").fill("Late entry: ice advised.")
    page.get_by_role("button", name="Add the addendum").click()
    journey.check(page, "note-addendum")
    assert "Added by Dana Lead" in page.locator("main").inner_text()
    assert "Added a second set" in page.locator("main").inner_text()
    journey.close(page)

    desk = journey.open(**PHONE)
    journey.sign_in(desk, front_desk)
    journey.check(desk, "dashboard-front-desk")
    desk.goto(journey.url(f"/schedule/visits/{visit.pk}/"))
    journey.check(desk, "visit-front-desk")
    text = desk.locator("main").inner_text()
    assert "Note signed" in text
    assert "Added a second set" not in text
    assert desk.get_by_role("link", name="Read the note").count() == 0
