"""The audit trail: every read and write of PHI leaves one append-only row naming who, what and
from where, with the names of changed fields and never their values."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from clinic import audit
from clinic.models import AuditEvent, EpisodeOfCare, Patient, User
from clinic.permissions import Role
from clinic.services import PATIENT_FIELDS
from tests.factories import PatientFactory, UserFactory

STAFF_BACKEND = "clinic.backends.StaffBackend"
SECRET = "Quillfeather"  # a value written in a test: it must never reach an audit row


@pytest.fixture
def actors(clinic, clinician, front_desk):
    return {
        "clinician": clinician,
        "front_desk": front_desk,
        "clinic_admin": UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN], is_staff=True),
    }


def _login(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client


def _row(event: AuditEvent) -> dict:
    return AuditEvent.objects.filter(pk=event.pk).values().get()


# --- Reads --------------------------------------------------------------------------------

# (actor, path, action, object type, object: "patient" or "episode")
READS = [
    ("clinician", "/patients/{patient}/", "patient.viewed", "clinic.patient", "patient"),
    ("front_desk", "/patients/{patient}/", "patient.viewed", "clinic.patient", "patient"),
    ("clinic_admin", "/patients/{patient}/", "patient.viewed", "clinic.patient", "patient"),
    ("clinician", "/episodes/{episode}/", "episode.viewed", "clinic.episodeofcare", "episode"),
    ("front_desk", "/episodes/{episode}/", "episode.viewed", "clinic.episodeofcare", "episode"),
    ("clinician", "/api/patients/{patient}/", "patient.viewed", "clinic.patient", "patient"),
    ("front_desk", "/api/episodes/{episode}/", "episode.viewed", "clinic.episodeofcare", "episode"),
    ("clinic_admin", "/admin/clinic/patient/{patient}/change/", "patient.viewed", "clinic.patient", "patient"),
]


@pytest.mark.parametrize(("who", "path", "action", "object_type", "target"), READS)
def test_reads_are_audited(client, actors, clinic, patient, episode, who, path, action, object_type, target):
    actor = actors[who]
    response = _login(client, actor).get(path.format(patient=patient.pk, episode=episode.pk))
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    obj = {"patient": patient, "episode": episode}[target]
    assert _row(event) | {"id": None, "at": None} == {
        "id": None,
        "at": None,
        "actor_id": actor.pk,
        "clinic_id": clinic.pk,
        "action": action,
        "object_type": object_type,
        "object_id": obj.pk,
        "patient_id": patient.pk,
        "ip_address": "127.0.0.1",
        "changed_fields": [],
        "role_change": None,
    }


def test_ip_address_is_the_clients(client, clinician, patient):
    _login(client, clinician).get(f"/patients/{patient.pk}/", REMOTE_ADDR="203.0.113.9")
    assert AuditEvent.objects.get().ip_address == "203.0.113.9"


def test_each_read_writes_its_own_row(client, clinician, patient):
    client = _login(client, clinician)
    for _ in range(3):
        client.get(f"/patients/{patient.pk}/")
    assert AuditEvent.objects.filter(action="patient.viewed", patient_id=patient.pk).count() == 3


@pytest.mark.parametrize("path", ["/patients/{patient}/", "/api/patients/{patient}/", "/episodes/{episode}/"])
def test_refused_reads_are_not_recorded_as_views(client, clinician, foreign_patient, foreign_episode, path):
    response = _login(client, clinician).get(path.format(patient=foreign_patient.pk, episode=foreign_episode.pk))
    assert response.status_code == 404
    assert not AuditEvent.objects.exists()


# --- Writes -------------------------------------------------------------------------------

NEW_PATIENT = {
    "first_name": "Ada",
    "last_name": SECRET,
    "date_of_birth": "1985-04-12",
    "sex": "female",
    "email": "ada.q@example.test",
    "mobile_phone": "+13125550199",
    "preferred_contact_channel": "email",
}
PATIENT_FORM, PATIENT_JSON = {**NEW_PATIENT, "contact_consent": "on"}, {**NEW_PATIENT, "contact_consent": True}
PATIENT_PATCH = {"last_name": SECRET, "email": f"{SECRET}@example.test"}
EPISODE_FORM = {"presenting_complaint": SECRET, "lead_clinician": "{lead}", "opened_on": "2024-05-01"}
EPISODE_JSON = {"patient": "{patient}", "presenting_complaint": SECRET, "lead_clinician": "{lead}"}
OPENED, ALL = ["lead_clinician", "opened_on", "presenting_complaint"], sorted(PATIENT_FIELDS)
# (label, actor, "METHOD path" (API paths send JSON), body, action, audited object, changed_fields)
WRITES = [
    ("html patient create", "front_desk", "POST /patients/new/", PATIENT_FORM, "patient.created", "new patient", ALL),
    ("api patient create", "clinician", "POST /api/patients/", PATIENT_JSON, "patient.created", "new patient", ALL),
    ("html patient update", "front_desk", "POST /patients/{patient}/edit/", "edit form", "patient.updated", "patient",
     ["last_name"]),
    ("api patient update", "clinician", "PATCH /api/patients/{patient}/", PATIENT_PATCH, "patient.updated", "patient",
     ["email", "last_name"]),
    ("html episode open", "front_desk", "POST /patients/{patient}/episodes/new/", EPISODE_FORM, "episode.opened",
     "new episode", OPENED),
    ("api episode open", "clinician", "POST /api/episodes/", EPISODE_JSON, "episode.opened", "new episode", OPENED),
    ("html episode update", "clinician", "POST /episodes/{episode}/edit/", {**EPISODE_FORM, "status": "open"},
     "episode.updated", "episode", ["presenting_complaint"]),
    ("api episode update", "front_desk", "PATCH /api/episodes/{episode}/", {"presenting_complaint": SECRET},
     "episode.updated", "episode", ["presenting_complaint"]),
]  # fmt: skip


def _edit_form(patient: Patient, **changes) -> dict:
    data = {name: getattr(patient, name) for name in PATIENT_FIELDS}
    data |= {"date_of_birth": patient.date_of_birth.isoformat(), "mobile_phone": str(patient.mobile_phone)}
    data["contact_consent"] = "on" if patient.contact_consent else ""
    return data | changes


@pytest.mark.parametrize(
    ("who", "call", "body", "action", "target", "changed"), [pytest.param(*row[1:], id=row[0]) for row in WRITES]
)
def test_writes_are_audited_with_field_names_only(
    client, actors, clinic, clinician, patient, episode, who, call, body, action, target, changed
):
    EpisodeOfCare.objects.filter(pk=episode.pk).update(opened_on="2024-05-01")
    ids = {"patient": patient.pk, "episode": episode.pk, "lead": clinician.pk}
    body = _edit_form(patient, last_name=SECRET) if body == "edit form" else body
    body = {key: int(value.format(**ids)) if str(value).startswith("{") else value for key, value in body.items()}
    method, path = call.split(" ")
    kwargs = {"content_type": "application/json"} if path.startswith("/api/") else {}
    response = getattr(_login(client, actors[who]), method.lower())(path.format(**ids), body, **kwargs)
    assert response.status_code in (200, 201, 302), response.content[:500]

    event = AuditEvent.objects.get()
    obj = {
        "new patient": lambda: Patient.objects.latest("pk"),
        "patient": lambda: patient,
        "new episode": lambda: EpisodeOfCare.objects.latest("pk"),
        "episode": lambda: episode,
    }[target]()
    expected_patient = obj if isinstance(obj, Patient) else obj.patient
    if target.startswith("new"):
        # Model equality compares type and pk: a new episode's pk may equal the patient's.
        assert obj not in (patient, episode)
    row = _row(event)
    assert row["actor_id"] == actors[who].pk
    assert row["clinic_id"] == clinic.pk
    assert row["action"] == action
    assert row["object_type"] == obj._meta.label_lower
    assert row["object_id"] == obj.pk
    assert row["patient_id"] == expected_patient.pk
    assert row["ip_address"] == "127.0.0.1"
    assert row["changed_fields"] == changed
    # Names only: the written value appears nowhere in the row.
    assert SECRET.lower() not in str(row).lower()


def test_staff_creation_is_audited(client, actors, clinic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _login(client, actors["clinic_admin"]).post(
            "/staff/new/", {"email": "new.colleague@example.test", "full_name": SECRET, "roles": "Front desk"}
        )
    assert response.status_code == 302
    created = User.objects.get(email="new.colleague@example.test")
    row = _row(AuditEvent.objects.get())
    assert row["action"] == "staff.created"
    assert row["object_type"] == "clinic.user"
    assert (row["object_id"], row["patient_id"], row["clinic_id"]) == (created.pk, None, clinic.pk)
    assert (row["actor_id"], row["ip_address"]) == (actors["clinic_admin"].pk, "127.0.0.1")
    assert row["changed_fields"] == ["email", "full_name", "roles"]
    assert SECRET not in str(row)
    assert "new.colleague" not in str(row)


def test_saving_an_unchanged_form_records_no_update(client, front_desk, patient):
    response = _login(client, front_desk).post(f"/patients/{patient.pk}/edit/", _edit_form(patient))
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="patient.updated").exists()


# --- The audit trail page -----------------------------------------------------------------


def test_audit_trail_page_shows_the_patients_events_to_clinic_admin(client, actors, clinician, patient, episode):
    other = PatientFactory(clinic=patient.clinic)
    viewer = _login(client.__class__(), clinician)
    viewer.get(f"/patients/{patient.pk}/")
    viewer.get(f"/episodes/{episode.pk}/")
    viewer.get(f"/patients/{other.pk}/")

    response = _login(client, actors["clinic_admin"]).get(f"/patients/{patient.pk}/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "patient.viewed" in html
    assert "episode.viewed" in html
    assert f"clinic.patient #{patient.pk}" in html
    assert f"clinic.episodeofcare #{episode.pk}" in html
    assert clinician.full_name in html
    assert "127.0.0.1" in html
    assert f"clinic.patient #{other.pk}" not in html


@pytest.mark.parametrize("who", ["clinician", "front_desk"])
def test_audit_trail_is_forbidden_to_other_roles(client, actors, patient, who):
    audit.record(actor=actors["clinician"], action="patient.viewed", obj=patient)
    response = _login(client, actors[who]).get(f"/patients/{patient.pk}/audit/")
    assert response.status_code == 403
    assert "patient.viewed" not in response.content.decode()


def test_audit_trail_of_another_clinics_patient_is_not_found(client, actors, foreign_patient):
    assert _login(client, actors["clinic_admin"]).get(f"/patients/{foreign_patient.pk}/audit/").status_code == 404


# --- Append-only --------------------------------------------------------------------------


@pytest.fixture
def event(clinician, patient):
    return audit.record(actor=clinician, action="patient.viewed", obj=patient)


def test_saving_an_existing_event_raises(event):
    event.action = "patient.forgotten"
    with pytest.raises(PermissionError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "patient.viewed"


def test_deleting_an_event_raises(event):
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda rows: rows.update(action="patient.forgotten"),
        lambda rows: rows.delete(),
        lambda rows: rows.filter(action="patient.viewed").update(ip_address=None),
        lambda rows: rows.filter(action="patient.viewed").delete(),
    ],
    ids=["update", "delete", "filtered update", "filtered delete"],
)
def test_queryset_update_and_delete_raise(event, change):
    with pytest.raises(PermissionError):
        change(AuditEvent.objects.all())
    assert AuditEvent.objects.filter(pk=event.pk, action="patient.viewed", ip_address=None).count() == 1


def test_database_refuses_raw_update(event):
    table = AuditEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET action = %s WHERE id = %s", ["patient.forgotten", event.pk])  # noqa: S608
    assert AuditEvent.objects.get(pk=event.pk).action == "patient.viewed"


# --- What a clinic admin reads of the trail: no clinical detail ---------------------------------

# (action, object type, changed fields) -> (what, record, fields changed) as the admin sees them.
DESCRIBED = [
    # Demographics, episodes, scheduling, invitations: in full.
    (
        ("patient.updated", "clinic.patient", ["email", "last_name"]),
        ("patient.updated", "clinic.patient #7", ("email", "last_name")),
    ),
    (("episode.viewed", "clinic.episodeofcare", []), ("episode.viewed", "clinic.episodeofcare #7", ())),
    (
        ("appointment.rescheduled", "scheduling.appointment", ["starts_at"]),
        ("appointment.rescheduled", "scheduling.appointment #7", ("starts_at",)),
    ),
    (
        ("intake.invitation_sent", "intake.intakeinvitation", []),
        ("intake.invitation_sent", "intake.intakeinvitation #7", ()),
    ),
    (("schedule.day_viewed", "clinic.patient", []), ("schedule.day_viewed", "clinic.patient #7", ())),
    # The clinical record: read or written, and which part of the chart, nothing more.
    (("red_flag.raised", "intake.redflag", []), ("Clinical record written", "Intake #7", ())),
    (
        ("intake.step_saved.complaint", "intake.intake", ["onset_story", "regions"]),
        ("Clinical record written", "Intake #7", ()),
    ),
    (("intake.opened_by_patient", "intake.intake", []), ("Clinical record read", "Intake #7", ())),
    (("finding.viewed", "assessments.finding", []), ("Clinical record read", "Assessment #7", ())),
    (("finding.dismissed", "assessments.finding", []), ("Clinical record written", "Assessment #7", ())),
    (("plan.item_changed", "plans.planitem", ["sets"]), ("Clinical record written", "Treatment plan #7", ())),
    (("handout.sent", "plans.handout", []), ("Clinical record written", "Treatment plan #7", ())),
    (
        ("portal.check_in_created", "portal.homeprogramcheckin", ["done_items", "pain"]),
        ("Clinical record written", "Treatment plan #7", ()),
    ),
    # Clinical reads recorded against the patient or the episode.
    (("finding.listed", "clinic.patient", []), ("Clinical record read", "clinic.patient #7", ())),
    (("red_flag.alerts_viewed", "clinic.patient", []), ("Clinical record read", "clinic.patient #7", ())),
    (("progress.viewed", "clinic.episodeofcare", []), ("Clinical record read", "clinic.episodeofcare #7", ())),
]


@pytest.mark.parametrize(("row", "expected"), DESCRIBED, ids=[row[0][0] for row in DESCRIBED])
def test_what_a_clinic_admin_reads_of_a_row(row, expected):
    action, object_type, changed = row
    line = audit.describe(AuditEvent(action=action, object_type=object_type, object_id=7, changed_fields=changed))
    assert (line.what, line.record, line.changed_fields) == expected


CLINICAL_DETAIL = ["red_flag", "step_saved", "onset_story", "finding", "Night pain", "intakes.redflag", "redflag"]


@pytest.fixture
def clinical_trail(actors, patient, episode):
    from intake.models import Intake, RedFlag

    intake = Intake.objects.create(episode=episode)
    flag = RedFlag.objects.create(episode=episode, intake=intake, code="night_pain", tier="caution", label="Night pain")
    audit.record(actor=None, action="intake.step_saved.complaint", obj=intake, changed_fields=["onset_story"])
    audit.record(actor=None, action="red_flag.raised", obj=flag)
    audit.record(actor=actors["clinician"], action="patient.updated", obj=patient, changed_fields=["last_name"])
    return intake, flag


def test_audit_trail_page_shows_the_admin_no_clinical_detail(client, actors, patient, clinical_trail):
    intake, flag = clinical_trail
    response = _login(client, actors["clinic_admin"]).get(f"/patients/{patient.pk}/audit/")
    html = response.content.decode()
    for detail in CLINICAL_DETAIL:
        assert detail not in html
    assert html.count("Clinical record written") == 2
    assert f"Intake #{intake.pk}" in html
    assert f"Intake #{flag.pk}" in html
    # Who changed the demographics, and which fields, stays in full.
    assert "patient.updated" in html
    assert "last_name" in html


def test_django_admin_audit_list_and_row_show_no_clinical_detail(client, actors, patient, clinical_trail):
    admin = _login(client, actors["clinic_admin"])
    listed = admin.get("/admin/clinic/auditevent/").content.decode()
    for detail in CLINICAL_DETAIL:
        assert detail not in listed
    assert "Clinical record written" in listed
    assert "patient.updated" in listed
    flag_row = AuditEvent.objects.get(object_type="intake.redflag")
    shown = admin.get(f"/admin/clinic/auditevent/{flag_row.pk}/change/")
    assert shown.status_code == 200
    for detail in CLINICAL_DETAIL:
        assert detail not in shown.content.decode()
