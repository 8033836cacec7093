"""Re-certification of the plan of care (US Medicare Part B, with the clinic's progress-report switch): the
dashboard lists the episodes whose certified period ends within a week or has ended, and the clinician records
the re-certification the physician or non-physician practitioner gave, which starts the period again."""

from __future__ import annotations

import datetime
import itertools
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic import services as clinic_services
from clinic import thresholds
from clinic.models import AuditEvent
from clinic.permissions import Role
from clinic.scheduling.models import AppointmentStatus
from notes import reports, selectors, services
from notes.models import PlanCertification
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory, UserFactory

STAFF_BACKEND = "clinic.backends.StaffBackend"
CERTIFIER = "Dr Okafor, MD"


@pytest.fixture
def reports_on(clinic, clinic_admin):
    clinic_services.clinic_update(actor=clinic_admin, clinic=clinic, progress_reports=True)
    clinic.refresh_from_db()
    return clinic


_SLOTS = itertools.count()


def _today(clinic) -> datetime.date:
    return timezone.localdate(timezone=clinic.zone)


def _treated(episode, days_ago):
    """Completed visits of ``episode``, one on each of ``days_ago`` (the clinic's days), each in a slot of its
    own so that no two visits of the clinician overlap."""
    zone = episode.patient.clinic.zone
    today = _today(episode.patient.clinic)
    for days in days_ago:
        midnight = datetime.datetime.combine(today - datetime.timedelta(days=days), datetime.time(), tzinfo=zone)
        starts = midnight + datetime.timedelta(minutes=6 * next(_SLOTS) % (20 * 60))
        AppointmentFactory(
            episode=episode,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(minutes=5),
            status=AppointmentStatus.COMPLETED,
        )


def _episode(clinic, clinician, name="Mossfern", first_treatment_days_ago=None):
    episode = EpisodeFactory(patient=PatientFactory(clinic=clinic, last_name=name), lead_clinician=clinician)
    if first_treatment_days_ago is not None:
        _treated(episode, [first_treatment_days_ago, 2])
    return episode


def _section(html):
    if 'id="my-recertifications"' not in html:
        return None
    return html.split('id="my-recertifications"', 1)[1].split("</section>", 1)[0]


def _dashboard(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client.get("/").content.decode()


def _url(episode):
    return f"/episodes/{episode.pk}/plan-certification/"


def test_nothing_is_shown_while_the_clinic_does_not_track_them(client, clinic, clinician):
    assert clinic.progress_reports is False
    assert thresholds.for_clinic(clinic)["plan_certification_days"] == 90
    _episode(clinic, clinician, first_treatment_days_ago=120)
    html = _dashboard(client, clinician)
    assert _section(html) is None
    assert "Re-certification" not in html


def test_the_dashboard_lists_due_and_overdue_episodes(client, reports_on, clinician):
    # Day one is the first treatment: 86 days ago makes today day 87 of 90, the last day in three days.
    due = _episode(reports_on, clinician, name="Duefern", first_treatment_days_ago=86)
    overdue = _episode(reports_on, clinician, name="Overfern", first_treatment_days_ago=100)
    _episode(reports_on, clinician, name="Zebraquail", first_treatment_days_ago=80)  # ends in 9 days
    _episode(reports_on, clinician, name="Zebraquailnew")  # no completed visit: no treatment yet

    section = _section(_dashboard(client, clinician))

    assert "Re-certifications due (2)" in section
    assert re.findall(r'href="/episodes/(\d+)/"', section) == [str(overdue.pk), str(due.pk)]
    today = _today(reports_on)
    overdue_end = (today - datetime.timedelta(days=11)).strftime("%-d %b %Y")
    due_end = (today + datetime.timedelta(days=3)).strftime("%-d %b %Y")
    assert f"certified until {overdue_end}, overdue" in section
    assert f"certified until {due_end}, due" in section
    assert f'href="{_url(due)}"' in section
    assert "Record the re-certification" in section
    assert "US Medicare Part B" in section
    assert "Zebraquail" not in section


def test_only_my_open_episodes_of_my_clinic(client, reports_on, other_clinic, clinician):
    colleague = UserFactory(clinic=reports_on, roles=[Role.CLINICIAN])
    _episode(reports_on, colleague, name="Zebraquail", first_treatment_days_ago=100)
    other_clinic.progress_reports = True
    other_clinic.save()
    foreign_clinician = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    _episode(other_clinic, foreign_clinician, name="Zebraquailor", first_treatment_days_ago=100)
    closed = _episode(reports_on, clinician, name="Zebraquailclosed", first_treatment_days_ago=100)
    type(closed).objects.filter(pk=closed.pk).update(status="discharged", closed_on=_today(reports_on))

    section = _section(_dashboard(client, clinician))

    assert "Re-certifications due (0)" in section
    assert "No plan of care of yours is due a re-certification." in section
    assert "Zebraquail" not in section


def test_the_period_is_the_clinics_setting(client, reports_on, clinician, clinic_admin):
    _episode(reports_on, clinician, first_treatment_days_ago=40)
    assert "Re-certifications due (0)" in _section(_dashboard(client, clinician))

    clinic_services.thresholds_update(actor=clinic_admin, clinic=reports_on, values={"plan_certification_days": 45})

    section = _section(_dashboard(client, clinician))
    assert "Re-certifications due (1)" in section
    assert "at most 45 calendar days" in section


def test_the_form_records_it_and_starts_the_period_again(client, reports_on, clinician):
    episode = _episode(reports_on, clinician, first_treatment_days_ago=95)
    client.force_login(clinician, backend=STAFF_BACKEND)
    page = client.get(_url(episode))
    assert page.status_code == 200
    assert 'name="certified_on"' in page.content.decode()
    assert 'name="certified_by"' in page.content.decode()

    today = _today(reports_on)
    done = client.post(_url(episode), {"certified_on": today.isoformat(), "certified_by": f"  {CERTIFIER} "})

    assert done.status_code == 302
    certification = PlanCertification.objects.get()
    assert (certification.episode, certification.certified_on) == (episode, today)
    assert (certification.certified_by, certification.recorded_by) == (CERTIFIER, clinician)
    assert AuditEvent.objects.filter(
        action="plan_certification.recorded", object_id=str(certification.pk), patient_id=episode.patient_id
    ).exists()
    assert "Re-certifications due (0)" in _section(_dashboard(client, clinician))
    # The new period: day one is today, its last day 89 days on.
    assert (
        selectors.recertifications_due(user=clinician, period_days=90, today=today + datetime.timedelta(days=81)) == []
    )
    assert [
        due.status
        for due in selectors.recertifications_due(
            user=clinician, period_days=90, today=today + datetime.timedelta(days=82)
        )
    ] == ["due"]
    assert selectors.recertifications_due(
        user=clinician, period_days=90, today=today + datetime.timedelta(days=90)
    ) == [selectors.RecertificationDue(episode=episode, ends=today + datetime.timedelta(days=89), status="overdue")]
    assert f"{today:%-d %b %Y}, by {CERTIFIER}" in client.get(_url(episode)).content.decode()


@pytest.mark.parametrize(
    "fields",
    [
        {"certified_on": "", "certified_by": CERTIFIER},
        {"certified_on": "2026-13-45", "certified_by": CERTIFIER},
        {"certified_on": "not a date", "certified_by": CERTIFIER},
        {"certified_on": "9999-12-31", "certified_by": CERTIFIER},
        {"certified_on": "TOMORROW", "certified_by": CERTIFIER},
        {"certified_on": "TODAY", "certified_by": ""},
        {"certified_on": "TODAY", "certified_by": "   "},
        {"certified_on": "TODAY", "certified_by": "Dr\x00Okafor"},
        {"certified_on": "TODAY", "certified_by": "x" * 201},
        {"certified_on": ["2026-01-01", "2026-01-02"]},
    ],
)
def test_bad_input_is_refused_with_the_form(client, reports_on, clinician, fields):
    episode = _episode(reports_on, clinician, first_treatment_days_ago=95)
    today = _today(reports_on)
    days = {"TODAY": today, "TOMORROW": today + datetime.timedelta(days=1)}
    data = {
        name: days[value].isoformat() if value in ("TODAY", "TOMORROW") else value for name, value in fields.items()
    }
    client.force_login(clinician, backend=STAFF_BACKEND)

    response = client.post(_url(episode), data)

    assert response.status_code == 400
    assert not PlanCertification.objects.exists()
    if fields.get("certified_on") == "TOMORROW":
        assert "cannot be dated after today" in response.content.decode()


def test_another_clinics_episode_is_not_found(client, reports_on, other_clinic, clinician):
    other_clinic.progress_reports = True
    other_clinic.save()
    foreign = _episode(other_clinic, UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN]), "Zebraquail", 100)
    client.force_login(clinician, backend=STAFF_BACKEND)
    assert client.get(_url(foreign)).status_code == 404
    response = client.post(_url(foreign), {"certified_on": _today(other_clinic).isoformat(), "certified_by": "X"})
    assert response.status_code == 404
    assert "Zebraquail" not in response.content.decode()
    assert not PlanCertification.objects.exists()


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_only_clinicians_record_it(client, reports_on, clinician, role):
    episode = _episode(reports_on, clinician, first_treatment_days_ago=100)
    other = UserFactory(clinic=reports_on, roles=[role])
    client.force_login(other, backend=STAFF_BACKEND)
    assert client.get(_url(episode)).status_code == 403
    data = {"certified_on": _today(reports_on).isoformat(), "certified_by": CERTIFIER}
    assert client.post(_url(episode), data).status_code == 403
    with pytest.raises(PermissionDenied):
        services.plan_certification_record(
            actor=other, episode=episode, certified_on=_today(reports_on), certified_by=CERTIFIER
        )
    assert not PlanCertification.objects.exists()


def test_refused_while_the_clinic_does_not_track_them(client, clinic, clinician, episode):
    client.force_login(clinician, backend=STAFF_BACKEND)
    assert client.get(_url(episode)).status_code == 404
    with pytest.raises(ValidationError, match="does not track progress reports"):
        services.plan_certification_record(
            actor=clinician, episode=episode, certified_on=_today(clinic), certified_by=CERTIFIER
        )
    assert not PlanCertification.objects.exists()


def test_the_service_refuses_a_future_day(reports_on, clinician):
    episode = _episode(reports_on, clinician)
    tomorrow = _today(reports_on) + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        services.plan_certification_record(actor=clinician, episode=episode, certified_on=tomorrow, certified_by="X")
    assert "certified_on" in refused.value.message_dict


def test_the_database_refuses_a_certification_without_its_certifier(reports_on, clinician):
    episode = _episode(reports_on, clinician)
    with pytest.raises(IntegrityError):
        PlanCertification.objects.create(
            episode=episode, certified_on=_today(reports_on), certified_by="", recorded_by=clinician
        )


def test_the_settings_page_explains_the_period_without_internal_codes(client, clinic_admin):
    client.force_login(clinic_admin, backend=STAFF_BACKEND)
    html = client.get("/settings/").content.decode()
    assert 'name="plan_certification_days"' in html
    assert "Plan of care: certified for at most (calendar days)" in html
    assert "Source: Medicare Benefit Policy Manual ch. 15 §220.1.3. The US Medicare Part B rule" in html
    # The switch says what else it turns on.
    assert "It also lists plans of care due a re-certification" in html
    assert "S216" not in html
    assert "B12" not in html


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_the_dashboard_queries_do_not_grow_with_episodes(client, reports_on, clinician):
    # Ten completed visits from the start, so that the list of visits without a signed note counts its rows
    # in both measures.
    for days in range(5):
        _episode(reports_on, clinician, first_treatment_days_ago=90 + days)
    client.force_login(clinician, backend=STAFF_BACKEND)
    client.get("/")  # the first page of a session also saves the session
    few = _queries(client)
    for days in range(5):
        _episode(reports_on, clinician, first_treatment_days_ago=100 + days)

    assert "Re-certifications due (10)" in client.get("/").content.decode()
    assert _queries(client) == few


def test_the_warning_window_is_stated_as_shown(client, reports_on, clinician):
    assert reports.RECERTIFICATION_WARNING_DAYS == 7
    assert "from a week before the period ends" in _section(_dashboard(client, clinician))
