"""The front desk books a signed plan's follow-ups from the week view, in one step."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from assessments.models import Assessment, AssessmentStatus
from clinic.permissions import Role
from clinic.scheduling.models import Appointment, WorkingHours
from plans.models import PlanVersion, TreatmentPlan
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, EpisodeFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_front_desk_books_the_plan_from_the_week_view(live_server, page):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Casey Lead")
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))
    episode = EpisodeFactory(patient__clinic=clinician.clinic, patient__last_name="Okonkwo", lead_clinician=clinician)
    assessment = Assessment.objects.create(
        episode=episode, clinician=clinician, status=AssessmentStatus.COMPLETED, completed_at=timezone.now()
    )
    plan = TreatmentPlan.objects.create(episode=episode, assessment=assessment, created_by=clinician)
    PlanVersion.objects.create(
        plan=plan,
        number=1,
        body={"visits_per_week": 2, "weeks": 2, "items": []},
        signed_by=clinician,
        signed_at=timezone.now(),
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(front_desk.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    page.get_by_role("link", name="Week view").click()

    under = page.get_by_role("region", name="Under-scheduled patients")
    assert "Okonkwo" in under.inner_text()
    screenshot(page, "schedule-week-before")
    under.get_by_role("link", name="Book the plan's visits").click()
    proposed = page.get_by_role("checkbox")
    assert proposed.count() == 4
    page.get_by_role("button", name="Book the ticked visits").click()
    assert "4 visits booked" in page.get_by_role("status").inner_text()

    assert Appointment.objects.filter(episode=episode).count() == 4
    assert len(mail.outbox) == 4
    # Every booked visit shows on the week view of its week.
    for visit in Appointment.objects.filter(episode=episode):
        day = timezone.localtime(visit.starts_at, clinician.clinic.zone).date()
        page.goto(f"{live_server.url}/schedule/week/?day={day:%Y-%m-%d}")
        assert (
            f"{timezone.localtime(visit.starts_at, clinician.clinic.zone):%H:%M} Okonkwo"
            in page.get_by_role("table").inner_text()
        )
    screenshot(page, "schedule-week-after")
