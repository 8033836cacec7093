"""Bad input never causes a 500 and never half-saves: the page comes back with the specific
error next to the field and in the error summary, the posted values kept; the API answers 400
naming the field; no row is written and no audit row is recorded."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils.html import escape

from clinic.models import AuditEvent, EpisodeOfCare, Patient, User
from clinic.permissions import Role
from tests.factories import UserFactory

STAFF_BACKEND = "clinic.backends.StaffBackend"
FUTURE = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
VALID_PATIENT = {
    "first_name": "Ada",
    "last_name": "Lovelace-Runner",
    "date_of_birth": "1985-04-12",
    "sex": "female",
    "email": "ada@example.test",
    "mobile_phone": "+13125550199",
    "preferred_contact_channel": "email",
}
# (case, changes to a valid patient, field, message shown)
PATIENT_CASES = [
    ("future birth date", {"date_of_birth": FUTURE}, "date_of_birth", "The date of birth cannot be in the future."),
    ("born before 1900", {"date_of_birth": "1899-12-31"}, "date_of_birth", "the date of birth is before 1900."),
    ("malformed date", {"date_of_birth": "2024-13-45"}, "date_of_birth", "Enter a valid date."),
    ("malformed phone", {"mobile_phone": "12ab"}, "mobile_phone", "Enter a valid phone number"),
    ("malformed e-mail", {"email": "ada@@example"}, "email", "Enter a valid email address."),
    ("first name too long", {"first_name": "A" * 81}, "first_name", "at most 80 characters (it has 81)"),
    ("e-mail channel, no e-mail", {"email": ""}, "email", "Add an e-mail address"),
    (
        "sms channel, no phone",
        {"preferred_contact_channel": "sms", "mobile_phone": ""},
        "mobile_phone",
        "Add a mobile phone number",
    ),
]


def _login(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client


def _field_errors(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="id_{field}_errors">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def _error_summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return match.group(0) if match else ""


def _assert_form_error(response, field: str, message: str) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(message) in _field_errors(html, field)
    summary = _error_summary(html)
    # The summary links to the field (for a group of radios or checkboxes: to its first choice).
    assert f'href="#id_{field}"' in summary or f'href="#id_{field}_0"' in summary
    assert escape(message) in summary
    return html


@pytest.mark.parametrize(("changes", "field", "message"), [pytest.param(*c[1:], id=c[0]) for c in PATIENT_CASES])
def test_patient_form_rejects_bad_input(client, front_desk, changes, field, message):
    data = {**VALID_PATIENT, "contact_consent": "on", **changes}
    response = _login(client, front_desk).post("/patients/new/", data)
    html = _assert_form_error(response, field, message)
    # What was typed stays in the form.
    assert 'value="Lovelace-Runner"' in html
    if data[field]:
        assert f'value="{escape(data[field])}"' in html
    if data["preferred_contact_channel"] == "sms":
        assert re.search(r'<input type="radio" name="preferred_contact_channel" value="sms"[^>]*checked', html)
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.exists()


def _only_read_of(patient: Patient, action: str) -> bool:
    """A refused form is shown again with the patient's record: a read, and nothing written."""
    return list(AuditEvent.objects.values_list("action", "patient_id")) == [(action, patient.pk)]


@pytest.mark.parametrize(("changes", "field", "message"), [pytest.param(*c[1:], id=c[0]) for c in PATIENT_CASES])
def test_patient_edit_rejects_bad_input_and_keeps_the_record(client, clinician, patient, changes, field, message):
    before = Patient.objects.filter(pk=patient.pk).values().get()
    data = {**VALID_PATIENT, "contact_consent": "on", **changes}
    response = _login(client, clinician).post(f"/patients/{patient.pk}/edit/", data)
    _assert_form_error(response, field, message)
    assert Patient.objects.filter(pk=patient.pk).values().get() == before
    assert _only_read_of(patient, "patient.viewed")


@pytest.mark.parametrize(("changes", "field"), [pytest.param(*c[1:3], id=c[0]) for c in PATIENT_CASES])
def test_api_patient_create_rejects_bad_input(client, clinician, changes, field):
    response = _login(client, clinician).post(
        "/api/patients/", {**VALID_PATIENT, "contact_consent": True, **changes}, content_type="application/json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert field in errors
    assert all(isinstance(text, str) and text for text in errors[field])
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("changes", "field"), [pytest.param(*c[1:3], id=c[0]) for c in PATIENT_CASES])
def test_api_patient_update_rejects_bad_input(client, clinician, patient, changes, field):
    before = Patient.objects.filter(pk=patient.pk).values().get()
    response = _login(client, clinician).patch(f"/api/patients/{patient.pk}/", changes, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert Patient.objects.filter(pk=patient.pk).values().get() == before
    assert not AuditEvent.objects.exists()


# --- Episodes -------------------------------------------------------------------------------


@pytest.fixture
def leads(clinic, other_clinic, front_desk):
    return {
        "clinician of another clinic": UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN]),
        "front-desk user": front_desk,
        "inactive clinician": UserFactory(clinic=clinic, roles=[Role.CLINICIAN], is_active=False),
        "clinic admin": UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN]),
    }


@pytest.mark.parametrize(
    "lead", ["clinician of another clinic", "front-desk user", "inactive clinician", "clinic admin"]
)
def test_episode_form_refuses_a_lead_who_is_not_a_clinician_here(client, clinician, patient, leads, lead):
    data = {"presenting_complaint": "Hip pain", "lead_clinician": leads[lead].pk, "opened_on": "2024-05-01"}
    response = _login(client, clinician).post(f"/patients/{patient.pk}/episodes/new/", data)
    html = _assert_form_error(response, "lead_clinician", "Select a valid choice.")
    assert 'value="Hip pain"' in html
    assert not EpisodeOfCare.objects.exists()
    assert _only_read_of(patient, "patient.viewed")


@pytest.mark.parametrize("lead", ["clinician of another clinic", "front-desk user", "inactive clinician"])
def test_api_episode_refuses_a_lead_who_is_not_a_clinician_here(client, clinician, patient, leads, lead):
    data = {"patient": patient.pk, "presenting_complaint": "Hip pain", "lead_clinician": leads[lead].pk}
    response = _login(client, clinician).post("/api/episodes/", data, content_type="application/json")
    assert response.status_code == 400
    assert "lead_clinician" in response.json()
    assert not EpisodeOfCare.objects.exists()


@pytest.mark.parametrize(
    ("opened_on", "message"),
    [("2024-13-45", "Enter a valid date."), (FUTURE, "The episode cannot open in the future.")],
)
def test_episode_form_refuses_bad_opening_date(client, clinician, patient, opened_on, message):
    data = {"presenting_complaint": "Hip pain", "lead_clinician": clinician.pk, "opened_on": opened_on}
    response = _login(client, clinician).post(f"/patients/{patient.pk}/episodes/new/", data)
    html = _assert_form_error(response, "opened_on", message)
    assert f'value="{opened_on}"' in html
    assert not EpisodeOfCare.objects.exists()


@pytest.fixture
def dated_episode(episode):
    EpisodeOfCare.objects.filter(pk=episode.pk).update(opened_on=datetime.date(2024, 3, 10))
    return EpisodeOfCare.objects.get(pk=episode.pk)


# (case, changes to the edit form, field or None for the form as a whole, message)
EPISODE_EDIT_CASES = [
    ("closes before it opened", {"closed_on": "2024-03-01"}, None, "The episode cannot close before it opened."),
    ("malformed closing date", {"closed_on": "2024-13-45"}, "closed_on", "Enter a valid date."),
    ("malformed opening date", {"opened_on": "2024-13-45"}, "opened_on", "Enter a valid date."),
    ("closes in the future", {"closed_on": FUTURE}, "closed_on", "The closing date cannot be in the future."),
    ("unknown status", {"status": "archived"}, "status", "Select a valid choice."),
]


@pytest.fixture
def closed_episode(dated_episode):
    """Closed before discharge summaries existed: the only kind whose status and date the edit form shows."""
    EpisodeOfCare.objects.filter(pk=dated_episode.pk).update(status="discharged", closed_on=datetime.date(2024, 3, 20))
    return EpisodeOfCare.objects.get(pk=dated_episode.pk)


@pytest.mark.parametrize(("changes", "field", "message"), [pytest.param(*c[1:], id=c[0]) for c in EPISODE_EDIT_CASES])
def test_episode_edit_rejects_bad_input(client, front_desk, clinician, closed_episode, changes, field, message):
    dated_episode = closed_episode
    before = EpisodeOfCare.objects.filter(pk=dated_episode.pk).values().get()
    data = {
        "presenting_complaint": "Hip pain",
        "lead_clinician": clinician.pk,
        "opened_on": "2024-03-10",
        "status": "discharged",
        **changes,
    }
    response = _login(client, front_desk).post(f"/episodes/{dated_episode.pk}/edit/", data)
    assert response.status_code == 200
    html = response.content.decode()
    if field is None:
        assert escape(message) in _error_summary(html)
    else:
        _assert_form_error(response, field, message)
    assert 'value="Hip pain"' in html
    assert EpisodeOfCare.objects.filter(pk=dated_episode.pk).values().get() == before
    assert _only_read_of(dated_episode.patient, "episode.viewed")


def test_episode_edit_refuses_front_desk_as_lead(client, front_desk, dated_episode):
    data = {"presenting_complaint": "Hip", "lead_clinician": front_desk.pk, "opened_on": "2024-03-10", "status": "open"}
    response = _login(client, front_desk).post(f"/episodes/{dated_episode.pk}/edit/", data)
    _assert_form_error(response, "lead_clinician", "Select a valid choice.")
    assert EpisodeOfCare.objects.get(pk=dated_episode.pk).lead_clinician_id != front_desk.pk


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "discharged", "closed_on": "2024-03-01"},
        {"closed_on": "2024-13-45", "status": "discharged"},
        {"opened_on": "2024-13-45"},
        {"status": "archived"},
        {"lead_clinician": 987654},
    ],
    ids=["closes before it opened", "malformed closing date", "malformed opening date", "unknown status", "no lead"],
)
def test_api_episode_update_rejects_bad_input(client, clinician, dated_episode, changes):
    before = EpisodeOfCare.objects.filter(pk=dated_episode.pk).values().get()
    response = _login(client, clinician).patch(
        f"/api/episodes/{dated_episode.pk}/", changes, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()
    assert EpisodeOfCare.objects.filter(pk=dated_episode.pk).values().get() == before
    assert not AuditEvent.objects.exists()


# --- Search, staff, odd requests --------------------------------------------------------------


def test_overlong_search_shows_an_error(client, clinician, patient):
    response = _login(client, clinician).post("/patients/", {"q": "x" * 101})
    _assert_form_error(response, "q", "at most 100 characters (it has 101)")


def test_api_overlong_search_is_a_400(client, clinician, patient):
    response = _login(client, clinician).post(
        "/api/patients/search/", {"q": "x" * 101}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "q" in response.json()


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/patients/", {"q": "smith", "page": "abc"}),
        ("post", "/patients/", {"q": "smith", "page": "-1"}),
        ("post", "/patients/", {"q": "\x00"}),
        ("get", "/patients/?page=999", None),
        ("get", "/patients/?page=abc", None),
        ("get", "/patients/99999999999999999999999/", None),
        ("get", "/api/patients/99999999999999999999999/", None),
        ("get", "/api/episodes/?patient=abc", None),
        ("get", "/api/episodes/?status=nonsense", None),
        ("get", "/api/episodes/?opened_on=2024-13-45", None),
    ],
)
def test_odd_requests_never_500(client, clinician, patient, method, path, data):
    response = getattr(_login(client, clinician), method)(path, data or {})
    assert response.status_code in (200, 400, 404)


# (case, e-mail typed for the new account)
DUPLICATE_EMAILS = [
    ("same address", lambda taken: taken),
    ("upper case", lambda taken: taken.upper()),
    ("mixed case with spaces", lambda taken: f"  {taken.title()} "),
]


@pytest.mark.parametrize("clinic_of_taken", ["same clinic", "another clinic"])
@pytest.mark.parametrize("typed", [pytest.param(fn, id=name) for name, fn in DUPLICATE_EMAILS])
def test_staff_create_refuses_a_taken_email(client, clinic, other_clinic, clinic_of_taken, typed):
    admin = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN])
    taken = UserFactory(clinic=clinic if clinic_of_taken == "same clinic" else other_clinic, email="dana@example.test")
    users = User.objects.count()
    data = {"email": typed(taken.email), "full_name": "Dana Again", "roles": "Clinician"}
    response = _login(client, admin).post("/staff/new/", data)
    _assert_form_error(response, "email", "A staff account with this e-mail address already exists.")
    assert User.objects.count() == users
    assert mail.outbox == []


def test_staff_create_requires_a_role(client, clinic):
    admin = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN])
    response = _login(client, admin).post("/staff/new/", {"email": "x@example.test", "full_name": "No Role"})
    _assert_form_error(response, "roles", "This field is required.")
    assert not User.objects.filter(email="x@example.test").exists()
