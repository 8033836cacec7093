"""Who may see and change what: each role over the HTML pages, the Django admin and the API.

A record of another clinic is answered with 404 (its existence is not confirmed); a page or
action the role may not use inside the user's own clinic is answered with 403.
"""

from __future__ import annotations

import re

import pytest

from clinic import permissions
from clinic.models import AuditEvent, Clinic, EpisodeOfCare, Patient, User
from clinic.permissions import Role
from tests.factories import PatientFactory, UserFactory

STAFF_BACKEND = "clinic.backends.StaffBackend"
ROLE_GROUPS = {"no_role": [], "clinician": [Role.CLINICIAN], "front_desk": [Role.FRONT_DESK]}
ROLE_GROUPS["clinic_admin"] = [Role.CLINIC_ADMIN]


def _staff(clinic, role: str, **fields) -> User:
    # Clinic admins get Django admin access, as services.staff_create gives it to them.
    return UserFactory(clinic=clinic, roles=ROLE_GROUPS[role], is_staff=role == "clinic_admin", **fields)


@pytest.fixture
def world(clinic, clinician, patient, episode, foreign_patient, foreign_episode):
    """Ids and URL values of our clinic's records and of another clinic's, with distinct names."""
    Patient.objects.filter(pk=patient.pk).update(first_name="Hana", last_name="Homeclinic")
    Patient.objects.filter(pk=foreign_patient.pk).update(first_name="Fiona", last_name="Farclinic")
    return {
        "patient": patient.pk,
        "episode": episode.pk,
        "staff": UserFactory(clinic=clinic, roles=[Role.FRONT_DESK]).pk,
        "lead": clinician.pk,
        "foreign_patient": foreign_patient.pk,
        "foreign_episode": foreign_episode.pk,
        "foreign_staff": foreign_episode.lead_clinician_id,
    }


def _acting(client, clinic, role: str):
    if role != "anonymous":
        client.force_login(_staff(clinic, role), backend=STAFF_BACKEND)
    return client


# --- HTML pages, role by role -------------------------------------------------------------

# "METHOD path": expected status for no role, clinician, front desk, clinic admin.
HTML_ROUTES = {
    "GET /patients/": (403, 200, 200, 200),
    "POST /patients/": (403, 200, 200, 200),  # search
    "GET /patients/new/": (403, 200, 200, 403),
    "GET /patients/{patient}/": (403, 200, 200, 200),
    "GET /patients/{patient}/edit/": (403, 200, 200, 403),
    "GET /patients/{patient}/audit/": (403, 403, 403, 200),
    "GET /patients/{patient}/episodes/new/": (403, 200, 200, 403),
    "GET /episodes/{episode}/": (403, 200, 200, 200),
    "GET /episodes/{episode}/edit/": (403, 200, 200, 403),
    "GET /staff/": (403, 403, 403, 200),
    "GET /staff/new/": (403, 403, 403, 200),
    "GET /staff/{staff}/": (403, 403, 403, 200),
    "GET /settings/": (403, 403, 403, 200),
}
ROLES = ("no_role", "clinician", "front_desk", "clinic_admin")


def _html(client, route: str, world: dict, data: dict | None = None):
    method, path = route.split(" ")
    return getattr(client, method.lower())(path.format(**world), data or {})


@pytest.mark.parametrize(
    ("route", "role", "expected"),
    [(route, role, codes[i]) for route, codes in HTML_ROUTES.items() for i, role in enumerate(ROLES)],
)
def test_html_route_status_by_role(client, clinic, world, route, role, expected):
    assert _html(_acting(client, clinic, role), route, world, {"q": ""}).status_code == expected


@pytest.mark.parametrize("route", HTML_ROUTES)
def test_anonymous_is_sent_to_login(client, world, route):
    response = _html(client, route, world)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


VALID_PATIENT_FORM = {
    "first_name": "Ada",
    "last_name": "Forbidden",
    "date_of_birth": "1980-01-01",
    "sex": "female",
    "email": "ada.forbidden@example.test",
    "preferred_contact_channel": "email",
}
VALID_EPISODE_FORM = {"presenting_complaint": "Forbidden", "lead_clinician": "{lead}", "opened_on": "2024-01-02"}
VALID_STAFF_FORM = {"email": "forbidden@example.test", "full_name": "Forbidden", "roles": "Clinic admin"}
VALID_SETTINGS_FORM = {"name": "Forbidden", "time_zone": "UTC", "accent_color": "#000000", "paper_size": "a4"}
# Writes a role may not make: refused with 403 and nothing changes. (role, path, valid form data)
FORBIDDEN_WRITES = [
    ("clinic_admin", "/patients/new/", VALID_PATIENT_FORM),
    ("clinic_admin", "/patients/{patient}/edit/", VALID_PATIENT_FORM),
    ("clinic_admin", "/patients/{patient}/episodes/new/", VALID_EPISODE_FORM),
    ("clinic_admin", "/episodes/{episode}/edit/", {**VALID_EPISODE_FORM, "status": "discharged"}),
    ("front_desk", "/staff/new/", VALID_STAFF_FORM),
    ("clinician", "/staff/new/", VALID_STAFF_FORM),
    ("front_desk", "/staff/{staff}/", {**VALID_STAFF_FORM, "is_active": ""}),
    ("front_desk", "/settings/", VALID_SETTINGS_FORM),
    ("clinician", "/settings/", VALID_SETTINGS_FORM),
    ("no_role", "/patients/new/", VALID_PATIENT_FORM),
    ("no_role", "/patients/{patient}/edit/", VALID_PATIENT_FORM),
    ("no_role", "/episodes/{episode}/edit/", {**VALID_EPISODE_FORM, "status": "discharged"}),
]


def _fill(data: dict, world: dict) -> dict:
    """Form or JSON data with "{name}" placeholders replaced by the ids in ``world``."""
    return {key: int(value.format(**world)) if str(value).startswith("{") else value for key, value in data.items()}


def _snapshot():
    return {
        "patients": list(Patient.objects.values_list("pk", "last_name")),
        "episodes": list(EpisodeOfCare.objects.values_list("pk", "presenting_complaint", "status")),
        "staff": list(User.objects.values_list("pk", "full_name", "is_active")),
        "clinics": list(Clinic.objects.values_list("pk", "name")),
        "audit": AuditEvent.objects.count(),
    }


@pytest.mark.parametrize(("role", "path", "data"), FORBIDDEN_WRITES)
def test_forbidden_html_write_is_403_and_changes_nothing(client, clinic, world, role, path, data):
    client = _acting(client, clinic, role)
    before = _snapshot()
    response = client.post(path.format(**world), _fill(data, world))
    assert response.status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("role", "links"),
    [
        ("no_role", ["Dashboard"]),
        ("clinician", ["Dashboard", "Patients", "Schedule", "Library", "API docs"]),
        ("front_desk", ["Dashboard", "Patients", "Schedule", "API docs"]),
        ("clinic_admin", ["Dashboard", "Patients", "Library", "Staff", "Clinic settings", "API docs", "Admin"]),
    ],
)
def test_navigation_matches_role(client, clinic, role, links):
    html = _acting(client, clinic, role).get("/").content.decode()
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r"<a [^>]*>([^<]+)</a>", nav) == links


@pytest.mark.parametrize(
    ("role", "audit_link", "edit_link"), [("clinician", False, True), ("clinic_admin", True, False)]
)
def test_patient_page_offers_only_allowed_actions(client, clinic, world, role, audit_link, edit_link):
    html = _acting(client, clinic, role).get(f"/patients/{world['patient']}/").content.decode()
    assert (f'href="/patients/{world["patient"]}/audit/"' in html) is audit_link
    assert (f'href="/patients/{world["patient"]}/edit/"' in html) is edit_link
    assert (f'href="/patients/{world["patient"]}/episodes/new/"' in html) is edit_link


# --- Django admin -----------------------------------------------------------------------------


def test_django_admin_patient_changelist_lists_own_clinic_only(client, clinic, world):
    response = _acting(client, clinic, "clinic_admin").get("/admin/clinic/patient/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/admin/clinic/patient/{world['patient']}/change/" in html
    assert f"/admin/clinic/patient/{world['foreign_patient']}/change/" not in html


def test_django_admin_does_not_open_another_clinics_patient(client, clinic, world):
    response = _acting(client, clinic, "clinic_admin").get(f"/admin/clinic/patient/{world['foreign_patient']}/change/")
    # Django answers a missing object with a redirect to the index: the same as for an unknown id.
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert not AuditEvent.objects.filter(patient_id=world["foreign_patient"]).exists()


@pytest.mark.parametrize("role", ["clinician", "front_desk", "no_role"])
def test_django_admin_is_closed_to_other_roles(client, clinic, role):
    response = _acting(client, clinic, role).get("/admin/clinic/patient/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- API, role by role ----------------------------------------------------------------------

NEW_PATIENT = {
    "first_name": "Ada",
    "last_name": "Apirunner",
    "date_of_birth": "1985-04-12",
    "sex": "female",
    "email": "ada.apirunner@example.test",
    "mobile_phone": "+13125550199",
    "preferred_contact_channel": "email",
    "contact_consent": True,
}
NEW_EPISODE = {"patient": "{patient}", "presenting_complaint": "Hip pain", "lead_clinician": "{lead}"}
# route: (method, path, body). Expected per role: anonymous, no role, clinician, front desk, admin.
API_ROUTES = {
    "list patients": ("get", "/api/patients/", None, (403, 403, 200, 200, 200)),
    "search patients": ("post", "/api/patients/search/", {"q": ""}, (403, 403, 200, 200, 200)),
    "retrieve patient": ("get", "/api/patients/{patient}/", None, (403, 403, 200, 200, 200)),
    "create patient": ("post", "/api/patients/", NEW_PATIENT, (403, 403, 201, 201, 403)),
    "update patient": ("patch", "/api/patients/{patient}/", {"first_name": "Renamed"}, (403, 403, 200, 200, 403)),
    "list episodes": ("get", "/api/episodes/", None, (403, 403, 200, 200, 200)),
    "retrieve episode": ("get", "/api/episodes/{episode}/", None, (403, 403, 200, 200, 200)),
    "open episode": ("post", "/api/episodes/", NEW_EPISODE, (403, 403, 201, 201, 403)),
    "update episode": ("patch", "/api/episodes/{episode}/", {"presenting_complaint": "Hip"}, (403, 403, 200, 200, 403)),
}
API_ROLES = ("anonymous", *ROLES)


def _api(client, method: str, path: str, body: dict | None, world: dict):
    path = path.format(**world)
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, _fill(body, world), content_type="application/json")


@pytest.mark.parametrize(
    ("route", "role", "expected"),
    [(route, role, spec[3][i]) for route, spec in API_ROUTES.items() for i, role in enumerate(API_ROLES)],
)
def test_api_status_by_role(client, clinic, world, route, role, expected):
    method, path, body, _ = API_ROUTES[route]
    patients, episodes = Patient.objects.count(), EpisodeOfCare.objects.count()
    response = _api(_acting(client, clinic, role), method, path, body, world)
    assert response.status_code == expected
    if expected >= 400:
        assert (Patient.objects.count(), EpisodeOfCare.objects.count()) == (patients, episodes)
        assert Patient.objects.get(pk=world["patient"]).first_name != "Renamed"
        assert EpisodeOfCare.objects.get(pk=world["episode"]).presenting_complaint != "Hip"


# --- Another clinic's records -----------------------------------------------------------------

FOREIGN_HTML = [
    "GET /patients/{foreign_patient}/",
    "GET /patients/{foreign_patient}/edit/",
    "POST /patients/{foreign_patient}/edit/",
    "GET /patients/{foreign_patient}/audit/",
    "GET /patients/{foreign_patient}/episodes/new/",
    "POST /patients/{foreign_patient}/episodes/new/",
    "GET /episodes/{foreign_episode}/",
    "GET /episodes/{foreign_episode}/edit/",
    "POST /episodes/{foreign_episode}/edit/",
]


@pytest.mark.parametrize("role", ["clinician", "front_desk", "clinic_admin"])
@pytest.mark.parametrize("route", FOREIGN_HTML)
def test_other_clinics_records_are_not_found_in_html(client, clinic, world, role, route):
    client = _acting(client, clinic, role)
    before = _snapshot()
    valid = {**VALID_PATIENT_FORM, **_fill(VALID_EPISODE_FORM, world), "status": "discharged"}
    assert _html(client, route, world, valid if route.startswith("POST") else None).status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "path"), [("get", "/staff/{foreign_staff}/"), ("post", "/staff/{foreign_staff}/")])
def test_other_clinics_staff_are_not_found(client, clinic, world, method, path):
    data = {"full_name": "Taken Over", "roles": "Clinician", "is_active": "on"}
    response = getattr(_acting(client, clinic, "clinic_admin"), method)(path.format(**world), data)
    assert response.status_code == 404
    assert User.objects.get(pk=world["foreign_staff"]).full_name != "Taken Over"


FOREIGN_API = [
    ("get", "/api/patients/{foreign_patient}/", None),
    ("patch", "/api/patients/{foreign_patient}/", {"first_name": "Renamed"}),
    ("put", "/api/patients/{foreign_patient}/", {**NEW_PATIENT, "first_name": "Renamed"}),
    ("get", "/api/episodes/{foreign_episode}/", None),
    ("patch", "/api/episodes/{foreign_episode}/", {"presenting_complaint": "Hip"}),
]


@pytest.mark.parametrize("role", ["clinician", "front_desk", "clinic_admin"])
@pytest.mark.parametrize(("method", "path", "body"), FOREIGN_API)
def test_other_clinics_records_are_not_found_in_api(client, clinic, world, role, method, path, body):
    client = _acting(client, clinic, role)
    before = _snapshot()
    response = _api(client, method, path, body, world)
    # The clinic admin may not write at all, so a write is refused before the lookup.
    assert response.status_code == (403 if role == "clinic_admin" and method != "get" else 404)
    assert _snapshot() == before


@pytest.mark.parametrize("role", ["clinician", "front_desk", "clinic_admin"])
def test_other_clinics_patients_are_not_listed_or_found_by_search(client, clinic, world, role):
    foreign = Patient.objects.get(pk=world["foreign_patient"])
    ours = Patient.objects.get(pk=world["patient"])
    client = _acting(client, clinic, role)

    listed = client.get("/api/patients/").json()["results"]
    assert [row["id"] for row in listed] == [ours.pk]
    episodes = client.get("/api/episodes/").json()["results"]
    assert [row["id"] for row in episodes] == [world["episode"]]

    for query in (foreign.last_name, foreign.date_of_birth.isoformat(), str(foreign.mobile_phone)):
        html = client.post("/patients/", {"q": query}).content.decode()
        assert f'href="/patients/{foreign.pk}/"' not in html
    html = client.get("/patients/").content.decode()
    assert f'href="/patients/{foreign.pk}/"' not in html
    assert f'href="/patients/{ours.pk}/"' in html


@pytest.mark.parametrize("role", ["clinician", "front_desk", "clinic_admin"])
def test_api_search_never_returns_other_clinics_patients(client, clinic, world, role):
    ours = PatientFactory(clinic=clinic, first_name="Flora", last_name="Farclinic")
    response = _acting(client, clinic, role).post(
        "/api/patients/search/", {"q": "Farclinic"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [ours.pk]


@pytest.mark.parametrize("role", ["clinician", "front_desk"])
def test_api_episode_for_another_clinics_patient_is_refused(client, clinic, world, role):
    before = EpisodeOfCare.objects.count()
    response = _acting(client, clinic, role).post(
        "/api/episodes/",
        {**_fill(NEW_EPISODE, world), "patient": world["foreign_patient"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "patient" in response.json()
    assert EpisodeOfCare.objects.count() == before
    assert not EpisodeOfCare.objects.filter(patient_id=world["foreign_patient"], presenting_complaint="Hip pain")


@pytest.mark.parametrize("field", ["patient", "lead_clinician"])
def test_api_episode_filter_does_not_reveal_other_clinics_ids(client, clinic, world, field):
    """A foreign id must be answered exactly like an id that does not exist."""
    foreign_id = world["foreign_patient"] if field == "patient" else world["foreign_staff"]
    client = _acting(client, clinic, "clinician")
    foreign = client.get(f"/api/episodes/?{field}={foreign_id}")
    missing = client.get(f"/api/episodes/?{field}=987654321")
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())


# --- Permission predicates ------------------------------------------------------------------


@pytest.fixture
def people(clinic, other_clinic):
    return {
        "clinician": _staff(clinic, "clinician"),
        "front_desk": _staff(clinic, "front_desk"),
        "clinic_admin": _staff(clinic, "clinic_admin"),
        "no_role": _staff(clinic, "no_role"),
        "inactive_clinician": _staff(clinic, "clinician", is_active=False),
        "inactive_admin": _staff(clinic, "clinic_admin", is_active=False),
        "other_clinic_clinician": _staff(other_clinic, "clinician"),
        "other_clinic_admin": _staff(other_clinic, "clinic_admin"),
    }


PREDICATE_TABLE = {
    # person:                 clinical, view patient, change patient, add episode, audit trail, manage staff
    "clinician": (True, True, True, True, False, False),
    "front_desk": (False, True, True, True, False, False),
    "clinic_admin": (False, True, False, False, True, True),
    "no_role": (False, False, False, False, False, False),
    "inactive_clinician": (False, False, False, False, False, False),
    "inactive_admin": (False, False, False, False, False, False),
    "other_clinic_clinician": (False, False, False, False, False, False),
    "other_clinic_admin": (False, False, False, False, False, False),
}
PREDICATES = [
    permissions.can_view_clinical,
    permissions.can_view_patient,
    permissions.can_change_patient,
    permissions.can_add_episode,
    permissions.can_view_audit_trail,
    lambda user, patient: permissions.can_manage_staff(user, patient.clinic),
]


@pytest.mark.parametrize(
    ("person", "predicate", "expected"),
    [
        pytest.param(person, predicate, row[i], id=f"{person}-{name}")
        for person, row in PREDICATE_TABLE.items()
        for i, (predicate, name) in enumerate(
            zip(PREDICATES, ["clinical", "view", "change", "add_episode", "audit", "staff"], strict=True)
        )
    ],
)
def test_permission_predicates(people, patient, person, predicate, expected):
    assert predicate(people[person], patient) is expected


def test_can_view_clinical_follows_the_patients_clinic(people, patient, foreign_patient):
    assert permissions.can_view_clinical(people["clinician"], patient) is True
    assert permissions.can_view_clinical(people["clinician"], foreign_patient) is False
    assert permissions.can_view_clinical(people["other_clinic_clinician"], foreign_patient) is True


def test_scoped_querysets_hold_only_own_clinic(people, patient, episode, foreign_patient, foreign_episode):
    for person in ("clinician", "front_desk", "clinic_admin"):
        assert list(permissions.scoped_patients(people[person])) == [patient]
        assert list(permissions.scoped_episodes(people[person])) == [episode]
    for person in ("no_role", "inactive_clinician"):
        assert not permissions.scoped_patients(people[person]).exists()
        assert not permissions.scoped_episodes(people[person]).exists()
    assert list(permissions.scoped_patients(people["other_clinic_clinician"])) == [foreign_patient]
    assert set(permissions.scoped_staff(people["clinic_admin"])) == set(User.objects.filter(clinic=patient.clinic))
    assert not permissions.scoped_staff(people["front_desk"]).exists()
