"""Journey 5: the front desk books the signed plan's follow-ups from the week view in one step;
when the first visit's reminder falls due (the clock is moved forward, not waited for) the
patient is e-mailed it with the visit's day and time, and confirms the visit from its link."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from assessments.models import AssessmentKind
from clinic.outbox.models import VISIT_REMINDERS, MessageStatus, PatientMessage
from clinic.outbox.tasks import dispatch_patient_messages
from clinic.permissions import Role
from clinic.scheduling import visit_reminders
from clinic.scheduling.models import Appointment, WorkingHours
from tests.assessments.helpers import BASELINE_DAY
from tests.e2e.preconditions import completed_assessment, signed_plan
from tests.factories import EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_front_desk_books_the_plan_and_the_first_reminder_goes_out_when_due(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Casey Lead")
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
    mail.outbox.clear()  # the handout's message

    page = journey.open()
    journey.sign_in(page, front_desk)
    under = page.get_by_role("region", name="Under-scheduled patients")
    assert "Okonkwo" in under.inner_text()
    journey.check(page, "01-dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    page.wait_for_load_state()
    journey.check(page, "02-day-view")
    page.get_by_role("link", name="Week view").click()
    page.wait_for_load_state()
    journey.check(page, "03-week-before")

    page.get_by_role("region", name="Under-scheduled patients").get_by_role(
        "link", name="Book the plan's visits"
    ).click()
    page.wait_for_load_state()
    assert page.get_by_role("checkbox").count() == wanted
    journey.check(page, "04-book-the-plan")
    page.get_by_role("button", name="Book the ticked visits").click()
    page.wait_for_load_state()
    assert f"{wanted} visits booked" in page.get_by_role("status").inner_text()
    journey.check(page, "05-booked")

    visits = list(Appointment.objects.filter(episode=episode).order_by("starts_at"))
    assert len(visits) == wanted
    assert len(mail.outbox) == 1  # one confirmation listing every visit, with one calendar file
    zone = clinician.clinic.zone
    first = visits[0]
    starts = timezone.localtime(first.starts_at, zone)
    page.goto(journey.url(f"/schedule/week/?day={starts:%Y-%m-%d}"))
    assert f"{starts:%H:%M} Okonkwo" in page.get_by_role("table").inner_text()
    journey.check(page, "06-week-of-the-first-visit")
    page.goto(journey.url(f"/schedule/?day={starts:%Y-%m-%d}"))
    journey.check(page, "07-day-of-the-first-visit")

    # 48 h before, or only the 2 h one when the visit is sooner than that. A visit early tomorrow
    # booked in the evening owes none: its 2 h reminder, moved back out of the quiet hours, has
    # already passed. The reminder due first is the one the patient hears about first.
    reminder = min((row for visit in visits for row in visit_reminders.of_visit(visit)), key=lambda row: row.due_at)
    first = next(visit for visit in visits if visit.pk == reminder.subject_id)
    starts = timezone.localtime(first.starts_at, zone)
    assert reminder.kind in VISIT_REMINDERS
    assert reminder.status == MessageStatus.PENDING
    mail.outbox.clear()
    # Nothing is due yet; at the reminder's time, beat's dispatch (every minute) sends it.
    assert dispatch_patient_messages() == 0
    with time_machine.travel(reminder.due_at, tick=True):
        # Another visit's reminder may fall due at the same moment (both moved out of the quiet hours).
        owed = PatientMessage.objects.filter(status=MessageStatus.PENDING, due_at__lte=reminder.due_at).count()
        assert dispatch_patient_messages() == owed >= 1
        reminder.refresh_from_db()
        assert reminder.status == MessageStatus.SENT, reminder.reason
        (message,) = [sent for sent in mail.outbox if f"{starts:%A} {starts.day} {starts:%B}" in sent.body]
        assert message.to == ["sam@example.test"]
        assert f"{starts:%H:%M}" in message.body

        # The patient confirms from the message (a button press, since mail scanners open links).
        patient = journey.open()
        patient.goto(journey.url(re.search(r"Confirm your visit: (\S+)", message.body).group(1)))
        journey.check(patient, "08-patient-confirm")
        patient.get_by_role("button", name="Yes, I will be there").click()
        patient.wait_for_load_state()
        assert patient.get_by_role("heading", level=1).inner_text() == "Thank you: your visit is confirmed"
        journey.check(patient, "09-patient-confirmed")
    first.refresh_from_db()
    assert first.confirmed_at is not None
