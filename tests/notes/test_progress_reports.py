"""Progress reports (US Medicare Part B, where the clinic turns them on): the dashboard lists the episodes
due one, counted in treatment days, and a re-assessment recorded as the report starts the count again."""

from __future__ import annotations

import datetime
import itertools
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import AssessmentKind
from clinic import services as clinic_services
from clinic import thresholds
from clinic.models import AuditEvent
from clinic.permissions import Role
from clinic.scheduling.models import AppointmentStatus
from notes import selectors, services
from notes.models import ProgressReport
from tests.factories import (
    AppointmentFactory,
    AssessmentFactory,
    EpisodeFactory,
    PatientFactory,
    SignedPlanFactory,
    UserFactory,
)

STAFF_BACKEND = "clinic.backends.StaffBackend"
REPORT = {"goal_progress": "Pain-free 5 km: met", "plans": "Two more weeks", "goal_changes": ""}


@pytest.fixture
def reports_on(clinic, clinic_admin):
    clinic_services.clinic_update(actor=clinic_admin, clinic=clinic, progress_reports=True)
    clinic.refresh_from_db()
    return clinic


_SLOTS = itertools.count()


def _treated(episode, days_ago):
    """Completed visits of ``episode``, one on each of ``days_ago`` (the clinic's days), each in a slot of its
    own so that no two visits of the clinician overlap."""
    zone = episode.patient.clinic.zone
    today = timezone.localdate(timezone=zone)
    for days in days_ago:
        midnight = datetime.datetime.combine(today - datetime.timedelta(days=days), datetime.time(), tzinfo=zone)
        starts = midnight + datetime.timedelta(minutes=6 * next(_SLOTS) % (20 * 60))
        if starts + datetime.timedelta(minutes=5) > timezone.now():
            # Today's visit has happened, whatever the hour the test runs at.
            starts = midnight + (timezone.now() - midnight) / 2
        AppointmentFactory(
            episode=episode,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(minutes=5),
            status=AppointmentStatus.COMPLETED,
        )


def _episode(clinic, clinician, name="Mossfern"):
    return EpisodeFactory(patient=PatientFactory(clinic=clinic, last_name=name), lead_clinician=clinician)


def _section(html):
    if 'id="my-progress-reports"' not in html:
        return None
    return html.split('id="my-progress-reports"', 1)[1].split("</section>", 1)[0]


def _dashboard(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client.get("/").content.decode()


def _reassessment(episode):
    AssessmentFactory(episode=episode)
    return AssessmentFactory(episode=episode, kind=AssessmentKind.REASSESSMENT)


def test_off_by_default_with_an_interval_of_ten(client, clinic, clinician):
    assert clinic.progress_reports is False
    assert thresholds.for_clinic(clinic)["progress_report_treatment_days"] == 10
    _treated(_episode(clinic, clinician), range(1, 15))
    assert _section(_dashboard(client, clinician)) is None


def test_the_dashboard_lists_due_and_overdue_episodes(client, reports_on, clinician):
    due = _episode(reports_on, clinician)
    _treated(due, range(1, 10))  # 9 treatment days: the 10th visit must carry the report
    overdue = _episode(reports_on, clinician)
    _treated(overdue, range(1, 12))
    not_yet = _episode(reports_on, clinician)
    _treated(not_yet, range(1, 9))
    _treated(not_yet, [1, 2])  # a second visit on a day is not a second treatment day

    section = _section(_dashboard(client, clinician))

    assert "Progress reports due (2)" in section
    links = re.findall(r'href="/episodes/(\d+)/"', section)
    assert links == [str(overdue.pk), str(due.pk)]
    assert "11 treatment days since the last report, overdue" in section
    assert "9 treatment days since the last report, due at the next visit" in section
    assert "US Medicare Part B" in section


def test_only_my_open_episodes_of_my_clinic(client, reports_on, other_clinic, clinician):
    colleague = UserFactory(clinic=reports_on, roles=[Role.CLINICIAN])
    _treated(_episode(reports_on, colleague, name="Zebraquail"), range(1, 12))
    other_clinic.progress_reports = True
    other_clinic.save()
    _treated(
        _episode(other_clinic, UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN]), "Zebraquailor"), range(1, 12)
    )
    closed = _episode(reports_on, clinician, name="Zebraquailclosed")
    _treated(closed, range(1, 12))
    type(closed).objects.filter(pk=closed.pk).update(status="discharged", closed_on=timezone.localdate())

    section = _section(_dashboard(client, clinician))

    assert "Progress reports due (0)" in section
    assert "Zebraquail" not in section


def test_the_interval_is_the_clinics_setting(client, reports_on, clinician, clinic_admin):
    _treated(_episode(reports_on, clinician), range(1, 5))
    assert "Progress reports due (0)" in _section(_dashboard(client, clinician))

    clinic_services.thresholds_update(
        actor=clinic_admin, clinic=reports_on, values={"progress_report_treatment_days": 5}
    )

    assert "Progress reports due (1)" in _section(_dashboard(client, clinician))


def test_a_recorded_report_starts_the_count_again(client, reports_on, clinician):
    episode = _episode(reports_on, clinician)
    _treated(episode, range(10, 22))  # 12 treatment days before the re-assessment (7 days ago)
    reassessment = _reassessment(episode)
    assert "Progress reports due (1)" in _section(_dashboard(client, clinician))

    report = services.progress_report_record(actor=clinician, assessment=reassessment, **REPORT)

    assert report.reported_on == reassessment.assessed_on
    assert AuditEvent.objects.filter(action="progress_report.recorded", object_id=str(report.pk)).count() == 1
    assert "Progress reports due (0)" in _section(_dashboard(client, clinician))
    _treated(episode, range(1, 7))  # 6 days after the report: not yet
    assert "Progress reports due (0)" in _section(_dashboard(client, clinician))
    _treated(episode, [0])
    assert selectors.progress_reports_due(user=clinician, every=8) == [
        selectors.ReportDue(episode=episode, days=7, status="due")
    ]


def test_refused_when_the_clinic_does_not_track_them(clinic, clinician, episode):
    with pytest.raises(ValidationError, match="does not track progress reports"):
        services.progress_report_record(actor=clinician, assessment=_reassessment(episode), **REPORT)


def test_refused_on_the_first_assessment(reports_on, clinician):
    first = AssessmentFactory(episode=_episode(reports_on, clinician))
    with pytest.raises(ValidationError, match="not with the episode's first assessment"):
        services.progress_report_record(actor=clinician, assessment=first, **REPORT)


def test_refused_on_an_unfinished_reassessment(reports_on, clinician):
    episode = _episode(reports_on, clinician)
    AssessmentFactory(episode=episode)
    draft = AssessmentFactory(episode=episode, kind=AssessmentKind.REASSESSMENT, complete=False)
    with pytest.raises(ValidationError, match="Complete the re-assessment"):
        services.progress_report_record(actor=clinician, assessment=draft, **REPORT)


def test_refused_twice_and_without_its_content(reports_on, clinician):
    reassessment = _reassessment(_episode(reports_on, clinician))
    with pytest.raises(ValidationError):
        services.progress_report_record(actor=clinician, assessment=reassessment, **(REPORT | {"plans": " "}))
    services.progress_report_record(actor=clinician, assessment=reassessment, **REPORT)
    with pytest.raises(ValidationError, match="already recorded"):
        services.progress_report_record(actor=clinician, assessment=reassessment, **REPORT)
    assert ProgressReport.objects.count() == 1


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_only_clinicians_record(reports_on, clinician, role):
    reassessment = _reassessment(_episode(reports_on, clinician))
    with pytest.raises(PermissionDenied):
        services.progress_report_record(
            actor=UserFactory(clinic=reports_on, roles=[role]), assessment=reassessment, **REPORT
        )


def test_the_database_refuses_a_report_without_goal_progress(reports_on, clinician):
    reassessment = _reassessment(_episode(reports_on, clinician))
    with pytest.raises(IntegrityError):
        ProgressReport.objects.create(
            episode=reassessment.episode,
            assessment=reassessment,
            reported_on=reassessment.assessed_on,
            goal_progress="",
            plans="x",
            author=clinician,
        )


def test_the_reassessment_flow_records_it(client, reports_on, clinician):
    episode = _episode(reports_on, clinician)
    baseline = AssessmentFactory(episode=episode)
    SignedPlanFactory(assessment=baseline)
    reassessment = AssessmentFactory(episode=episode, kind=AssessmentKind.REASSESSMENT)
    client.force_login(clinician, backend=STAFF_BACKEND)

    page = client.get(f"/assessments/{reassessment.pk}/").content.decode()
    assert f"/assessments/{reassessment.pk}/progress-report/" in page
    assert "progress-report-h" not in client.get(f"/assessments/{baseline.pk}/").content.decode()

    form = client.get(f"/assessments/{reassessment.pk}/progress-report/")
    assert form.status_code == 200
    goals = selectors.report_goals(reassessment)
    assert goals
    assert f"{goals[0]}: " in form.content.decode()

    refused = client.post(f"/assessments/{reassessment.pk}/progress-report/", {"goal_progress": "", "plans": ""})
    assert refused.status_code == 400
    assert not ProgressReport.objects.exists()

    done = client.post(f"/assessments/{reassessment.pk}/progress-report/", REPORT)
    assert done.status_code == 302
    page = client.get(f"/assessments/{reassessment.pk}/").content.decode()
    assert "Pain-free 5 km: met" in page
    assert f"/assessments/{reassessment.pk}/progress-report/" not in page


def test_the_form_is_for_clinicians_of_the_clinic(client, reports_on, clinician, front_desk, other_clinic):
    reassessment = _reassessment(_episode(reports_on, clinician))
    url = f"/assessments/{reassessment.pk}/progress-report/"
    client.force_login(front_desk, backend=STAFF_BACKEND)
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN]), backend=STAFF_BACKEND)
    assert client.post(url, REPORT).status_code == 404
    assert not ProgressReport.objects.exists()


def test_the_settings_page_explains_the_rule_without_internal_codes(client, clinic_admin):
    client.force_login(clinic_admin, backend=STAFF_BACKEND)
    html = client.get("/settings/").content.decode()
    assert 'name="progress_reports"' in html
    assert 'name="progress_report_treatment_days"' in html
    assert "US Medicare Part B" in html
    assert "B12" not in html
    assert "S215" not in html


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_the_dashboard_queries_do_not_grow_with_episodes(client, reports_on, clinician):
    _treated(_episode(reports_on, clinician), range(1, 12))
    client.force_login(clinician, backend=STAFF_BACKEND)
    client.get("/")  # the first page of a session also saves the session
    few = _queries(client)
    for _ in range(4):
        _treated(_episode(reports_on, clinician), range(1, 12))

    assert "Progress reports due (5)" in client.get("/").content.decode()
    assert _queries(client) == few
