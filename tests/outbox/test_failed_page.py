"""One list of every message to a patient that could not be sent, for the front desk."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from tests.factories import AppointmentFactory, EpisodeFactory

pytestmark = pytest.mark.django_db
URL = "/messages/failed/"


def _failed_message(episode, reason="The provider refused the number.", **fields) -> PatientMessage:
    return PatientMessage.objects.create(
        patient=episode.patient,
        episode=episode,
        kind=MessageKind.HANDOUT_READY,
        subject_id=1,
        due_at=timezone.now(),
        status=MessageStatus.FAILED,
        reason=reason,
        **fields,
    )


def _failed_reminder(episode, clinician, reason="The patient has no mobile phone number.") -> PatientMessage:
    start = timezone.now() + datetime.timedelta(days=1)
    visit = AppointmentFactory(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )
    return PatientMessage.objects.create(
        patient=episode.patient,
        episode=episode,
        kind=MessageKind.SECOND,
        subject_id=visit.pk,
        due_at=start - datetime.timedelta(hours=2),
        status=MessageStatus.FAILED,
        reason=reason,
    )


def test_the_url_is_named():
    assert reverse("failed_messages") == URL


@pytest.mark.parametrize("role", ["front_desk", "clinician", "clinic_admin"])
def test_every_failed_message_of_the_clinic_is_listed_and_the_reads_audited(request, client, role, episode, clinician):
    user = request.getfixturevalue(role)
    reminder_episode = EpisodeFactory(patient__clinic=episode.patient.clinic, lead_clinician=clinician)
    _failed_message(episode)
    _failed_reminder(reminder_episode, clinician)
    client.force_login(user)
    html = client.get(URL).content.decode()
    assert episode.patient.full_name in html
    assert "Home program ready" in html
    assert "The provider refused the number." in html
    assert reminder_episode.patient.full_name in html
    assert "Second visit reminder" in html
    assert "The patient has no mobile phone number." in html
    shown = AuditEvent.objects.filter(action="patient_message.failures_viewed", actor=user)
    assert set(shown.values_list("patient_id", flat=True)) == {episode.patient_id, reminder_episode.patient_id}


def test_sent_and_waiting_messages_and_another_clinics_are_not_listed(client, front_desk, episode, foreign_episode):
    _failed_message(foreign_episode, reason="Refused abroad.")
    PatientMessage.objects.create(
        patient=episode.patient,
        episode=episode,
        kind=MessageKind.VISIT_NOTICE,
        subject_id=1,
        due_at=timezone.now(),
        status="pending",
    )
    client.force_login(front_desk)
    html = client.get(URL).content.decode()
    assert foreign_episode.patient.full_name not in html
    assert "Refused abroad." not in html
    assert "Every message to a patient went out." in html


def test_the_list_is_paginated_and_its_queries_do_not_grow(client, front_desk, clinic, clinician):
    episode = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    _failed_message(episode)
    client.force_login(front_desk)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    for _ in range(55):
        _failed_message(EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician))
    with CaptureQueriesContext(connection) as large:
        html = client.get(URL).content.decode()
    assert len(large) <= len(small)
    assert html.count("The provider refused the number.") == 50
    assert "Page 1 of 2" in html
    assert client.get(URL, {"page": 2}).content.decode().count("The provider refused the number.") == 6


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(URL).status_code == 302
