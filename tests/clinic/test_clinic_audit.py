"""The clinic's whole audit trail (Clinic settings → Audit trail): its clinic admins only, filtered
by staff member, patient, action and dates, only the clinic's own rows, and a CSV export that is
streamed, safe to open in a spreadsheet and itself on the trail."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.audit_trail import EXPORTED, neutralise
from clinic.models import AuditEvent
from clinic.permissions import Role
from tests.assessments.helpers import login
from tests.factories import PatientFactory, UserFactory

PAGE = reverse("clinic_audit")
EXPORT = reverse("clinic_audit_export")


def _event(clinic, actor, patient, action="patient.viewed", at=None, **fields) -> AuditEvent:
    return AuditEvent.objects.create(
        clinic=clinic,
        actor=actor,
        action=action,
        object_type="clinic.patient",
        object_id=patient.pk if patient else None,
        patient_id=patient.pk if patient else None,
        at=at or timezone.now(),
        **fields,
    )


def _today(clinic) -> datetime.date:
    return timezone.localdate(timezone.now(), clinic.zone)


def _noon(clinic, day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=clinic.zone)


def _ids(response) -> list[int]:
    return [event.pk for event, _ in response.context["lines"]]


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def world(clinic, other_clinic, clinician, front_desk, patient):
    """Events of our clinic (two staff members, two patients, three days) and of another."""
    today = _today(clinic)
    other_patient = PatientFactory(clinic=clinic, first_name="Robin", last_name="Quarry")
    stranger = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    stranger_patient = PatientFactory(clinic=other_clinic)
    events = {
        "old": _event(clinic, clinician, patient, at=_noon(clinic, today - datetime.timedelta(days=10))),
        "desk": _event(
            clinic,
            front_desk,
            other_patient,
            action="patient.updated",
            at=_noon(clinic, today - datetime.timedelta(days=3)),
            changed_fields=["email"],
        ),
        "recent": _event(clinic, clinician, other_patient, at=_noon(clinic, today - datetime.timedelta(days=1))),
        "foreign": _event(other_clinic, stranger, stranger_patient, at=_noon(clinic, today)),
    }
    return {
        "events": events,
        "patient": patient,
        "other_patient": other_patient,
        "stranger": stranger,
        "stranger_patient": stranger_patient,
        "today": today,
    }


def _mine(world, *names):
    return [world["events"][name].pk for name in names]


# --- Who may see it ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PAGE, EXPORT])
@pytest.mark.parametrize("role", ["clinician", "front_desk"])
def test_only_clinic_admins_see_the_clinic_trail(client, request, url, role):
    login(client, request.getfixturevalue(role))
    assert client.get(url).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(PAGE).status_code == 302


def test_the_settings_page_links_the_trail(client, clinic_admin):
    login(client, clinic_admin)
    assert PAGE in client.get(reverse("clinic_settings")).content.decode()


def test_the_clinic_admin_sees_the_clinics_events_newest_first_and_no_other_clinics(client, clinic_admin, world):
    login(client, clinic_admin)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert _ids(response) == _mine(world, "recent", "desk", "old")
    assert "Robin Quarry" in response.content.decode()


# --- Filters -------------------------------------------------------------------------------------


def test_filter_by_staff_member(client, clinic_admin, front_desk, world):
    login(client, clinic_admin)
    assert _ids(client.get(PAGE, {"staff": front_desk.pk})) == _mine(world, "desk")


def test_filter_by_patient(client, clinic_admin, world):
    login(client, clinic_admin)
    assert _ids(client.get(PAGE, {"patient": world["patient"].pk})) == _mine(world, "old")


def test_filter_by_action(client, clinic_admin, world):
    login(client, clinic_admin)
    response = client.get(PAGE, {"action": "patient.updated"})
    assert _ids(response) == _mine(world, "desk")
    choices = [value for value, _ in response.context["trail"].form.fields["action"].choices]
    assert choices == ["", "patient.updated", "patient.viewed"]


def test_filter_by_dates_in_the_clinic_zone(client, clinic_admin, world):
    login(client, clinic_admin)
    today = world["today"]
    start = (today - datetime.timedelta(days=3)).isoformat()
    assert _ids(client.get(PAGE, {"start": start})) == _mine(world, "recent", "desk")
    assert _ids(client.get(PAGE, {"end": start})) == _mine(world, "desk", "old")
    assert _ids(client.get(PAGE, {"start": start, "end": start})) == _mine(world, "desk")


def test_an_event_just_before_midnight_in_the_clinic_zone_belongs_to_that_day(client, clinic, clinic_admin, patient):
    day = _today(clinic) - datetime.timedelta(days=2)
    late = _event(clinic, clinic_admin, patient, at=datetime.datetime.combine(day, datetime.time(23, 30), clinic.zone))
    login(client, clinic_admin)
    assert late.pk in _ids(client.get(PAGE, {"start": day.isoformat(), "end": day.isoformat()}))
    assert late.pk not in _ids(client.get(PAGE, {"start": (day + datetime.timedelta(days=1)).isoformat()}))


def test_filters_combine(client, clinic_admin, clinician, world):
    login(client, clinic_admin)
    query = {
        "staff": clinician.pk,
        "patient": world["other_patient"].pk,
        "action": "patient.viewed",
        "start": (world["today"] - datetime.timedelta(days=2)).isoformat(),
        "end": world["today"].isoformat(),
    }
    assert _ids(client.get(PAGE, query)) == _mine(world, "recent")
    assert _ids(client.get(PAGE, {**query, "staff": world["events"]["desk"].actor_id})) == []


def test_a_patient_search_goes_by_post_and_offers_the_matches(client, clinic_admin, world):
    login(client, clinic_admin)
    response = client.post(PAGE, {"q": "Quarry"})
    choices = [value for value, _ in response.context["trail"].form.fields["patient"].widget.choices]
    assert choices == ["", world["other_patient"].pk]
    assert AuditEvent.objects.filter(
        action="patient.searched", patient_id=world["other_patient"].pk, actor=clinic_admin
    ).exists()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-02-30"}, "start", "Enter a valid date."),
        ({"start": "1850-01-01"}, "start", "before 1900"),
        ({"end": "2999-01-01"}, "end", "years ahead"),
    ],
)
def test_bad_dates_are_errors_beside_the_field_and_kept(client, clinic_admin, world, query, field, message):
    login(client, clinic_admin)
    response = client.get(PAGE, query)
    assert response.status_code == 200
    assert message in " ".join(response.context["trail"].form.errors[field])
    assert _ids(response) == []
    assert f'value="{query[field]}"' in response.content.decode()


def test_a_start_after_the_end_is_an_error_and_the_chosen_patient_is_kept(client, clinic_admin, world):
    login(client, clinic_admin)
    today, patient = world["today"], world["other_patient"]
    end = (today - datetime.timedelta(days=1)).isoformat()
    response = client.get(PAGE, {"start": today.isoformat(), "end": end, "patient": patient.pk})
    assert f'<option value="{patient.pk}" selected>' in response.content.decode()
    assert response.context["trail"].form.errors["end"] == ["The end date is before the start date."]
    assert 'id="id_end_errors"' in response.content.decode()
    assert _ids(response) == []


# --- Another clinic ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["staff", "patient"])
def test_another_clinics_staff_or_patient_is_a_form_error_never_their_rows(client, clinic_admin, world, field):
    login(client, clinic_admin)
    foreign = {"staff": world["stranger"], "patient": world["stranger_patient"]}[field]
    response = client.get(PAGE, {field: foreign.pk})
    assert response.context["trail"].form.errors[field]
    assert _ids(response) == []
    export = client.get(EXPORT, {field: foreign.pk})
    assert not isinstance(export, StreamingHttpResponse)
    assert str(world["events"]["foreign"].pk) not in b"".join([export.content]).decode().split("#")


def test_the_export_has_only_the_clinics_rows(client, clinic_admin, world):
    login(client, clinic_admin)
    rows = _rows(client.get(EXPORT))
    assert {row[3] for row in rows[1:]} == {str(world["patient"].pk), str(world["other_patient"].pk)}


# --- CSV export ----------------------------------------------------------------------------------


def test_the_export_is_a_streamed_csv_of_the_filtered_rows(client, clinic, clinic_admin, front_desk, world):
    login(client, clinic_admin)
    response = client.get(EXPORT, {"staff": front_desk.pk})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _rows(response)
    assert header == [
        "time",
        "staff member",
        "action",
        "patient id",
        "patient name",
        "object type",
        "object id",
        "changed fields",
    ]
    event, other = world["events"]["desk"], world["other_patient"]
    assert rows == [
        [
            timezone.localtime(event.at, clinic.zone).isoformat(),
            front_desk.full_name,
            "patient.updated",
            str(other.pk),
            "Robin Quarry",
            "clinic.patient",
            str(other.pk),
            "email",
        ]
    ]
    assert rows[0][0].endswith(timezone.localtime(event.at, clinic.zone).strftime("%z")[:3] + ":00")


def test_clinical_rows_are_exported_without_clinical_detail(client, clinic, clinic_admin, clinician, patient):
    AuditEvent.objects.create(
        clinic=clinic,
        actor=clinician,
        action="red_flag.raised",
        object_type="intake.redflag",
        object_id=7,
        patient_id=patient.pk,
        changed_fields=["severity"],
    )
    login(client, clinic_admin)
    row = _rows(client.get(EXPORT))[1]
    assert row[2:] == ["Clinical record written", str(patient.pk), patient.full_name, "Intake", "7", ""]


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Robin", "Robin"),
        (12, "12"),
        (None, ""),
    ],
)
def test_cells_that_look_like_formulas_are_made_text(cell, safe):
    assert neutralise(cell) == safe


def test_a_patient_named_like_a_formula_is_exported_as_text(client, clinic, clinic_admin, clinician):
    sly = PatientFactory(clinic=clinic, first_name="=cmd|' /C calc'!A0", last_name="X")
    _event(clinic, clinician, sly)
    login(client, clinic_admin)
    row = _rows(client.get(EXPORT))[1]
    assert row[4] == "'=cmd|' /C calc'!A0 X"


def test_the_export_is_itself_on_the_trail_with_its_filter_and_no_names(client, clinic, clinic_admin, world, caplog):
    login(client, clinic_admin)
    patient = world["other_patient"]
    start = (world["today"] - datetime.timedelta(days=3)).isoformat()
    with caplog.at_level("INFO", logger="clinic.audit_trail"):
        b"".join(client.get(EXPORT, {"patient": patient.pk, "start": start}).streaming_content)
    export = AuditEvent.objects.get(action=EXPORTED)
    assert (export.actor, export.clinic, export.patient_id) == (clinic_admin, clinic, None)
    assert export.changed_fields == sorted([f"patient={patient.pk}", f"start={start}"])
    assert "Quarry" not in caplog.text
    assert "Robin" not in caplog.text
    assert f"patient={patient.pk}" in caplog.text


# --- Queries -------------------------------------------------------------------------------------


def _count(client, url, query) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
        if isinstance(response, StreamingHttpResponse):
            b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize("url", [PAGE, EXPORT])
def test_queries_do_not_grow_with_the_rows(client, clinic, clinic_admin, clinician, world, url):
    login(client, clinic_admin)
    query = {"staff": clinician.pk, "patient": world["other_patient"].pk}
    few = _count(client, url, query)
    for _ in range(30):
        patient = PatientFactory(clinic=clinic)
        _event(clinic, clinician, patient)
        _event(clinic, clinician, world["other_patient"])
    assert _count(client, url, {}) <= few + 1
    assert _count(client, url, query) <= few
    assert few <= 16


def test_the_page_and_the_export_record_a_read_of_each_patient_they_name(client, clinic_admin, world):
    login(client, clinic_admin)
    named = {world["patient"].pk, world["other_patient"].pk}
    for url in (PAGE, EXPORT):
        before = AuditEvent.objects.filter(action="patient.audit_trail_viewed").count()
        response = client.get(url)
        if isinstance(response, StreamingHttpResponse):
            b"".join(response.streaming_content)
        rows = AuditEvent.objects.filter(action="patient.audit_trail_viewed").order_by("-id")
        assert rows.count() == before + 2
        assert {row.patient_id for row in rows[:2]} == named
        assert {row.actor_id for row in rows[:2]} == {clinic_admin.pk}
