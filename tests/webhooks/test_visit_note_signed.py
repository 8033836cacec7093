"""``visit_note.signed``: owed by signing a note (not by opening, saving or a refused signature),
with ids only, sent after the signature commits."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.webhooks import sending
from clinic.webhooks.models import WebhookDelivery
from clinic.webhooks.rules import EVENT_LABELS, EventType
from notes import rules, services
from tests.factories import AppointmentFactory
from tests.notes.conftest import complete
from tests.plans.helpers import api_client

# In the note's text: none of it may reach a receiver.
SECRET = "Zebraquail"


@pytest.fixture
def visit(episode):
    starts = timezone.now() + datetime.timedelta(hours=1)
    return AppointmentFactory(episode=episode, starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30))


@pytest.fixture
def note(clinician, visit):
    note = services.note_open(actor=clinician, appointment=visit)
    services.note_save(
        actor=clinician,
        note=note,
        values={"function": SECRET, "new_symptoms": SECRET},
        lines=[
            (
                None,
                rules.LineDraft(
                    prong="manipulation", name="Lumbar HVLA", region="L4", technique="Side posture", minutes=5
                ),
            )
        ],
    )
    return complete(note, clinician)


def _owed() -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(event_type="visit_note.signed").order_by("pk"))


def test_the_event_is_listed_for_subscription():
    assert EventType("visit_note.signed") in EVENT_LABELS


def test_signing_owes_the_event_with_ids_only_and_queues_it_after_the_commit(
    make_endpoint, clinician, note, visit, episode, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(events=["visit_note.signed"])

    with django_capture_on_commit_callbacks() as queued:
        services.note_sign(actor=clinician, note=note)

    [delivery] = _owed()
    assert delivery.endpoint == endpoint
    assert delivery.payload["type"] == "visit_note.signed"
    assert delivery.payload["clinic"] == episode.patient.clinic_id
    assert delivery.payload["data"] == {"episode": episode.pk, "appointment": visit.pk, "visit_note": note.pk}
    assert set(delivery.payload) == {"id", "type", "occurred_at", "clinic", "data"}
    assert SECRET not in json.dumps(delivery.payload)
    assert len(queued) == 1


def test_opening_saving_and_a_refused_signature_owe_nothing(make_endpoint, clinician, episode):
    make_endpoint(events=["visit_note.signed"])
    bare = services.note_open(actor=clinician, appointment=AppointmentFactory(episode=episode))
    services.note_save(actor=clinician, note=bare, values={"function": "Walks"}, lines=[])

    with pytest.raises(ValidationError):
        services.note_sign(actor=clinician, note=bare)

    assert _owed() == []


def test_a_signature_rolled_back_owes_nothing(make_endpoint, clinician, note, django_capture_on_commit_callbacks):
    make_endpoint(events=["visit_note.signed"])

    with django_capture_on_commit_callbacks() as queued, transaction.atomic():
        services.note_sign(actor=clinician, note=note)
        transaction.set_rollback(True)

    assert _owed() == []
    assert queued == []


def test_an_endpoint_not_subscribed_is_owed_nothing(make_endpoint, clinician, note):
    make_endpoint(events=["plan.signed"])

    services.note_sign(actor=clinician, note=note)

    assert _owed() == []


def test_signing_through_the_api_sends_the_signed_event_to_the_receiver(
    make_endpoint, receiver, clinician, note, visit, episode
):
    make_endpoint(url=receiver.url, events=["visit_note.signed"])

    response = api_client(clinician).post(f"/api/visit-notes/{note.pk}/sign/")
    [delivery] = _owed()
    assert response.status_code == 200, response.data
    assert sending.send(delivery_id=delivery.pk) is True

    [received] = receiver.requests
    body = json.loads(received.body)
    assert received.headers["Stride-Event-Type"] == "visit_note.signed"
    assert body["data"] == {"episode": episode.pk, "appointment": visit.pk, "visit_note": note.pk}
    assert SECRET.encode() not in received.body


def test_a_clinic_admin_subscribes_to_the_event_through_the_api(clinic_admin):
    response = api_client(clinic_admin).post(
        "/api/webhooks/",
        {"url": "https://receiver.example.test/notes", "event_types": ["visit_note.signed"]},
        format="json",
    )

    assert response.status_code == 201, response.data
    assert response.data["event_types"] == ["visit_note.signed"]
