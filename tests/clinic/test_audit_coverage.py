"""Every response that shows a patient's data records a read of it: the walk over every route.

Each route of the URL resolver (``tests/routes.py``) is requested with clinic A's ids by each role
of clinic A and by an anonymous visitor (a patient's link pages, the calendar feed): by GET, and
by a POST with an empty body (a refused form is shown again, with the record it is about). What a
response shows is found, not listed by hand: every free text of every row of a clinic-A patient
carries that patient's marker (``qz<id>audit``), so any response showing a patient's name, visit,
intake, finding or plan text names the patient; a JSON row naming a patient or an episode by id,
and a calendar event naming an episode, show that patient too. Then the response's read rows
(``audit.Read`` actions) must name exactly the patients it shows (a page about one record may
name that record's patient though the walk sees nothing of it), each by the requester (no
one for a patient's own link, the clinician for their calendar feed) in clinic A, written in one
INSERT. So a new route that shows patient data without recording it fails here, unedited.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic import audit, services
from clinic.models import AuditEvent, EpisodeOfCare, Patient
from clinic.scheduling import services as schedule_services
from tests import routes
from tests.assessments.helpers import login
from tests.factories import PatientFactory
from tests.routes import TOKEN_LINKS, _free_text_fields, foreign_key_paths, iter_routes, response_text, urls_for

# The two-clinic world of tests/routes.py, built once for this module.
world = routes.world

ROUTES = list(iter_routes())
READS = frozenset(audit.Read)
STAFF = ("clinician", "front_desk", "clinic_admin")
# Reads sent by POST (a search keeps names out of URLs): the body that lists every clinic-A patient.
SEARCHES = {
    "patient_list": ({"q": "qz"}, False),
    "api-patient-search": ({"q": "qz"}, True),
    "schedule_book": ({"q": "qz"}, False),
}


def _marker(patient_id: int) -> str:
    return f"qz{patient_id}audit"


class Shown:
    """Clinic A's patients and what names each of them in a response."""

    def __init__(self, clinic):
        self.patients = {patient.pk: patient for patient in Patient.objects.filter(clinic=clinic)}
        self.episodes = dict(EpisodeOfCare.objects.filter(patient__clinic=clinic).values_list("pk", "patient_id"))

    def in_response(self, response) -> set[int]:
        text = response_text(response)
        lowered = text.lower()
        shown = {pk for pk, patient in self.patients.items() if any(mark in lowered for mark in self._marks(patient))}
        if response.get("Content-Type", "").startswith("text/calendar"):
            shown |= {self.episodes[int(pk)] for pk in re.findall(r"episode (\d+)", text) if int(pk) in self.episodes}
        if "json" in response.get("Content-Type", ""):
            shown |= self._named_in_json(response)
        return shown

    @staticmethod
    def _marks(patient: Patient) -> list[str]:
        marks = [_marker(patient.pk), patient.date_of_birth.isoformat(), patient.email.lower()]
        return [mark for mark in marks if mark] + ([str(patient.mobile_phone)] if patient.mobile_phone else [])

    def _named_in_json(self, response) -> set[int]:
        try:
            data = json.loads(response.content)
        except ValueError:
            return set()
        rows = data.get("results", [data]) if isinstance(data, dict) else data
        named = set()
        on_patients = response.wsgi_request.path.startswith("/api/patients/")
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            if isinstance(row.get("patient"), int) and row["patient"] in self.patients:
                named.add(row["patient"])
            if isinstance(row.get("episode"), int) and row["episode"] in self.episodes:
                named.add(self.episodes[row["episode"]])
            if on_patients and row.get("id") in self.patients:
                named.add(row["id"])
        return named


@pytest.fixture(scope="module")
def marked(world, django_db_blocker):
    """Clinic A with a second patient (a visit on the same day as the first's, so lists and the
    schedule show both), and every free text of its patients' rows marked with their marker."""
    with django_db_blocker.unblock():
        a = world.a
        second = PatientFactory(clinic=a.clinic, date_of_birth=timezone.localdate().replace(year=1977))
        episode = services.episode_open(
            actor=a.users["front_desk"],
            patient=second,
            presenting_complaint="Knee pain",
            lead_clinician=a.users["clinician"],
            opened_on=timezone.localdate(),
        )
        starts_at = a.appointment.starts_at + datetime.timedelta(hours=2)
        schedule_services.appointment_book(
            actor=a.users["front_desk"],
            episode=episode,
            clinician=a.users["clinician"],
            starts_at=starts_at,
            override_reason="Asked for it",
        )
        for model, path in foreign_key_paths(Patient).items():
            fields = _free_text_fields(model)
            for patient in Patient.objects.filter(clinic=a.clinic):
                rows = model._default_manager.filter(**{path: patient.pk})
                for text_field in fields:
                    rows.update(**{text_field.name: _marker(patient.pk)[: text_field.max_length or None]})
        return Shown(a.clinic)


def _request(client: Client, method: str, url: str, body: dict | None, as_json: bool):
    if method == "GET":
        return client.get(url)
    if as_json:
        return client.post(url, json.dumps(body or {}), content_type="application/json")
    return client.post(url, body or {})


def _callers(route) -> list[str | None]:
    """Who requests the route: a patient's link is opened by no one signed in; staff pages by
    each role, and by no one (who must be shown nothing)."""
    if route.name in TOKEN_LINKS:
        return [None]
    return [*STAFF, None]


def _methods(route, caller) -> tuple[str, ...]:
    # No one signed in is sent to sign in from every staff page, whatever the method.
    if caller is None and route.name not in TOKEN_LINKS:
        return ("GET",)
    return route.methods


def _expected_actor(route, user):
    if route.name == "calendar_feed":
        return "clinician"
    return user


def _cases():
    for route in ROUTES:
        for caller in _callers(route):
            yield pytest.param(route, caller, id=f"{route.label} as {caller or 'anonymous'}")


@pytest.mark.parametrize(("route", "caller"), list(_cases()))
def test_every_response_showing_a_patient_records_it(world, marked, db, route, caller):
    a = world.a
    client = Client()
    if caller is not None:
        login(client, a.users[caller])
    expected_actor = _expected_actor(route, caller)
    actor_id = a.users[expected_actor].pk if expected_actor else None
    search_body, search_json = SEARCHES.get(route.name, (None, route.is_api))
    named = {a.patient.pk} if route.kwargs else set()
    problems = []
    for url in urls_for(route, world, "a"):
        for method in [m for m in ("GET", "POST") if m in _methods(route, caller)]:
            last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            with CaptureQueriesContext(connection) as queries:
                response = _request(client, method, url, search_body if method == "POST" else None, search_json)
            shown = marked.in_response(response)
            rows = list(AuditEvent.objects.filter(id__gt=last).order_by("id"))
            reads = [row for row in rows if row.action in READS]
            read_patients = {row.patient_id for row in reads}
            written = {row.patient_id for row in rows if row.action not in READS and row.actor_id == actor_id}
            inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "clinic_auditevent"')]
            where = f"{method} {url} ({response.status_code})"
            # A page about one record (its URL names it) may record its patient though it shows
            # nothing the walk can see (an empty intake step); a list records exactly its rows.
            allowed = shown | named
            if method == "GET" and not shown <= read_patients <= allowed:
                problems.append(f"{where}: shows patients {sorted(shown)}, recorded reads of {sorted(read_patients)}")
            if method == "POST" and not (shown <= read_patients | written and read_patients <= allowed):
                recorded = f"reads of {sorted(read_patients)}, writes {sorted(written)}"
                problems.append(f"{where}: shows {sorted(shown)}, recorded {recorded}")
            wrong = [(row.action, row.actor_id, row.clinic_id) for row in reads if row.actor_id != actor_id]
            wrong += [(row.action, row.actor_id, row.clinic_id) for row in reads if row.clinic_id != a.clinic.pk]
            if wrong:
                problems.append(f"{where}: read rows of another actor or clinic: {wrong}")
            if method == "GET" and len(inserts) > 1:
                problems.append(f"{where}: {len(inserts)} audit INSERTs, one per response at most")
    assert not problems, "\n".join(problems)


def test_the_walk_sees_patients_in_lists_and_only_the_named_one_on_a_detail(world, marked, db):
    """The walk's own check: it tells a list (both patients) from a detail page (one)."""
    client = login(Client(), world.a.users["front_desk"])
    listed = marked.in_response(client.get(reverse("patient_list")))
    detail = marked.in_response(client.get(reverse("patient_detail", args=[world.a.patient.pk])))
    day = timezone.localtime(world.a.appointment.starts_at, world.a.clinic.zone).date()
    schedule = marked.in_response(client.get(f"{reverse('schedule_day')}?day={day:%Y-%m-%d}"))
    assert len(marked.patients) == 2
    assert listed == schedule == set(marked.patients)
    assert detail == {world.a.patient.pk}
