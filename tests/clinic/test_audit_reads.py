"""Reads of patient data: ``audit.record_shown`` and ``record_read``, written once per response.

Every route is walked in test_audit_coverage.py; here, the mechanism: one row per patient shown,
one INSERT per response whatever the number of rows, nothing for an error page, the API's list
pages and no-op writes, and the Django admin's lists, forms and history.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.http import HttpResponse, HttpResponseServerError
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic import audit
from clinic.middleware import AuditContextMiddleware
from clinic.models import AuditEvent
from clinic.permissions import Role
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory, UserFactory

STAFF_BACKEND = "clinic.backends.StaffBackend"


def _login(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client


def _audit_inserts(queries) -> int:
    return sum(query["sql"].startswith('INSERT INTO "clinic_auditevent"') for query in queries.captured_queries)


def _reads(action: str) -> list[tuple[int | None, int]]:
    return sorted(AuditEvent.objects.filter(action=action).values_list("actor_id", "patient_id"))


# --- The mechanism --------------------------------------------------------------------------------


def test_outside_a_request_the_rows_are_written_at_once_one_per_patient(clinic, clinician):
    patients = PatientFactory.create_batch(3, clinic=clinic)
    with CaptureQueriesContext(connection) as queries:
        audit.record_shown(
            actor=clinician, action=audit.Read.PATIENT_LISTED, patients=[*patients, patients[0].pk, patients[1]]
        )
    assert _audit_inserts(queries) == 1
    rows = AuditEvent.objects.order_by("patient_id").values(
        "actor_id", "clinic_id", "action", "object_type", "object_id", "patient_id"
    )
    assert list(rows) == [
        {
            "actor_id": clinician.pk,
            "clinic_id": clinic.pk,
            "action": "patient.listed",
            "object_type": "clinic.patient",
            "object_id": patient.pk,
            "patient_id": patient.pk,
        }
        for patient in sorted(patients, key=lambda patient: patient.pk)
    ]


def _respond(response: HttpResponse, *, actor, patients, write=None):
    def view(request):
        audit.record_shown(actor=actor, action=audit.Read.PATIENT_LISTED, patients=patients)
        if write is not None:
            audit.record(actor=actor, action="patient.updated", obj=write)
        return response

    return AuditContextMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="198.51.100.4"))


def test_a_response_writes_its_reads_when_made_with_the_clients_address(clinic, clinician):
    patients = PatientFactory.create_batch(2, clinic=clinic)
    with CaptureQueriesContext(connection) as queries:
        _respond(HttpResponse("ok"), actor=clinician, patients=patients)
    assert _audit_inserts(queries) == 1
    assert set(AuditEvent.objects.values_list("patient_id", "ip_address")) == {
        (patient.pk, "198.51.100.4") for patient in patients
    }


def test_an_error_page_records_no_read(clinic, clinician):
    _respond(HttpResponseServerError("failed"), actor=clinician, patients=[PatientFactory(clinic=clinic)])
    assert not AuditEvent.objects.exists()


def test_a_patient_the_response_wrote_about_needs_no_read_row(clinic, clinician):
    written, only_shown = PatientFactory.create_batch(2, clinic=clinic)
    _respond(HttpResponse("ok"), actor=clinician, patients=[written, only_shown], write=written)
    assert sorted(AuditEvent.objects.values_list("action", "patient_id")) == sorted(
        [("patient.updated", written.pk), ("patient.listed", only_shown.pk)]
    )


# --- Pages ----------------------------------------------------------------------------------------


def test_patient_list_records_the_patients_on_its_page_and_search_the_matches(client, clinic, front_desk):
    for number in range(30):
        PatientFactory(clinic=clinic, last_name=f"Okafor{number:02d}" if number < 3 else f"Smith{number:02d}")
    client = _login(client, front_desk)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("patient_list")).status_code == 200
    assert _audit_inserts(queries) == 1
    assert len(_reads("patient.listed")) == 25  # the first page
    client.post(reverse("patient_list"), {"q": "Okafor"})
    matches = {patient.pk for patient in clinic.patients.filter(last_name__startswith="Okafor")}
    assert {patient for _, patient in _reads("patient.searched")} == matches


def test_day_view_of_many_visits_records_each_patient_once_in_one_insert(client, clinic, clinician, front_desk):
    day = timezone.localdate(timezone=clinic.zone) + datetime.timedelta(days=1)
    start = datetime.datetime.combine(day, datetime.time(7), tzinfo=clinic.zone)
    patients = PatientFactory.create_batch(40, clinic=clinic)
    for number in range(80):
        # Two visits for each patient, five minutes each, one after another.
        begin = start + datetime.timedelta(minutes=5 * number)
        AppointmentFactory(
            episode=EpisodeFactory(patient=patients[number % 40], lead_clinician=clinician),
            clinician=clinician,
            starts_at=begin,
            ends_at=begin + datetime.timedelta(minutes=5),
        )
    client = _login(client, front_desk)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{reverse('schedule_day')}?day={day:%Y-%m-%d}").status_code == 200
    assert _audit_inserts(queries) == 1
    assert _reads("schedule.day_viewed") == sorted((front_desk.pk, patient.pk) for patient in patients)


def test_dashboard_panels_record_their_patients_under_their_own_action(client, clinic, clinician):
    from intake.models import Intake, RedFlag

    episode = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    intake = Intake.objects.create(episode=episode)
    RedFlag.objects.create(episode=episode, intake=intake, code="night_pain", tier="caution", label="Night pain")
    quiet = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)  # open, no next visit
    with CaptureQueriesContext(connection) as queries:
        assert _login(client, clinician).get(reverse("dashboard")).status_code == 200
    assert _audit_inserts(queries) == 1
    assert _reads("red_flag.alerts_viewed") == [(clinician.pk, episode.patient_id)]
    assert _reads("dashboard.viewed") == sorted([(clinician.pk, episode.patient_id), (clinician.pk, quiet.patient_id)])


# --- The API --------------------------------------------------------------------------------------


def test_api_list_records_the_page(client, clinic, clinician, episode):
    other = AppointmentFactory(episode=EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician))
    mine = AppointmentFactory(episode=episode, clinician=clinician, starts_at=other.ends_at)
    response = _login(client, clinician).get("/api/appointments/")
    assert response.json()["count"] == 2
    assert _reads("appointment.listed") == sorted(
        [(clinician.pk, mine.episode.patient_id), (clinician.pk, other.episode.patient_id)]
    )


def test_api_patch_that_changes_nothing_records_a_read_and_one_that_changes_a_write(client, clinician, patient):
    client = _login(client, clinician)
    unchanged = client.patch(f"/api/patients/{patient.pk}/", {}, content_type="application/json")
    assert unchanged.status_code == 200
    assert unchanged.json()["last_name"] == patient.last_name
    assert list(AuditEvent.objects.values_list("action", "patient_id")) == [("patient.viewed", patient.pk)]
    client.patch(f"/api/patients/{patient.pk}/", {"last_name": "Okafor"}, content_type="application/json")
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "patient.viewed",
        "patient.updated",
    ]


# --- The Django admin -----------------------------------------------------------------------------


@pytest.fixture
def superuser(clinic):
    return UserFactory(clinic=None, is_staff=True, is_superuser=True)


def test_admin_changelists_record_the_patients_listed(client, clinic, superuser, episode):
    visit = AppointmentFactory(episode=episode)
    client = _login(client, superuser)
    for url, action in [
        (reverse("admin:clinic_patient_changelist"), "patient.listed"),
        (reverse("admin:clinic_episodeofcare_changelist"), "episode.listed"),
        (reverse("admin:scheduling_appointment_changelist"), "appointment.listed"),
    ]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert _audit_inserts(queries) == 1
        assert _reads(action) == [(superuser.pk, visit.episode.patient_id)]


def test_admin_history_and_change_pages_record_their_patient(client, clinic, episode):
    admin_user = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN], is_staff=True)
    client = _login(client, admin_user)
    assert client.get(reverse("admin:clinic_episodeofcare_history", args=[episode.pk])).status_code == 200
    assert client.get(reverse("admin:clinic_episodeofcare_change", args=[episode.pk])).status_code == 200
    assert _reads("record_history.viewed") == [(admin_user.pk, episode.patient_id)]
    assert list(AuditEvent.objects.filter(action="episode.viewed").values_list("object_type", "object_id")) == [
        ("clinic.episodeofcare", episode.pk)
    ]


def test_admin_log_names_a_patients_record_by_kind_and_id(client, clinic, patient, superuser):
    data = {
        "first_name": patient.first_name,
        "last_name": "Quillfeather",
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "email": patient.email,
        "mobile_phone": str(patient.mobile_phone or ""),
        "preferred_contact_channel": patient.preferred_contact_channel,
        "contact_consent": "on",
        "clinic": clinic.pk,
    }
    client = _login(client, superuser)
    response = client.post(reverse("admin:clinic_patient_change", args=[patient.pk]), data)
    assert response.status_code == 302, response.content[:2000]
    client.get(response["Location"])  # the change list, where the admin's message is shown
    entry = LogEntry.objects.get()
    assert entry.object_repr == f"Patient #{patient.pk}"
    index = client.get(reverse("admin:index")).content.decode()
    assert f"Patient #{patient.pk}" in index
    assert "Quillfeather" not in index


def test_admin_log_entries_written_before_are_renamed(clinic, patient, episode, superuser):
    import importlib

    from django.apps import apps
    from django.contrib.admin.models import CHANGE
    from django.contrib.contenttypes.models import ContentType

    from clinic.models import Clinic

    def logged(row):
        return LogEntry.objects.create(
            user=superuser,
            content_type=ContentType.objects.get_for_model(row),
            object_id=str(row.pk),
            object_repr=str(row),
            action_flag=CHANGE,
        )

    entries = [logged(patient), logged(episode), logged(clinic)]
    migration = importlib.import_module("clinic.migrations.0013_admin_log_names_no_patient")
    migration.forwards(apps, None)
    assert [LogEntry.objects.get(pk=entry.pk).object_repr for entry in entries] == [
        f"Patient #{patient.pk}",
        f"Episode of care #{episode.pk}",
        Clinic.objects.get(pk=clinic.pk).name,
    ]
