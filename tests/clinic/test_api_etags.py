"""ETags and If-Match on the API: two editors cannot overwrite each other silently. Reads and
writes of patients, episodes, plans, assessments, plan items and appointments (their reschedule,
cancel and status actions) carry the row's ETag; a write whose If-Match names another version
answers 412 and saves nothing; leaving If-Match out keeps older clients working."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from assessments.models import Assessment
from clinic.drf import etag_of, if_match_allows
from clinic.models import EpisodeOfCare, Patient
from clinic.permissions import Role
from clinic.scheduling.models import Appointment, AppointmentStatus
from plans.models import PlanItem, TreatmentPlan
from tests.assessments.helpers import login
from tests.factories import AppointmentFactory, PatientFactory, UserFactory
from tests.plans.helpers import api_client, completed

_WHEN = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)
_CURRENT = etag_of(label="clinic.patient", pk=7, updated_at=_WHEN)


@pytest.mark.parametrize(
    ("if_match", "allowed"),
    [
        (None, True),
        ("*", True),
        (_CURRENT, True),
        (f'"other", {_CURRENT}', True),
        (f"W/{_CURRENT}", False),
        (_CURRENT.strip('"'), False),
        ('"other"', False),
        ("garbage", False),
        ("", False),
    ],
)
def test_if_match_allows_a_write_only_on_a_strong_match(if_match, allowed):
    assert if_match_allows(if_match, _CURRENT) is allowed


@pytest.mark.parametrize(
    "changed",
    [
        {"label": "clinic.episodeofcare"},
        {"pk": 8},
        {"updated_at": _WHEN + datetime.timedelta(microseconds=1)},
    ],
)
def test_the_etag_changes_with_the_resource_the_row_and_its_last_change(changed):
    assert etag_of(**{"label": "clinic.patient", "pk": 7, "updated_at": _WHEN, **changed}) != _CURRENT


def test_the_etag_is_strong_and_hides_the_clock():
    assert _CURRENT.startswith('"')
    assert _CURRENT.endswith('"')
    assert "2026" not in _CURRENT


@pytest.fixture
def api(front_desk):
    return api_client(front_desk)


def test_a_patient_read_carries_its_etag_and_an_update_changes_it(api, patient):
    read = api.get(f"/api/patients/{patient.pk}/")
    assert read.status_code == 200
    patient.refresh_from_db()
    assert read["ETag"] == etag_of(label="clinic.patient", pk=patient.pk, updated_at=patient.updated_at)

    written = api.patch(
        f"/api/patients/{patient.pk}/", {"first_name": "Ada"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )

    assert written.status_code == 200, written.data
    assert written["ETag"] != read["ETag"]
    assert api.get(f"/api/patients/{patient.pk}/")["ETag"] == written["ETag"]
    assert Patient.objects.get(pk=patient.pk).first_name == "Ada"


@pytest.mark.parametrize("if_match", ["stale", 'W/"{etag}"', "garbage", '"{etag}x"'])
def test_a_patient_write_with_another_if_match_is_refused_and_saves_nothing(api, patient, if_match):
    etag = api.get(f"/api/patients/{patient.pk}/")["ETag"]
    if if_match == "stale":
        api.patch(f"/api/patients/{patient.pk}/", {"last_name": "First"}, format="json", HTTP_IF_MATCH=etag)
        header = etag
    else:
        header = if_match.format(etag=etag.strip('"'))
    before = Patient.objects.get(pk=patient.pk)

    response = api.patch(f"/api/patients/{patient.pk}/", {"first_name": "Lost"}, format="json", HTTP_IF_MATCH=header)

    assert response.status_code == 412
    assert "changed by someone else" in response.data["detail"]
    assert "ETag" not in response
    after = Patient.objects.get(pk=patient.pk)
    assert (after.first_name, after.updated_at) == (before.first_name, before.updated_at)


def test_a_full_update_with_a_stale_if_match_is_refused_too(api, patient):
    read = api.get(f"/api/patients/{patient.pk}/").data
    etag = api.get(f"/api/patients/{patient.pk}/")["ETag"]
    api.patch(f"/api/patients/{patient.pk}/", {"last_name": "First"}, format="json", HTTP_IF_MATCH=etag)
    body = {key: value for key, value in read.items() if key not in {"id", "created_at", "updated_at"}}

    response = api.put(
        f"/api/patients/{patient.pk}/", {**body, "first_name": "Lost"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 412
    assert Patient.objects.get(pk=patient.pk).last_name == "First"


@pytest.mark.parametrize("if_match", ["*", None])
def test_a_star_or_no_if_match_lets_the_write_through(api, patient, if_match):
    headers = {} if if_match is None else {"HTTP_IF_MATCH": if_match}

    response = api.patch(f"/api/patients/{patient.pk}/", {"first_name": "Ada"}, format="json", **headers)

    assert response.status_code == 200, response.data
    patient.refresh_from_db()
    assert patient.first_name == "Ada"
    assert response["ETag"] == etag_of(label="clinic.patient", pk=patient.pk, updated_at=patient.updated_at)


def test_another_clinics_patient_is_not_found_whatever_the_if_match(api, foreign_patient):
    response = api.patch(f"/api/patients/{foreign_patient.pk}/", {"first_name": "X"}, format="json", HTTP_IF_MATCH="*")

    assert response.status_code == 404


def test_an_episode_write_with_a_stale_if_match_is_refused(clinician, episode):
    api = api_client(clinician)
    etag = api.get(f"/api/episodes/{episode.pk}/")["ETag"]
    first = api.patch(
        f"/api/episodes/{episode.pk}/", {"presenting_complaint": "Shin pain"}, format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200, first.data
    assert first["ETag"] != etag

    second = api.patch(
        f"/api/episodes/{episode.pk}/", {"presenting_complaint": "Lost"}, format="json", HTTP_IF_MATCH=etag
    )

    assert second.status_code == 412
    assert EpisodeOfCare.objects.get(pk=episode.pk).presenting_complaint == "Shin pain"


def test_a_plan_write_with_a_stale_if_match_is_refused(client, clinician, episode):
    api = api_client(clinician)
    login(client, clinician)
    assessment = completed(client, episode)
    plan_id = api.post("/api/plans/", {"assessment": assessment.pk}, format="json").data["id"]
    etag = api.get(f"/api/plans/{plan_id}/")["ETag"]
    first = api.patch(f"/api/plans/{plan_id}/", {"weeks": 7}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200, first.data
    assert first["ETag"] != etag

    second = api.patch(f"/api/plans/{plan_id}/", {"weeks": 9}, format="json", HTTP_IF_MATCH=etag)

    assert second.status_code == 412
    assert TreatmentPlan.objects.get(pk=plan_id).weeks == 7


def test_an_assessment_draft_write_with_a_stale_if_match_is_refused(clinician, episode):
    api = api_client(clinician)
    started = api.post(
        "/api/assessments/", {"episode": episode.pk, "kind": "initial", "assessed_on": "2026-03-02"}, format="json"
    )
    assert started.status_code == 201, started.data
    url = f"/api/assessments/{started.data['id']}/"
    etag = api.get(url)["ETag"]
    first = api.patch(url, {"pain_today": 3}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200, first.data
    assert first["ETag"] != etag

    second = api.patch(url, {"pain_today": 8}, format="json", HTTP_IF_MATCH=etag)

    assert second.status_code == 412
    assert Assessment.objects.get(pk=started.data["id"]).pain_today == 3


# --- Plan items -------------------------------------------------------------------------------------


@pytest.fixture
def plan_item(client, clinician, episode) -> PlanItem:
    login(client, clinician)
    assessment = completed(client, episode)
    plan_id = api_client(clinician).post("/api/plans/", {"assessment": assessment.pk}, format="json").data["id"]
    return PlanItem.objects.filter(plan_id=plan_id).order_by("id").first()


def test_a_plan_item_read_carries_its_etag_and_a_change_gives_the_next(clinician, plan_item):
    api = api_client(clinician)
    read = api.get(f"/api/plan-items/{plan_item.pk}/")
    assert read.status_code == 200
    assert read.data["id"] == plan_item.pk
    plan_item.refresh_from_db()
    assert read["ETag"] == etag_of(label="plans.planitem", pk=plan_item.pk, updated_at=plan_item.updated_at)

    written = api.patch(f"/api/plan-items/{plan_item.pk}/", {"sets": 4}, format="json", HTTP_IF_MATCH=read["ETag"])

    assert written.status_code == 200, written.data
    assert written["ETag"] not in {read["ETag"], None}
    assert api.get(f"/api/plan-items/{plan_item.pk}/")["ETag"] == written["ETag"]


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_a_plan_item_write_with_a_stale_if_match_is_refused_and_saves_nothing(clinician, plan_item, method):
    api = api_client(clinician)
    stale = api.get(f"/api/plan-items/{plan_item.pk}/")["ETag"]
    assert api.patch(f"/api/plan-items/{plan_item.pk}/", {"sets": 4}, format="json").status_code == 200
    before = PlanItem.objects.get(pk=plan_item.pk)
    body = (
        {} if method == "delete" else {"sets": 9, "reps": "5", "hold_seconds": "", "frequency": "", "instructions": ""}
    )

    response = getattr(api, method)(f"/api/plan-items/{plan_item.pk}/", body, format="json", HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    after = PlanItem.objects.get(pk=plan_item.pk)
    assert (after.sets, after.reps, after.updated_at) == (4, before.reps, before.updated_at)


def test_a_plan_item_is_removed_with_its_current_etag(clinician, plan_item):
    api = api_client(clinician)
    etag = api.get(f"/api/plan-items/{plan_item.pk}/")["ETag"]

    response = api.delete(f"/api/plan-items/{plan_item.pk}/", HTTP_IF_MATCH=etag)

    assert response.status_code == 204
    assert not PlanItem.objects.filter(pk=plan_item.pk).exists()


# --- Appointment actions ------------------------------------------------------------------------------

_TOMORROW = datetime.datetime.now(datetime.UTC).replace(microsecond=0) + datetime.timedelta(days=1)
# Outside any working hours the tests set up, so each move carries a reason.
_ACTIONS = {
    "reschedule": {"starts_at": (_TOMORROW + datetime.timedelta(days=1)).isoformat(), "override_reason": "Asked"},
    "cancel": {"reason": "Patient called"},
    "status": {"status": "checked_in"},
}


@pytest.fixture
def visit(episode, clinician) -> Appointment:
    return AppointmentFactory(episode=episode, clinician=clinician, starts_at=_TOMORROW)


def test_an_appointment_read_carries_its_etag(api, visit):
    response = api.get(f"/api/appointments/{visit.pk}/")

    assert response.status_code == 200
    visit.refresh_from_db()
    assert response["ETag"] == etag_of(label="scheduling.appointment", pk=visit.pk, updated_at=visit.updated_at)


@pytest.mark.parametrize("action", list(_ACTIONS))
def test_an_appointment_action_with_the_current_etag_goes_through_and_answers_the_next(api, visit, action):
    etag = api.get(f"/api/appointments/{visit.pk}/")["ETag"]

    response = api.post(f"/api/appointments/{visit.pk}/{action}/", _ACTIONS[action], format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.data
    assert response["ETag"] not in {etag, None}
    assert api.get(f"/api/appointments/{visit.pk}/")["ETag"] == response["ETag"]


@pytest.mark.parametrize("action", list(_ACTIONS))
def test_an_appointment_action_with_a_stale_etag_is_refused_and_changes_nothing(api, visit, action):
    stale = api.get(f"/api/appointments/{visit.pk}/")["ETag"]
    # Someone else moved the visit in the meantime.
    moved = api.post(f"/api/appointments/{visit.pk}/reschedule/", _ACTIONS["reschedule"], format="json")
    assert moved.status_code == 200, moved.data
    before = Appointment.objects.get(pk=visit.pk)

    response = api.post(f"/api/appointments/{visit.pk}/{action}/", _ACTIONS[action], format="json", HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    assert "changed by someone else" in response.data["detail"]
    after = Appointment.objects.get(pk=visit.pk)
    assert (after.starts_at, after.status, after.sequence, after.updated_at) == (
        before.starts_at,
        AppointmentStatus.BOOKED,
        before.sequence,
        before.updated_at,
    )


@pytest.mark.parametrize("action", list(_ACTIONS))
def test_an_appointment_action_without_if_match_keeps_working(api, visit, action):
    response = api.post(f"/api/appointments/{visit.pk}/{action}/", _ACTIONS[action], format="json")

    assert response.status_code == 200, response.data


def test_another_clinics_appointment_is_not_found_whatever_the_if_match(api, foreign_episode):
    other = AppointmentFactory(episode=foreign_episode, starts_at=_TOMORROW)

    response = api.post(f"/api/appointments/{other.pk}/cancel/", _ACTIONS["cancel"], format="json", HTTP_IF_MATCH="*")

    assert response.status_code == 404
    assert Appointment.objects.get(pk=other.pk).status == AppointmentStatus.BOOKED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_parallel_writes_with_one_etag_let_exactly_one_through():
    front_desk = UserFactory(roles=[Role.FRONT_DESK])
    patient = PatientFactory(clinic=front_desk.clinic)
    etag = api_client(front_desk).get(f"/api/patients/{patient.pk}/")["ETag"]
    start = threading.Barrier(2)
    outcomes: list[int] = []

    def write(first_name: str):
        client = APIClient()
        client.force_authenticate(front_desk)
        try:
            start.wait()
            response = client.patch(
                f"/api/patients/{patient.pk}/", {"first_name": first_name}, format="json", HTTP_IF_MATCH=etag
            )
            outcomes.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(name,)) for name in ("Ada", "Bea")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [200, 412]
    assert Patient.objects.get(pk=patient.pk).first_name in {"Ada", "Bea"}
