"""``manage.py seed_demo``: a complete, repeatable synthetic demo clinic."""

from __future__ import annotations

import datetime
import io
import re
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max
from django.test import override_settings
from django.utils import timezone

from assessments.models import Assessment, Finding
from clinic import services
from clinic.management.commands.seed_demo import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    ENDED_CARE,
    PATIENT_COUNT,
    PATIENT_COUNT_WITH_ENDED_CARE,
)
from clinic.models import Clinic, ClinicianProfile, EpisodeOfCare, EpisodeStatus, Patient, User
from clinic.outbox import quiet_hours
from clinic.permissions import Role, roles_of
from clinic.scheduling.models import ATTENDED_STATUSES, Appointment, AppointmentStatus
from notes.models import NoteAddendum, VisitNote
from plans.models import Intervention, PlanVersion, TreatmentPlan

CLINICIAN_EMAILS = [login.email for login in DEMO_LOGINS if login.role == Role.CLINICIAN]


def _counts() -> dict[str, int]:
    return {
        "clinics": Clinic.objects.count(),
        "staff": User.objects.count(),
        "patients": Patient.objects.count(),
        "episodes": EpisodeOfCare.objects.count(),
        "appointments": Appointment.objects.count(),
        "visit notes": VisitNote.objects.count(),
        "addenda": NoteAddendum.objects.count(),
        "assessments": Assessment.objects.count(),
        "findings": Finding.objects.count(),
        "plans": TreatmentPlan.objects.count(),
        "plan versions": PlanVersion.objects.count(),
        "interventions": Intervention.objects.count(),
    }


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker) -> tuple[str, dict[str, int]]:
    """Seeds twice, once for the module (seeding takes seconds), rolled back when the module ends;
    returns the second run's output and the counts after the first run."""
    # Argon2 costs ~0.1 s a hash by design; test_seed_demo_runs.py signs in with the real hashers.
    md5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=md5), django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        first = _counts()
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue(), first
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db) -> tuple[str, dict[str, int]]:
    """The module's demo clinic; each test's own transaction nests inside and is rolled back."""
    return seeded_once


def test_second_run_changes_no_counts(seeded):
    _, first = seeded
    assert _counts() == first
    assert first["clinics"] == 1
    assert first["staff"] == len(DEMO_LOGINS) == 4
    assert first["patients"] == PATIENT_COUNT_WITH_ENDED_CARE == PATIENT_COUNT + len(ENDED_CARE) == 29


def test_clinic_and_staff(seeded):
    clinic = Clinic.objects.get()
    assert clinic.time_zone == "America/Chicago"
    clinic.full_clean()
    for login in DEMO_LOGINS:
        user = User.objects.get(email=login.email)
        assert user.clinic == clinic
        assert roles_of(user) == {login.role}
        assert user.is_staff == (login.role == Role.CLINIC_ADMIN)
        assert not user.is_superuser
        assert user.invitation_sent_at is not None
    assert set(ClinicianProfile.objects.values_list("credentials", flat=True)) == {"DC, CCSP", "PT, DPT"}
    # Demo staff have passwords already: the invitation sweep owes them nothing.
    assert services.owed_staff_invitations(older_than=datetime.timedelta(0)) == []


def test_output_lists_the_logins(seeded):
    out, _ = seeded
    for login in DEMO_LOGINS:
        assert login.email in out
        assert login.role.value in out
    assert DEMO_PASSWORD in out


def test_patients_are_valid_synthetic_records(seeded):
    patients = list(Patient.objects.all())
    for patient in patients:
        patient.full_clean()
        assert patient.email.endswith("@example.com")
        assert not patient.mobile_phone or str(patient.mobile_phone).startswith("+131255501")
        assert datetime.date(1960, 1, 1) <= patient.date_of_birth <= datetime.date(2006, 12, 31)
    assert len({patient.email for patient in patients}) == len(patients)
    assert {patient.preferred_contact_channel for patient in patients} == {"email", "sms"}
    assert len({patient.sex for patient in patients}) > 1


def test_patients_at_every_stage(seeded):
    assert Patient.objects.filter(episodes__isnull=True).exists()
    open_episodes = EpisodeOfCare.objects.filter(status=EpisodeStatus.OPEN)
    discharged = EpisodeOfCare.objects.filter(status=EpisodeStatus.DISCHARGED)
    assert open_episodes.exists()
    assert discharged.exists()
    assert not discharged.filter(closed_on__isnull=True).exists()
    # Returning patients, and patients whose care is over.
    assert (
        Patient.objects.filter(episodes__status=EpisodeStatus.OPEN)
        .filter(episodes__status=EpisodeStatus.DISCHARGED)
        .exists()
    )
    assert (
        Patient.objects.filter(episodes__status=EpisodeStatus.DISCHARGED)
        .exclude(episodes__status=EpisodeStatus.OPEN)
        .exists()
    )
    leads = set(open_episodes.values_list("lead_clinician__email", flat=True))
    assert leads == set(CLINICIAN_EMAILS)


def test_each_clinician_has_visits_today_in_clinic_hours(seeded):
    clinic = Clinic.objects.get()
    today = timezone.localdate(timezone=clinic.zone)
    for email in CLINICIAN_EMAILS:
        visits = [
            visit
            for visit in Appointment.objects.filter(clinician__email=email)
            if timezone.localtime(visit.starts_at, clinic.zone).date() == today
        ]
        assert len(visits) >= 3, email
        for visit in visits:
            starts, ends = (
                timezone.localtime(visit.starts_at, clinic.zone),
                timezone.localtime(visit.ends_at, clinic.zone),
            )
            assert starts.time() >= datetime.time(8, 0)
            assert ends.time() <= datetime.time(17, 0)
            assert ends - starts in {datetime.timedelta(minutes=30), datetime.timedelta(minutes=45)}


def test_visits_fit_their_episodes(seeded):
    now = timezone.now()
    for visit in Appointment.objects.select_related("episode"):
        assert visit.clinician_id == visit.episode.lead_clinician_id
        assert timezone.localtime(visit.starts_at, visit.episode.patient.clinic.zone).date() >= visit.episode.opened_on
        if visit.episode.closed_on:
            assert visit.status in {AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW}
        if visit.starts_at > now:
            assert visit.status == AppointmentStatus.BOOKED
    # Some open episodes have nothing booked: the dashboards' "needs attention" list.
    upcoming = Appointment.objects.filter(starts_at__gte=now, status=AppointmentStatus.BOOKED)
    lapsing = EpisodeOfCare.objects.filter(status=EpisodeStatus.OPEN).exclude(appointments__in=upcoming)
    assert set(lapsing.values_list("lead_clinician__email", flat=True)) == set(CLINICIAN_EMAILS)
    assert EpisodeOfCare.objects.filter(status=EpisodeStatus.OPEN, appointments__in=upcoming).exists()


def test_a_clinicians_visits_never_overlap(seeded):
    for email in CLINICIAN_EMAILS:
        visits = list(Appointment.objects.filter(clinician__email=email).order_by("starts_at"))
        assert visits
        for earlier, later in pairwise(visits):
            assert earlier.ends_at <= later.starts_at, (earlier, later)


def test_demo_clinician_and_admin_sign_in_with_the_published_key(seeded, settings):
    from django.test import Client

    from clinic.two_factor import demo

    out, _ = seeded
    assert demo.grouped_key() in out
    assert "manage.py demo_code" in out
    settings.DEBUG = True
    for login in DEMO_LOGINS:
        client = Client()
        response = client.post("/accounts/login/", {"username": login.email, "password": DEMO_PASSWORD})
        if login.role == Role.FRONT_DESK:
            assert response["Location"] == "/"
            continue
        assert response["Location"] == "/accounts/login/code/", login.email
        code = io.StringIO()
        call_command("demo_code", login.email, stdout=code, stderr=io.StringIO())
        assert re.fullmatch(r"\d{6}\n", code.getvalue())
        assert client.post("/accounts/login/code/", {"code": code.getvalue().strip()})["Location"] == "/"
        assert client.get("/").status_code == 200, login.email


def test_the_demo_clinic_sends_reminders_at_any_hour(seeded):
    # Whoever tries the demo, at whatever hour it is in Chicago, sees a due reminder go out.
    clinic = Clinic.objects.get()
    midnight = datetime.datetime(2026, 12, 3, tzinfo=clinic.zone)
    for hour in range(24):
        moment = midnight + datetime.timedelta(hours=hour)
        assert quiet_hours.window_around(moment, clinic.quiet_hours_start, clinic.quiet_hours_end, clinic.zone) is None


def test_demo_has_visit_notes_signed_with_an_addendum_and_one_to_finish(seeded):
    notes = VisitNote.objects.all()
    assert notes.filter(signed_at__isnull=False).count() >= 2
    assert notes.filter(signed_at__isnull=True).count() == 1
    assert NoteAddendum.objects.count() == 1
    assert all(note.items.exists() for note in notes)
    assert set(notes.values_list("appointment__status", flat=True)) == {"completed"}


def test_demo_has_a_runner_in_phase_2_with_a_file_run_and_a_proposal_waiting(seeded):
    from running.models import DecisionStatus, ReadinessCheck, ReturnToRun, RunFileStatus, RunSource
    from running.services import cadence

    runner = ReturnToRun.objects.get()
    assert runner.status == "active"
    assert runner.current_phase == 2
    assert runner.plan_version.body["return_to_run"]["phases"] == runner.phases
    check = ReadinessCheck.objects.get(episode=runner.episode)
    assert check.rule_start
    assert check.decision == "start"
    assert check.checked_on <= runner.started_on
    phase_1 = runner.runs.filter(phase=1)
    assert phase_1.count() == 2
    assert all(run.morning_pain is not None and run.pain_during <= 2 for run in phase_1)
    assert runner.decisions.filter(status=DecisionStatus.CONFIRMED, from_phase=1, to_phase=2).count() == 1
    file_run = runner.runs.get(phase=2, source=RunSource.FILE)
    assert file_run.device_file.status == RunFileStatus.PARSED
    assert file_run.device_file.file.open("rb").read(14)[8:12] == b".FIT"
    assert file_run.step_rate == 169
    assert cadence.measured_baseline(runner.episode).steps_per_min == 169
    pending = runner.decisions.get(status=DecisionStatus.PROPOSED)
    assert (pending.from_phase, pending.proposed_step) == (2, "progress")
    assert all(run.local_date >= runner.started_on for run in runner.runs.all())


def test_demo_has_discharges_a_follow_up_answered_and_a_lapsed_episode(seeded):
    from notes import discharge
    from notes.models import Discharge, FollowUpScore

    reasons = dict(Discharge.objects.values_list("episode__patient__last_name", "reason"))
    assert reasons == {"Calloway": "goals_met", "Marsh": "goals_met", "Oduya": "stopped_attending"}
    for row in Discharge.objects.filter(reason="goals_met"):
        assert "meaningful improvement" in row.what_improved
        assert row.episode.intake.scores.filter(scored=True).exists()
        assert row.episode.status == EpisodeStatus.DISCHARGED
        assert row.episode.closed_on == row.discharged_on
    scores = FollowUpScore.objects.filter(follow_up__episode__patient__last_name="Calloway", scored=True)
    assert scores.filter(instrument="nprs").exists()
    follow_up = scores.first().follow_up
    assert follow_up.kind == "follow_up"
    assert follow_up.answered_at is not None
    assert discharge.follow_up_consented(follow_up.episode.patient)
    assert not discharge.follow_up_consented(Patient.objects.get(last_name="Marsh"))
    front_desk = User.objects.get(email="frontdesk@demo.test")
    lapsed = discharge.lapsed_episodes(user=front_desk)
    assert [episode.patient.last_name for episode in lapsed] == ["Grant"]


def test_each_demo_episode_stores_its_latest_attended_visit(seeded):
    # Seeding writes visits with bulk_create, which sends no signals: the stored value is refreshed after.
    latest = dict(
        Appointment.objects.filter(status__in=ATTENDED_STATUSES)
        .order_by()
        .values("episode")
        .annotate(latest=Max("starts_at"))
        .values_list("episode", "latest")
    )
    stored = dict(EpisodeOfCare.objects.values_list("pk", "last_attended_at"))
    assert stored == {pk: latest.get(pk) for pk in stored}
    assert len({value for value in stored.values() if value}) > 10


def test_demo_has_completed_assessments_with_findings_and_progress_examples(seeded):
    from assessments.models import Assessment, AssessmentStatus, Finding

    assert not Assessment.objects.exclude(status=AssessmentStatus.COMPLETED).exists()
    # The two progress examples, and the two episodes discharged with their goals met.
    assert Assessment.objects.filter(kind="reassessment").count() == 4
    assert Finding.objects.filter(code="hip_flexor_tightness", side="left").exists()
    # Every assessed episode had a submitted intake first, as in the clinic's flow.
    assert not Assessment.objects.filter(episode__intake__isnull=True).exists()


def test_demo_has_a_signed_plan_per_progress_example_and_a_draft(seeded):
    from plans.models import PlanStatus, TreatmentPlan

    assert TreatmentPlan.objects.filter(status=PlanStatus.SIGNED).count() == 2
    assert TreatmentPlan.objects.filter(status=PlanStatus.DRAFT).count() == 1
    assert all(plan.items.exists() for plan in TreatmentPlan.objects.all())
