"""Intake API: invitations for staff who may change the episode; submitted intakes for clinicians."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.models import AuditEvent
from intake.models import Intake, IntakeInvitation, IntakeStatus, QuestionnaireScore
from tests.factories import EpisodeFactory


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def submitted_intake(episode):
    intake = Intake.objects.create(
        episode=episode,
        status=IntakeStatus.SUBMITTED,
        submitted_at=timezone.now(),
        answers={"complaint": {"pain_now": 6}},
    )
    QuestionnaireScore.objects.create(
        intake=intake,
        instrument="nprs",
        version="own wording v1",
        display="6 / 10",
        value=6,
        items_answered=3,
        items_total=3,
        complete=True,
        scored=True,
    )
    return intake


@pytest.mark.parametrize(("role", "expected"), [("front_desk", 201), ("clinician", 201), ("clinic_admin", 403)])
def test_create_invitation_by_role(api, request, episode, role, expected, django_capture_on_commit_callbacks):
    api.force_authenticate(request.getfixturevalue(role))
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/intake-invitations/", {"episode": episode.pk, "channel": "email"}, format="json")
    assert response.status_code == expected
    assert IntakeInvitation.objects.filter(intake__episode=episode).exists() is (expected == 201)
    if expected == 201:
        # Delivery runs after the response is built: "Sending" then, "Sent" once delivered.
        assert response.data["status"] == "Sending"
        assert api.get(f"/api/intake-invitations/{response.data['id']}/").data["status"] == "Sent"
        assert "token" not in str(response.data).lower()


def test_create_for_other_clinics_episode_is_400_like_a_missing_one(api, front_desk, foreign_episode):
    api.force_authenticate(front_desk)
    foreign = api.post("/api/intake-invitations/", {"episode": foreign_episode.pk}, format="json")
    missing = api.post("/api/intake-invitations/", {"episode": 999999}, format="json")
    assert foreign.status_code == missing.status_code == 400
    assert foreign.data == missing.data
    assert not IntakeInvitation.objects.exists()


def test_create_without_consent_is_400_with_a_message(api, front_desk, episode):
    episode.patient.contact_consent = False
    episode.patient.save()
    api.force_authenticate(front_desk)
    response = api.post("/api/intake-invitations/", {"episode": episode.pk}, format="json")
    assert response.status_code == 400
    assert "agreed to receive messages" in str(response.data["channel"])


def test_resend_replaces_and_revoke_ends_the_link(api, front_desk, episode):
    api.force_authenticate(front_desk)
    first = api.post("/api/intake-invitations/", {"episode": episode.pk}, format="json").data
    second = api.post(f"/api/intake-invitations/{first['id']}/resend/").data
    assert api.get(f"/api/intake-invitations/{first['id']}/").data["status"] == "Link revoked"
    revoked = api.post(f"/api/intake-invitations/{second['id']}/revoke/")
    assert revoked.status_code == 200
    assert revoked.data["revoked_at"] is not None


def test_other_clinics_invitations_are_not_listed(api, front_desk, foreign_episode, clinician):
    other_staff = foreign_episode.lead_clinician
    api.force_authenticate(other_staff)
    api.post("/api/intake-invitations/", {"episode": foreign_episode.pk}, format="json")
    api.force_authenticate(front_desk)
    listed = api.get("/api/intake-invitations/")
    assert listed.status_code == 200
    assert listed.data["count"] == 0


@pytest.mark.parametrize(("role", "expected"), [("clinician", 200), ("front_desk", 403), ("clinic_admin", 403)])
def test_read_submitted_intake_by_role(api, request, submitted_intake, role, expected):
    user = request.getfixturevalue(role)
    api.force_authenticate(user)
    response = api.get(f"/api/intakes/{submitted_intake.pk}/")
    assert response.status_code == expected
    if expected == 200:
        assert response.data["scores"][0]["display"] == "6 / 10"
        assert AuditEvent.objects.filter(actor=user, action="intake.viewed", object_id=submitted_intake.pk).exists()


def test_unsubmitted_and_foreign_intakes_are_not_found(api, clinician, episode, foreign_episode):
    draft = Intake.objects.create(episode=episode, status=IntakeStatus.IN_PROGRESS)
    foreign = Intake.objects.create(episode=foreign_episode, status=IntakeStatus.SUBMITTED, submitted_at=timezone.now())
    api.force_authenticate(clinician)
    assert api.get(f"/api/intakes/{draft.pk}/").status_code == 404
    assert api.get(f"/api/intakes/{foreign.pk}/").status_code == 404
    assert api.get("/api/intakes/").data["count"] == 0


def test_listing_intakes_audits_each_patient_listed(api, clinician, submitted_intake, clinic):
    second = Intake.objects.create(
        episode=EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician),
        status=IntakeStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    api.force_authenticate(clinician)
    assert api.get("/api/intakes/").data["count"] == 2
    audited = AuditEvent.objects.filter(action="intake.listed", actor=clinician).values_list("patient_id", flat=True)
    assert sorted(audited) == sorted([submitted_intake.episode.patient_id, second.episode.patient_id])


def test_the_clinic_admin_sees_no_intake_links(api, clinician, clinic_admin, episode):
    """README's roles table: intake links are for clinicians and the front desk only."""
    api.force_authenticate(clinician)
    sent = api.post("/api/intake-invitations/", {"episode": episode.pk}, format="json")
    assert sent.status_code == 201, sent.data
    api.force_authenticate(clinic_admin)

    assert api.get("/api/intake-invitations/").status_code == 403
    assert api.get(f"/api/intake-invitations/{sent.data['id']}/").status_code == 403
