"""Ordering API lists with ``?ordering=``: only over the fields each list names, with the id
breaking ties so that pages never share or skip a row; one ordering per resource family."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from assessments.models import Assessment, AssessmentKind
from clinic.drf import StableOrderingFilter
from clinic.models import Patient
from intake.models import Intake, IntakeStatus
from plans import services as plan_services
from plans.models import Intervention
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory


class _OrderedView:
    ordering_fields = ["last_name", "created_at"]


class _UnorderedView:
    pass


@pytest.mark.parametrize(
    ("view", "asked", "expected"),
    [
        (_OrderedView, "last_name", ["last_name", "pk"]),
        (_OrderedView, "-last_name", ["-last_name", "-pk"]),
        (_OrderedView, "last_name,-created_at", ["last_name", "-created_at", "-pk"]),
        (_OrderedView, "-created_at,last_name", ["-created_at", "last_name", "pk"]),
        (_OrderedView, "last_name,email", ["last_name", "pk"]),
        (_OrderedView, "email", None),
        (_OrderedView, "", None),
        (_OrderedView, None, None),
        (_UnorderedView, "last_name", None),
    ],
)
def test_ordering_keeps_the_listed_fields_and_ends_with_the_id(view, asked, expected):
    query = {} if asked is None else {"ordering": asked}
    request = Request(APIRequestFactory().get("/api/patients/", query))

    ordering = StableOrderingFilter().get_ordering(request, Patient.objects.none(), view())

    assert ordering == expected


@pytest.fixture
def api():
    return APIClient()


def _listed(api, url: str, field: str) -> list:
    response = api.get(url)
    assert response.status_code == 200, response.data
    return [row[field] for row in response.data["results"]]


def test_patients_by_last_name(api, front_desk, clinic):
    for last_name in ("Okafor", "Abara", "Mendez"):
        PatientFactory(clinic=clinic, last_name=last_name)
    api.force_authenticate(front_desk)

    assert _listed(api, "/api/patients/?ordering=last_name", "last_name") == ["Abara", "Mendez", "Okafor"]
    assert _listed(api, "/api/patients/?ordering=-last_name", "last_name") == ["Okafor", "Mendez", "Abara"]


def test_tied_patients_keep_one_order_across_pages(api, front_desk, clinic, monkeypatch):
    monkeypatch.setattr(PageNumberPagination, "page_size", 2)
    ids = [PatientFactory(clinic=clinic, last_name="Same").pk for _ in range(5)]
    api.force_authenticate(front_desk)

    pages = [_listed(api, f"/api/patients/?ordering=-last_name&page={page}", "id") for page in (1, 2, 3)]

    assert [pk for page in pages for pk in page] == sorted(ids, reverse=True)


def test_a_field_a_list_does_not_offer_is_ignored(api, front_desk, clinic):
    PatientFactory(clinic=clinic, last_name="Abara", mobile_phone="+13125550101")
    PatientFactory(clinic=clinic, last_name="Zeller", mobile_phone="+13125550199")
    api.force_authenticate(front_desk)

    assert _listed(api, "/api/patients/?ordering=-mobile_phone", "last_name") == ["Abara", "Zeller"]


def test_episodes_oldest_opened_first(api, front_desk, patient, clinician):
    today = timezone.localdate()
    for days in (3, 10, 1):
        EpisodeFactory(patient=patient, lead_clinician=clinician, opened_on=today - datetime.timedelta(days=days))
    api.force_authenticate(front_desk)

    opened = _listed(api, "/api/episodes/?ordering=opened_on", "opened_on")

    assert opened == [(today - datetime.timedelta(days=days)).isoformat() for days in (10, 3, 1)]


def test_intakes_oldest_submitted_first(api, clinician, patient):
    now = timezone.now()
    for hours in (5, 1, 9):
        Intake.objects.create(
            episode=EpisodeFactory(patient=patient, lead_clinician=clinician),
            status=IntakeStatus.SUBMITTED,
            submitted_at=now - datetime.timedelta(hours=hours),
        )
    api.force_authenticate(clinician)

    newest_first = _listed(api, "/api/intakes/", "submitted_at")
    oldest_first = _listed(api, "/api/intakes/?ordering=submitted_at", "submitted_at")

    assert oldest_first == sorted(oldest_first)
    assert oldest_first == list(reversed(newest_first))


def test_assessments_latest_visit_first(api, clinician, episode):
    today = timezone.localdate()
    for days, kind in (
        (30, AssessmentKind.INITIAL),
        (2, AssessmentKind.REASSESSMENT),
        (14, AssessmentKind.REASSESSMENT),
    ):
        Assessment.objects.create(
            episode=episode, clinician=clinician, kind=kind, assessed_on=today - datetime.timedelta(days)
        )
    api.force_authenticate(clinician)

    assessed = _listed(api, "/api/assessments/?ordering=-assessed_on", "assessed_on")

    assert assessed == [(today - datetime.timedelta(days)).isoformat() for days in (2, 14, 30)]


def test_library_interventions_by_name(api, clinician, clinic):
    plan_services.library_seed(clinic=clinic)
    api.force_authenticate(clinician)

    names = _listed(api, "/api/interventions/?ordering=-name", "name")

    expected = list(Intervention.objects.filter(clinic=clinic).order_by("-name", "-pk").values_list("name", flat=True))
    assert names == expected[: len(names)]
    assert names != sorted(names)


def test_appointments_latest_first(api, front_desk, episode):
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
    for days in (2, 0, 5):
        AppointmentFactory(episode=episode, starts_at=start + datetime.timedelta(days=days))
    api.force_authenticate(front_desk)

    starts = _listed(api, "/api/appointments/?ordering=-starts_at", "starts_at")

    assert starts == sorted(starts, reverse=True)
    assert len(starts) == 3
