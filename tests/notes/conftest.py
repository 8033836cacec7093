from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from notes import rules, services
from tests.factories import AppointmentFactory, SignedPlanFactory


@pytest.fixture
def signed_plan(episode):
    return SignedPlanFactory(assessment__episode=episode)


@pytest.fixture
def visit(episode, signed_plan):
    """A follow-up visit an hour after the plan was signed."""
    starts = timezone.now() + datetime.timedelta(hours=1)
    return AppointmentFactory(episode=episode, starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30))


COMPLETE = {
    "pain_now": 3,
    "pain_since_last": 5,
    "response": "better",
    "response_text": "Runs 5 km without pain",
    "next_visit": "Repeat; progress clamshells",
    "total_minutes": 30,
    "timed_minutes": 20,
}


def filled(item) -> rules.LineDraft:
    return rules.LineDraft(
        prong=item.prong, name=item.name, region="L4", technique="side posture", sets=3, reps="10", minutes=5
    )


def complete(note, actor):
    """Fill every element signing needs, through the service."""
    lines = [(item, filled(item)) for item in note.items.all()]
    return services.note_save(actor=actor, note=note, values=COMPLETE, lines=lines)


STAFF_BACKEND = "clinic.backends.StaffBackend"


def signed_in(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client


def note_form_data(note, **changes) -> dict:
    """The edit form as the page posts it, every line delivered with a full dose."""
    data = {
        "pain_now": "3",
        "pain_since_last": "5",
        "function": "Runs 5 km",
        "adherence": note.adherence,
        "new_symptoms": "",
        "response": "better",
        "response_text": "Less pain on stairs",
        "next_visit": "Repeat",
        "changes": "",
        "total_minutes": "30",
        "timed_minutes": "20",
        "action": "save",
    }
    for index, _ in enumerate(note.items.all()):
        data |= {
            f"line-{index}-status": "delivered",
            f"line-{index}-region": "L4",
            f"line-{index}-technique": "side posture",
            f"line-{index}-sets": "3",
            f"line-{index}-reps": "10",
            f"line-{index}-minutes": "5",
        }
    return data | changes
