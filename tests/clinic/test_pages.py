"""The pages staff use every day: dashboards, the patient list and search, the create forms,
and the staff invitation from e-mail to first password. Query counts do not grow with rows."""

from __future__ import annotations

import datetime
import functools
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from clinic.models import ClinicianProfile, EpisodeOfCare, EpisodeStatus, Patient, User
from clinic.permissions import Role, roles_of
from clinic.scheduling.models import AppointmentStatus
from clinic.views import DASHBOARD_VISITS
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory, UserFactory

STAFF_BACKEND = "clinic.backends.StaffBackend"
NEW_PASSWORD = "Tempo-run-on-Thursday-42"


def _login(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client


def _patient_links(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<td><a href="/patients/(\d+)/">', html)]


# --- Dashboards -------------------------------------------------------------------------------

SECTIONS = ["My visits today", "Today's schedule", "Staff accounts"]


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.CLINICIAN, "My visits today"),
        (Role.FRONT_DESK, "Today's schedule"),
        (Role.CLINIC_ADMIN, "Staff accounts"),
    ],
)
def test_each_role_gets_its_dashboard(client, clinic, role, shown):
    user = UserFactory(clinic=clinic, roles=[role], full_name="Sam Example")
    response = _login(client, user).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Good day, Sam" in html
    for section in SECTIONS:
        assert (f">{section}</h2>" in html) is (section == shown)


def test_dashboard_lists_the_clinicians_visits_today(client, clinic, clinician):
    start = _local_noon_today(clinic)
    mine = AppointmentFactory(
        episode=EpisodeFactory(patient=PatientFactory(clinic=clinic, first_name="Mira", last_name="Visitor")),
        clinician=clinician,
        starts_at=start,
    )
    AppointmentFactory(
        episode=EpisodeFactory(patient=PatientFactory(clinic=clinic, first_name="Otto", last_name="Elsewise")),
        starts_at=start,
    )
    html = _login(client, clinician).get("/").content.decode()
    assert f'href="/episodes/{mine.episode_id}/">Mira Visitor</a>' in html
    assert "Otto Elsewise" not in html


# --- Patient list and search ------------------------------------------------------------------


def test_patient_list_paginates(client, clinic, front_desk):
    patients = [PatientFactory(clinic=clinic) for _ in range(30)]
    client = _login(client, front_desk)
    first = client.get("/patients/")
    second = client.get("/patients/?page=2")
    assert first.status_code == second.status_code == 200
    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?page=2"' in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()
    on_first, on_second = _patient_links(first.content.decode()), _patient_links(second.content.decode())
    assert (len(on_first), len(on_second)) == (25, 5)
    assert sorted(on_first + on_second) == sorted(p.pk for p in patients)


def test_patient_list_is_in_name_order(client, clinic, front_desk):
    for last, first in [("Young", "Ann"), ("Abbott", "Zoe"), ("Meyer", "Bo"), ("Abbott", "Al")]:
        PatientFactory(clinic=clinic, first_name=first, last_name=last)
    html = _login(client, front_desk).get("/patients/").content.decode()
    names = re.findall(r'<td><a href="/patients/\d+/">([^<]+)</a>', html)
    assert names == ["Abbott, Al", "Abbott, Zoe", "Meyer, Bo", "Young, Ann"]


def test_search_results_paginate_by_post(client, clinic, front_desk):
    matching = {PatientFactory(clinic=clinic, last_name=f"Runnerton{i:02d}").pk for i in range(30)}
    PatientFactory(clinic=clinic, last_name="Walker")
    client = _login(client, front_desk)
    first = client.post("/patients/", {"q": "runnerton"}).content.decode()
    second = client.post("/patients/", {"q": "runnerton", "page": "2"}).content.decode()
    assert '<button type="submit" name="page" value="2"' in first
    assert set(_patient_links(first)) | set(_patient_links(second)) == matching
    assert len(_patient_links(second)) == 5


@pytest.fixture
def searchable(clinic):
    people = {
        "okafor": ("Margaret", "Okafor", datetime.date(1979, 6, 15), "+16175550100"),
        "oakley": ("Martin", "Oakley", datetime.date(1981, 2, 3), "+13125550123"),
        "smith": ("Zed", "Smith", datetime.date(1990, 7, 8), "+13125550124"),
    }
    return {
        key: PatientFactory(clinic=clinic, first_name=first, last_name=last, date_of_birth=born, mobile_phone=phone)
        for key, (first, last, born, phone) in people.items()
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("oka", ["okafor"]),
        ("OKA", ["okafor"]),
        ("mar", ["oakley", "okafor"]),
        ("mar oak", ["oakley"]),
        ("kafor", []),
        ("1979-06-15", ["okafor"]),
        ("(312) 555-0123", ["oakley"]),
        ("312-555-0123", ["oakley"]),
        ("+1 312 555 0124", ["smith"]),
    ],
)
def test_patient_search(client, front_desk, searchable, query, expected):
    response = _login(client, front_desk).post("/patients/", {"q": query})
    assert response.status_code == 200
    assert _patient_links(response.content.decode()) == [searchable[name].pk for name in expected]
    api = client.post("/api/patients/search/", {"q": query}, content_type="application/json")
    assert [row["id"] for row in api.json()["results"]] == [searchable[name].pk for name in expected]


def test_search_does_not_put_the_query_in_the_url(client, front_desk, searchable):
    response = _login(client, front_desk).post("/patients/", {"q": "Okafor"})
    html = response.content.decode()
    assert not re.search(r'href="[^"]*Okafor', html, re.I)
    assert 'method="post" action="/patients/"' in html


# --- Query counts -----------------------------------------------------------------------------


def _add_patients(clinic, count: int) -> None:
    for _ in range(count):
        EpisodeFactory(patient=PatientFactory(clinic=clinic))


PATIENT_LIST_QUERIES = 7


def test_patient_list_queries_do_not_grow_with_patients(client, clinic, front_desk, django_assert_num_queries):
    client = _login(client, front_desk)
    _add_patients(clinic, 5)
    client.get("/patients/")  # warm-up: content types, first-session work
    with django_assert_num_queries(PATIENT_LIST_QUERIES):
        client.get("/patients/")
    _add_patients(clinic, 20)
    with django_assert_num_queries(PATIENT_LIST_QUERIES):
        response = client.get("/patients/")
    assert len(_patient_links(response.content.decode())) == 25


def _local_noon_today(clinic) -> datetime.datetime:
    today = timezone.localdate(timezone=clinic.zone)
    return datetime.datetime.combine(today, datetime.time(12), tzinfo=clinic.zone)


def _add_visits(clinic, clinician, count: int, first: int = 0) -> None:
    # Five-minute visits one after another: a clinician is never double-booked.
    for number in range(first, first + count):
        episode = EpisodeFactory(patient=PatientFactory(clinic=clinic), lead_clinician=clinician)
        start = _local_noon_today(clinic) + datetime.timedelta(minutes=5 * number)
        AppointmentFactory(
            episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=5)
        )
        EpisodeFactory(patient=episode.patient, lead_clinician=clinician)  # an open episode with no visit booked


@pytest.fixture
def morning(clinic):
    """Seven in the morning at the clinic today: the day's visits (from noon) are all still to come."""
    today = timezone.localdate(timezone=clinic.zone)
    with time_machine.travel(datetime.datetime.combine(today, datetime.time(7), tzinfo=clinic.zone), tick=True):
        yield


# Each dashboard's queries, the same however many visits, episodes and staff it lists (the clinician's
# counts its visits without a signed note in one query).
# The front desk's lapsed-episodes panel reads the clinic, its thresholds and one page of episodes.
# The clinician's return-to-run lists: proposals waiting and runners who stepped back (2).
DASHBOARD_QUERIES = {"clinician": 14, "front_desk": 14, "clinic_admin": 6}


@pytest.mark.parametrize("role", ["clinician", "front_desk", "clinic_admin"])
def test_dashboard_queries_do_not_grow_with_visits(client, clinic, clinician, role, morning, django_assert_num_queries):
    roles = {"front_desk": [Role.FRONT_DESK], "clinic_admin": [Role.CLINIC_ADMIN]}
    user = clinician if role == "clinician" else UserFactory(clinic=clinic, roles=roles[role])
    client = _login(client, user)
    _add_visits(clinic, clinician, 2)
    client.get("/")
    with django_assert_num_queries(DASHBOARD_QUERIES[role]):
        client.get("/")
    _add_visits(clinic, clinician, 8, first=2)
    for _ in range(8):
        UserFactory(clinic=clinic, roles=[Role.CLINICIAN])  # more staff on the admin's dashboard
    with django_assert_num_queries(DASHBOARD_QUERIES[role]):
        response = client.get("/")
    if role != "clinic_admin":
        assert response.content.decode().count('<td><a href="/episodes/') == 10


def _visit_today(clinic, clinician, start, **fields):
    return AppointmentFactory(
        episode=EpisodeFactory(patient=PatientFactory(clinic=clinic), lead_clinician=clinician),
        clinician=clinician,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=30),
        **fields,
    )


def test_front_desk_dashboard_lists_the_visits_still_to_come(client, clinic, clinician, front_desk):
    day = timezone.localdate(timezone=clinic.zone)
    at = functools.partial(datetime.datetime.combine, day, tzinfo=clinic.zone)
    over = _visit_today(clinic, clinician, at(datetime.time(8)))
    still_in = _visit_today(clinic, clinician, at(datetime.time(9)), status=AppointmentStatus.CHECKED_IN)
    now_on = _visit_today(clinic, clinician, at(datetime.time(10, 15)))
    later = _visit_today(clinic, clinician, at(datetime.time(15)))
    with time_machine.travel(at(datetime.time(10, 30)), tick=False):
        html = _login(client, front_desk).get("/").content.decode()
    shown = re.findall(r'<td><a href="/episodes/(\d+)/">', html)
    assert shown == [str(still_in.episode_id), str(now_on.episode_id), str(later.episode_id)]
    assert str(over.episode_id) not in shown
    assert "4 visits today. The next 3 still to come are below." in html
    assert 'href="/schedule/">The whole day on the schedule</a>' in html


def test_front_desk_dashboard_lists_only_the_next_visits_of_a_busy_day(client, clinic, clinician, front_desk, morning):
    start = _local_noon_today(clinic)
    for number in range(DASHBOARD_VISITS + 3):
        clinician_of = UserFactory(clinic=clinic, roles=[Role.CLINICIAN]) if number % 2 else clinician
        _visit_today(clinic, clinician_of, start + datetime.timedelta(minutes=30 * (number // 2)))
    html = _login(client, front_desk).get("/").content.decode()
    assert html.count('<td><a href="/episodes/') == DASHBOARD_VISITS
    assert f"{DASHBOARD_VISITS + 3} visits today. The next {DASHBOARD_VISITS} still to come are below." in html


@pytest.mark.parametrize(
    ("visit_at", "expected"), [(None, "Nothing is booked today."), (datetime.time(6), "No more visits today.")]
)
def test_front_desk_dashboard_says_when_nothing_is_left_today(
    client, clinic, clinician, front_desk, visit_at, expected
):
    day = timezone.localdate(timezone=clinic.zone)
    if visit_at:
        _visit_today(clinic, clinician, datetime.datetime.combine(day, visit_at, tzinfo=clinic.zone))
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(7), tzinfo=clinic.zone), tick=False):
        html = _login(client, front_desk).get("/").content.decode()
    assert expected in html
    assert "<table>" not in html.split('id="clinic-visits"')[1].split("</section>")[0]


# --- Creating records through the forms --------------------------------------------------------


def test_create_patient_end_to_end(client, clinic, front_desk):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace-Runner",
        "date_of_birth": "1985-04-12",
        "sex": "female",
        "email": "Ada.Runner@example.test",
        "mobile_phone": "(312) 555-0188",
        "preferred_contact_channel": "sms",
        "contact_consent": "on",
    }
    response = _login(client, front_desk).post("/patients/new/", data, follow=True)
    patient = Patient.objects.get()
    assert response.redirect_chain == [(f"/patients/{patient.pk}/", 302)]
    assert "Patient added." in response.content.decode()
    assert "Lovelace-Runner" in response.content.decode()
    assert (patient.clinic_id, patient.first_name, patient.last_name) == (clinic.pk, "Ada", "Lovelace-Runner")
    assert patient.date_of_birth == datetime.date(1985, 4, 12)
    assert str(patient.mobile_phone) == "+13125550188"
    assert (patient.preferred_contact_channel, patient.contact_consent) == ("sms", True)


def test_create_episode_end_to_end(client, front_desk, clinician, patient):
    data = {"presenting_complaint": "Right hip pain when running", "lead_clinician": clinician.pk, "opened_on": ""}
    client = _login(client, front_desk)
    form = client.get(f"/patients/{patient.pk}/episodes/new/").content.decode()
    assert f'<option value="{clinician.pk}">{clinician.full_name}</option>' in form
    assert f'<option value="{front_desk.pk}"' not in form
    data["opened_on"] = re.search(r'name="opened_on" value="([\d-]+)"', form).group(1)
    response = client.post(f"/patients/{patient.pk}/episodes/new/", data, follow=True)
    episode = EpisodeOfCare.objects.get()
    assert response.redirect_chain == [(f"/episodes/{episode.pk}/", 302)]
    assert "Episode of care opened." in response.content.decode()
    assert (episode.patient, episode.lead_clinician, episode.status) == (patient, clinician, EpisodeStatus.OPEN)
    assert episode.presenting_complaint == "Right hip pain when running"
    assert episode.opened_on == timezone.localdate(timezone=patient.clinic.zone)
    assert episode.closed_on is None


# --- Staff invitations -------------------------------------------------------------------------


def test_staff_create_sends_an_invitation_that_sets_a_password(client, clinic, django_capture_on_commit_callbacks):
    admin = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN])
    data = {"email": "New.Physio@Example.test", "full_name": "Nia Physio", "roles": "Clinician", "credentials": "DPT"}
    with django_capture_on_commit_callbacks(execute=True):
        response = _login(client, admin).post("/staff/new/", data, follow=True)
    assert response.redirect_chain == [("/staff/", 302)]
    assert "an invitation is on its way" in response.content.decode()

    user = User.objects.get(email="new.physio@example.test")
    assert (user.clinic, user.full_name, user.has_usable_password()) == (clinic, "Nia Physio", False)
    assert roles_of(user) == {Role.CLINICIAN}
    assert ClinicianProfile.objects.get(user=user).credentials == "DPT"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.physio@example.test"]
    assert clinic.name in message.subject
    link = re.search(r"https?://\S+/accounts/password/set/\S+/", message.body).group(0)
    user.refresh_from_db()
    assert user.invitation_sent_at is not None

    # The new colleague follows the link in a browser of their own.
    browser = Client()
    path = re.sub(r"^https?://[^/]+", "", link)
    form = browser.get(path, follow=True)
    assert form.status_code == 200
    assert "Set your password" in form.content.decode()
    assert 'name="new_password1"' in form.content.decode()
    done = browser.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert done.redirect_chain[-1][0] == "/accounts/password/set/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    # The link works once; the password is right, and a clinician sets up an authenticator app next.
    assert 'name="new_password1"' not in browser.get(path, follow=True).content.decode()
    login = browser.post("/accounts/login/", {"username": "NEW.physio@example.test", "password": NEW_PASSWORD})
    assert (login.status_code, login["Location"]) == (302, "/accounts/login/set-up/")
