"""The front desk books the rest of a signed plan for a patient who already has visits: the page
says how many are booked and proposes only the rest, on other days than the patient's visits (with
any clinician); booking them sends the patient one confirmation listing every visit, with one
calendar file."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from assessments.models import AssessmentKind
from clinic.permissions import Role
from clinic.scheduling.models import Appointment, AppointmentStatus, WorkingHours
from tests.assessments.helpers import BASELINE_DAY
from tests.e2e.preconditions import completed_assessment, signed_plan
from tests.factories import EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _visit(episode, clinician, day: datetime.date, hour: int) -> Appointment:
    start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=clinician.clinic.zone)
    return Appointment.objects.create(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )


def test_front_desk_books_the_rest_of_a_plan_in_one_confirmation(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Casey Lead")
    colleague = UserFactory(clinic=clinician.clinic, roles=[Role.CLINICIAN], full_name="Robin Other")
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))
    episode = EpisodeFactory(
        patient__clinic=clinician.clinic,
        patient__first_name="Sam",
        patient__last_name="Okonkwo",
        patient__email="sam@example.test",
        lead_clinician=clinician,
    )
    assessment = completed_assessment(episode, clinician=clinician, kind=AssessmentKind.INITIAL, on=BASELINE_DAY)
    version = signed_plan(assessment, clinician=clinician)
    wanted = version.body["visits_per_week"] * version.body["weeks"]
    zone = clinician.clinic.zone
    today = timezone.localdate(timezone.now(), zone)
    # Two of the plan's visits are booked already; the patient also sees another clinician tomorrow.
    held = [_visit(episode, clinician, today + datetime.timedelta(days=days), 10) for days in (2, 4)]
    other_episode = EpisodeFactory(patient=episode.patient, lead_clinician=colleague)
    _visit(other_episode, colleague, today + datetime.timedelta(days=1), 8)
    taken_days = {today + datetime.timedelta(days=days) for days in (1, 2, 4)}
    mail.outbox.clear()  # the handout's message

    page = journey.open()
    journey.sign_in(page, front_desk)
    journey.check(page, "00-dashboard")
    page.goto(journey.url(f"/episodes/{episode.pk}/"))
    page.wait_for_load_state()
    journey.check(page, "01-episode")
    page.get_by_role("link", name="Book the plan's visits").click()
    page.wait_for_load_state()
    summary = page.locator("#series-count").inner_text()
    assert summary == f"2 of {wanted} visits booked; {wanted - 2} proposed."
    already = page.get_by_role("region", name="Already booked for this plan").get_by_role("listitem")
    assert already.count() == 2
    proposed = page.get_by_role("group", name="Proposed visits (untick any you do not want)").get_by_role("checkbox")
    assert proposed.count() == wanted - 2
    starts = [
        datetime.datetime.fromisoformat(proposed.nth(index).get_attribute("value").split("|")[0]).astimezone(zone)
        for index in range(proposed.count())
    ]
    assert not {start.date() for start in starts} & taken_days
    journey.check(page, "02-book-the-plan")
    page.get_by_text("The patient's preferred days and times").click()
    assert page.get_by_label("Allow two visits on one day").is_visible()
    journey.check(page, "03-preferences-open")

    page.get_by_role("button", name="Book the ticked visits").click()
    page.wait_for_load_state()
    assert f"{wanted - 2} visits booked" in page.get_by_role("status").inner_text()
    journey.check(page, "04-booked")

    visits = Appointment.objects.filter(episode=episode).exclude(status=AppointmentStatus.CANCELLED)
    assert visits.count() == wanted
    (message,) = mail.outbox  # one confirmation for the whole series
    assert message.to == ["sam@example.test"]
    events = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")
    assert len(events) == wanted - 2
    assert not {visit.pk for visit in held} & {visit.pk for visit in visits.filter(series__isnull=False)}
