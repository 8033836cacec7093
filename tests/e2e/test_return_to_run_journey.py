"""Return to running, end to end: the clinician records a passing readiness check and starts the
standard walk-run program; the runner on a phone uploads a watch file and says how it felt, then logs
a second run by hand; the next-morning question arrives by e-mail and is answered; the clinician
confirms the proposed progression; the handout shows the phase table."""

from __future__ import annotations

import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from assessments.models import AssessmentKind
from clinic.models import Clinic
from clinic.outbox import tasks as outbox_tasks
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.permissions import Role
from clinic.portal import services as portal
from plans import run_programs
from plans import selectors as plan_selectors
from plans import services as plan_services
from plans.models import Handout, HandoutStatus, PlanVersion
from running import readiness
from running.devices.fit_writer import run_fit
from running.models import ReadinessCheck, ReturnToRun, Run
from tests.assessments.helpers import BASELINE_DAY
from tests.e2e.conftest import SMALL_PHONE
from tests.e2e.preconditions import completed_assessment
from tests.factories import ClinicFactory, EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _draft_plan(assessment, clinician):
    """The generator's draft, every empty prong explained: ready to sign."""
    plan = plan_services.plan_draft(actor=clinician, assessment=assessment)
    reasons = dict.fromkeys(plan_services.missing_prongs(plan), "Not indicated at this stage.")
    if reasons:
        plan_services.plan_update(actor=clinician, plan=plan, missing_prong_reasons=reasons)
    return plan


def _run_times(zone) -> tuple[datetime.datetime, datetime.datetime]:
    """Two runs earlier today in the clinic's zone, the watch's first: the plan starts today, and
    a run joins it only from its start day."""
    now = timezone.localtime(timezone.now(), zone)
    return now.replace(hour=7, minute=0, second=0, microsecond=0), now - datetime.timedelta(minutes=5)


@pytest.fixture
def after_the_first_run_of_the_day():
    """Runs at 07:00 and a few minutes ago both lie earlier today only after 07:05 in the clinic's zone
    (the factories' Chicago): before that, the server's clock moves on to 08:00 and runs from there.
    Forward only, so the browser's session cookie, dated by the server, is never already expired."""
    zone = ZoneInfo(ClinicFactory._meta.declarations["time_zone"])
    now = timezone.localtime(timezone.now(), zone)
    if now.time() >= datetime.time(7, 30):
        yield
        return
    with time_machine.travel(now.replace(hour=8, minute=0, second=0, microsecond=0), tick=True):
        yield


def _fill_passing_check(page) -> None:
    for criterion in readiness.CRITERIA:
        card = page.locator(f"#criterion-{criterion.key}")
        if criterion.kind == readiness.TASK and criterion.target is not None:
            card.get_by_label(re.compile(r"^Result")).fill(f"{criterion.target.normalize():f}")
        elif criterion.kind == readiness.TASK:
            card.get_by_label("Met", exact=True).check()
        if criterion.control:
            card.get_by_role("group", name="Pelvic control").get_by_label("Acceptable", exact=True).check()
    page.get_by_label("Y-balance: involved side").select_option("right")
    reaches = {
        "Left, anterior reach (cm)": "80",
        "Right, anterior reach (cm)": "72",
        "Left, posteromedial reach (cm)": "90",
        "Right, posteromedial reach (cm)": "81",
        "Left, posterolateral reach (cm)": "90",
        "Right, posterolateral reach (cm)": "81",
    }
    for label, value in reaches.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("HOS activities of daily living (%)").fill("96")
    page.get_by_label("HOS sport (%)").fill("91")
    page.get_by_label("Pain now (0–10)").fill("0")


def _feel(page, *, before: int, during: int, rpe: int) -> None:
    page.get_by_role("group", name="Pain before the run").get_by_label(str(before), exact=True).check()
    page.get_by_role("group", name="Pain during the run").get_by_label(str(during), exact=True).check()
    page.get_by_role("group", name="Effort (RPE)").get_by_label(str(rpe), exact=True).check()
    page.get_by_role("group", name="Swelling or stiffness after the run?").get_by_label("No").check()


def _press(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_readiness_to_first_progression(journey, after_the_first_run_of_the_day):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead", clinic__name="Lakeside Running Clinic")
    episode = EpisodeFactory(
        patient__clinic=clinician.clinic,
        patient__first_name="Robin",
        patient__last_name="Okafor",
        patient__email="robin@example.test",
        lead_clinician=clinician,
    )
    patient, zone = episode.patient, clinician.clinic.zone
    assessment = completed_assessment(episode, clinician=clinician, kind=AssessmentKind.INITIAL, on=BASELINE_DAY)
    plan = _draft_plan(assessment, clinician)

    # 1. The readiness check, at the desk.
    desk = journey.open()
    journey.sign_in(desk, clinician)
    journey.check(desk, "01-dashboard")
    desk.goto(journey.url(f"/episodes/{episode.pk}/"))
    journey.check(desk, "02-episode")
    desk.get_by_role("link", name="Record a return-to-run check").click()
    desk.wait_for_url(journey.url(f"/episodes/{episode.pk}/return-to-run-checks/new/"))
    journey.check(desk, "03-check-form")
    _fill_passing_check(desk)
    _press(desk, "Check against the criteria")
    verdict = desk.get_by_role("region", name=re.compile("The checklist says"))
    assert desk.get_by_role("heading", name="The checklist says: start").count() == 1, verdict.inner_text()
    assert "Not passed" not in verdict.inner_text()
    # 72/80 and 81/90 of the involved right side: every direction's LSI is 90 %, above the 85 % asked.
    assert "Y-balance LSI: anterior 90.0 %, posteromedial 90.0 %, posterolateral 90.0 %" in verdict.inner_text()
    journey.check(desk, "04-check-verdict")
    desk.get_by_role("group", name="Your decision").get_by_label("Start running", exact=True).check()
    _press(desk, "Record and sign")
    check = ReadinessCheck.objects.get(episode=episode)
    assert desk.url == journey.url(f"/return-to-run-checks/{check.pk}/")
    assert "Return-to-run check recorded and signed." in desk.locator("main").inner_text()
    journey.check(desk, "05-check-recorded")
    assert check.decision == "start"

    # 2. The walk-run program added to the draft plan, and signed.
    desk.goto(journey.url(f"/plans/{plan.pk}/"))
    journey.check(desk, "06-plan-draft")
    choice = desk.get_by_role("region", name="Return-to-run plan")
    (standard,) = [
        p for p in plan_selectors.run_programs_for(clinician.clinic_id) if p.name == "Standard return-to-run program"
    ]
    choice.get_by_label("Return-to-run program").select_option(str(standard.pk))
    _press(desk, "Add a return-to-run plan")
    assert "Return-to-run program: Standard return-to-run program." in desk.locator("main").inner_text()
    journey.check(desk, "07-plan-with-program")
    _press(desk, "Sign the plan")
    assert desk.get_by_role("heading", level=1).inner_text() == "Treatment plan, version 1"
    table = desk.get_by_role("region", name="Your return-to-run plan: Standard return-to-run program")
    rows = table.locator("tbody tr")
    assert rows.count() == 6
    assert "1.61 km" in rows.first.inner_text(), rows.first.inner_text()
    journey.check(desk, "08-plan-version")
    version = PlanVersion.objects.get(plan=plan)
    rtr = ReturnToRun.objects.get(episode=episode)
    assert rtr.current_phase == 1

    # 3. The handout (rendered by the worker, eager in tests) carries the phase table.
    handout = Handout.objects.get(version=version)
    assert handout.status == HandoutStatus.READY, handout.status
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(handout.file.read())).pages))
    phases = run_programs.rows(version.body["return_to_run"]["phases"])
    assert phases[0]["distance"] == "1.0 miles (≈ 1.61 km)"
    expected = ["Your return-to-run plan: Standard return-to-run program", "Warm up for 10 to 15 minutes"]
    expected += ["1.0 miles", "1.61 km", "1.5 miles", "2.41 km", "2.0 miles", "3.22 km"]
    expected += ["3/10", "easy", "4/10", "somewhat easy", "5/10", "somewhat hard"]
    for words in expected:
        assert words in text, (words, text)

    # 4. The runner, on a phone: a watch file, how it felt, then a run logged by hand.
    fit_start, second_start = _run_times(zone)
    link = journey.url(portal.link_issue(patient=patient))
    phone = journey.open(**SMALL_PHONE)
    phone.goto(link)
    journey.check(phone, "09-portal-home")
    phone.get_by_role("link", name=re.compile("^Your runs")).click()
    phone.wait_for_load_state()
    assert "phase 1" in phone.get_by_role("heading", level=2, name=re.compile("Your return to running")).inner_text()
    journey.check(phone, "10-portal-runs")
    phone.get_by_role("link", name="Upload the file from your watch instead").click()
    phone.wait_for_load_state()
    journey.check(phone, "11-upload")
    fit = run_fit(
        start=fit_start.astimezone(datetime.UTC),
        seconds=600,
        speed_m_s=2.7,
        local_offset_s=int(fit_start.utcoffset().total_seconds()),
    )
    phone.get_by_label("Your run's file").set_input_files(
        files=[{"name": "morning-run.fit", "mimeType": "application/octet-stream", "buffer": fit}]
    )
    _press(phone, "Upload the file")
    # Read by the worker after the upload's commit (eager in tests); a slow machine may need a look again.
    for _ in range(10):
        if phone.get_by_role("link", name="Add how the run felt").count():
            break
        phone.wait_for_timeout(500)
        phone.reload()
    assert "Your run was added" in phone.locator("main").inner_text()
    journey.check(phone, "12-upload-read")
    phone.get_by_role("link", name="Add how the run felt").click()
    phone.wait_for_load_state()
    assert phone.get_by_role("heading", name="How did it feel?").count() == 1
    journey.check(phone, "13-run-feel")
    _feel(phone, before=1, during=1, rpe=3)
    _press(phone, "Save how it felt")
    journey.check(phone, "14-run-felt")
    first = Run.objects.get(episode=episode)
    assert (first.pain_before, first.pain_during, first.rpe, first.phase) == (1, 1, 3, 1)

    phone.goto(journey.url(f"/portal/{link.rstrip('/').rsplit('/', 1)[-1]}/runs/"))
    phone.get_by_label("Day of the run").fill(second_start.date().isoformat())
    phone.get_by_label("Start time (optional)").fill(second_start.strftime("%H:%M"))
    phone.get_by_label("Distance (km)").fill("1.6")
    phone.get_by_role("textbox", name="Time", exact=True).fill("12:30")
    _feel(phone, before=1, during=1, rpe=3)
    _press(phone, "Save this run")
    journey.check(phone, "15-second-run-logged")
    second = Run.objects.exclude(pk=first.pk).get(episode=episode)
    assert second.phase == 1
    journey.close(phone)

    # 5. The next morning: the question comes by e-mail and is answered on the phone.
    mail.outbox.clear()
    (message,) = PatientMessage.objects.filter(
        kind=MessageKind.RUN_MORNING, subject_id=second.pk, status=MessageStatus.PENDING
    )
    PatientMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
    # The morning is brought forward to now, which may lie in the clinic's quiet hours (21:00 to
    # 08:00 by default) when the suite runs: equal times take them off, as a clinic may.
    Clinic.objects.filter(pk=clinician.clinic_id).update(
        quiet_hours_start=datetime.time(0), quiet_hours_end=datetime.time(0)
    )
    assert outbox_tasks.send_patient_message(message.pk) is True
    (sent,) = [email for email in mail.outbox if "/portal/" in email.body]
    assert sent.to == ["robin@example.test"]
    morning_link = re.search(r"https?://\S+/portal/\S+/runs/\d+/morning/", sent.body).group(0)
    morning = journey.open(**SMALL_PHONE)
    morning.goto(journey.url(morning_link))
    journey.check(morning, "16-morning-question")
    morning.get_by_role("group", name="Your pain this morning").get_by_label("1", exact=True).check()
    _press(morning, "Save my answer")
    journey.check(morning, "17-morning-answered")
    second.refresh_from_db()
    assert second.morning_pain == 1

    # 6. The clinician confirms the proposed progression.
    desk.goto(journey.url("/"))
    proposals = desk.get_by_role("region", name=re.compile("Return to run: proposals to confirm"))
    assert "Robin Okafor" in proposals.inner_text(), proposals.inner_text()
    journey.check(desk, "18-dashboard-proposal")
    proposals.get_by_role("link", name="Robin Okafor").click()
    desk.wait_for_load_state()
    panel = desk.get_by_role("region", name="Return to run")
    assert "Proposal: Progress to the next phase (phase 1 → 2)" in panel.inner_text(), panel.inner_text()
    journey.check(desk, "19-episode-proposal")
    _press(desk, "Confirm: progress to the next phase")
    panel = desk.get_by_role("region", name="Return to run")
    assert "phase 2 of 6" in panel.inner_text(), panel.inner_text()
    journey.check(desk, "20-episode-phase-2")
    rtr.refresh_from_db()
    assert rtr.current_phase == 2
