"""A clinician writes a visit's note on a phone: today's visit opened from the calendar, the note
pre-filled from the signed plan; a re-measure; signing first names what is missing; two prongs
delivered and a home exercise progressed, which drafts the plan's next version for signature;
signed, then an addendum. The front desk's visit page then says only that the note is signed."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from clinic.permissions import Role
from notes.models import VisitNote
from plans.models import Prong
from tests.e2e.conftest import PHONE
from tests.factories import AppointmentFactory, EpisodeFactory, SignedPlanFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_clinician_writes_signs_and_adds_an_addendum(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead")
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    episode = EpisodeFactory(patient__clinic=clinician.clinic, lead_clinician=clinician)
    # Today's visit, on the calendar's grid whatever the time the journey runs; the plan signed
    # before it (a note starts from the plan as it stood at the visit).
    zone = clinician.clinic.zone
    starts = timezone.localtime(timezone.now(), zone).replace(hour=10, minute=0, second=0, microsecond=0)
    with time_machine.travel(starts - datetime.timedelta(hours=2), tick=False):
        plan = SignedPlanFactory(assessment__episode=episode)
    visit = AppointmentFactory(
        episode=episode, clinician=clinician, starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30)
    )
    signed = plan.versions.get().signed
    exercises = [item for item in signed.items if item.prong == Prong.EXERCISE and item.home_program]
    assert exercises, "the journey progresses a home exercise of the signed plan"
    assert len({item.prong for item in signed.items}) >= 2, "the journey delivers two prongs"

    page = journey.open(**PHONE)
    journey.sign_in(page, clinician)
    journey.check(page, "dashboard")
    page.goto(journey.url("/schedule/"))
    journey.check(page, "calendar")
    page.locator(f"#visit-{visit.pk} a").first.click()
    page.wait_for_url(journey.url(f"/schedule/visits/{visit.pk}/"))
    journey.check(page, "visit")
    page.get_by_role("button", name="Write the note").click()
    page.wait_for_url(journey.url(f"/schedule/visits/{visit.pk}/note/"))
    journey.check(page, "note-draft")
    note = VisitNote.objects.get()
    lines = page.locator("form fieldset.note-line:has([name$='-status'])")
    assert lines.count() == note.items.count() + 1  # and the empty "add" line

    # A re-measure first: its form saves at once, on its own.
    page.locator('[name="measure-measure"]').select_option(label="Hip extension")
    page.locator('[name="measure-side"][value="left"]').check()
    page.locator('[name="measure-degrees"]').fill("15")
    page.get_by_role("button", name="Save the re-measure").click()
    page.wait_for_url(journey.url(f"/schedule/visits/{visit.pk}/note/"))
    journey.check(page, "note-remeasure")
    assert "Hip extension" in page.locator(".remeasure-list").inner_text()

    page.get_by_role("button", name="Save and sign").click()
    journey.check(page, "note-sign-refused")
    assert "Give the plan for the next visit." in page.locator(".error-summary").first.inner_text()

    progressed = None
    for index, item in enumerate(note.items.all()):
        page.locator(f'[name="line-{index}-region"]').fill("L4")
        page.locator(f'[name="line-{index}-technique"]').fill("Side posture")
        page.locator(f'[name="line-{index}-minutes"]').fill("5")
        if progressed is None and item.prong == Prong.EXERCISE and item.name in {row.name for row in exercises}:
            progressed = item
            page.locator(f'[name="line-{index}-sets"]').fill(str((item.sets or 2) + 1))
            page.locator(f'[name="line-{index}-reps"]').fill("12")
            page.locator(f'[name="line-{index}-progression"]').fill("One more set of 12")
    assert progressed is not None
    page.get_by_label("Better").check()
    page.get_by_label("Plan for the next visit").fill("Repeat")
    page.get_by_label("Total treatment minutes").fill("30")
    page.get_by_label("Timed-code minutes").fill("20")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(journey.url(f"/schedule/visits/{visit.pk}/note/"))
    journey.check(page, "note-saved")

    # The progression changes the home program: a new plan version is drafted, not signed.
    page.get_by_role("button", name="Draft a new plan version with these changes").click()
    page.wait_for_url(journey.url(f"/schedule/visits/{visit.pk}/note/"))
    journey.check(page, "note-plan-drafted")
    assert "Drafted plan version 2, awaiting signature." in page.locator("main").inner_text()
    plan.refresh_from_db()
    assert plan.versions.count() == 1, "the drafted version waits for the clinician's signature"

    page.get_by_role("button", name="Save and sign").click()
    page.wait_for_url(journey.url(f"/schedule/visits/{visit.pk}/note/"))
    journey.check(page, "note-signed")
    text = page.locator("main").inner_text()
    assert "Signed by Dana Lead" in text
    assert "One more set of 12" in text
    assert page.locator('[name="line-0-region"]').count() == 0, "a signed note is read-only"

    page.get_by_label("Addendum").fill("Late entry: ice advised.")
    page.get_by_role("button", name="Add the addendum").click()
    journey.check(page, "note-addendum")
    assert "Added by Dana Lead" in page.locator("main").inner_text()
    journey.close(page)

    desk = journey.open(**PHONE)
    journey.sign_in(desk, front_desk)
    journey.check(desk, "dashboard-front-desk")
    desk.goto(journey.url(f"/schedule/visits/{visit.pk}/"))
    journey.check(desk, "visit-front-desk")
    text = desk.locator("main").inner_text()
    assert "Note signed" in text
    for private in ("One more set of 12", "Late entry", "Hip extension", "Side posture"):
        assert private not in text
    assert desk.get_by_role("link", name="Read the note").count() == 0
