"""The wording of messages to patients: placeholders per kind, unknown ones refused by name,
defaults that fill, one kind of wording per reminder kind."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinic.outbox import wording
from clinic.outbox.models import PER_VISIT_TYPE, REMINDERS, MessageKind, MessageWording, WordingKind


@pytest.mark.parametrize(
    ("text", "kind", "unknown"),
    [
        ("Hello {first_name}, see you {visit_day} at {visit_time}.", "first", []),
        ("Hello { first_name }", "second", []),
        ("Hello {firstname}", "first", ["firstname"]),
        ("{visit_day} {plan_end_day} {visit_day2} {plan_end_day}", "first", ["plan_end_day", "visit_day2"]),
        ("Your plan ends {plan_end_day}", "reassessment", []),
        ("Your visit is {visit_day}", "check_in", ["visit_day"]),
        ("Sent {sent_day}", "intake_nudge", []),
        ("Empty {}", "first", [""]),
        ("No placeholders at all.", "check_in", []),
    ],
)
def test_unknown_placeholders(text, kind, unknown):
    assert wording.unknown_placeholders(text, kind) == unknown


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("Hi {first_name}!", {"first_name": "Alex"}, "Hi Alex!"),
        ("Hi { first_name }", {"first_name": "Alex"}, "Hi Alex"),
        ("{a}{b}", {"a": "1", "b": "2"}, "12"),
        ("Left {unknown} as typed", {}, "Left {unknown} as typed"),
    ],
)
def test_fill(text, values, expected):
    assert wording.fill(text, values) == expected


def test_every_reminder_kind_has_its_wording_kind_with_the_same_label():
    assert {kind: WordingKind(kind).label for kind in REMINDERS} == {
        kind: MessageKind(kind).label for kind in REMINDERS
    }
    assert set(PER_VISIT_TYPE) == {MessageKind.FIRST, MessageKind.SECOND}


def test_every_wording_kind_has_a_default_and_its_placeholders():
    assert set(wording.DEFAULTS) == set(WordingKind.values) == set(wording.BY_KIND)


@pytest.mark.parametrize("kind", list(wording.DEFAULTS))
def test_every_shipped_default_uses_only_its_kinds_placeholders_and_fills_completely(kind):
    default = wording.DEFAULTS[kind]
    for text in (default.subject, default.body, default.sms_body):
        assert wording.unknown_placeholders(text, kind) == []
        assert "{" not in wording.fill(text, wording.SAMPLE)
    assert len(wording.fill(default.sms_body, wording.SAMPLE)) <= 160


def test_saving_wording_with_an_unknown_placeholder_names_it(clinic):
    template = MessageWording(
        clinic=clinic, kind="first", subject="Visit {visit_day}", body="Hello {frist_name}", sms_body="Hi"
    )
    with pytest.raises(ValidationError) as error:
        template.full_clean()
    assert list(error.value.message_dict) == ["body"]
    assert "Unknown placeholder {frist_name}" in error.value.message_dict["body"][0]


def test_the_database_refuses_a_second_wording_for_the_same_kind(clinic):
    MessageWording.objects.create(clinic=clinic, kind="check_in", subject="s", body="b", sms_body="t")
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageWording.objects.create(clinic=clinic, kind="check_in", subject="s2", body="b2", sms_body="t2")


def test_the_database_refuses_a_visit_type_on_a_non_visit_reminder(clinic):
    from clinic.scheduling.models import AppointmentType

    visit_type = AppointmentType.objects.create(clinic=clinic, kind="follow_up", name="Follow-up", minutes=30)
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageWording.objects.create(
            clinic=clinic, kind="check_in", appointment_type=visit_type, subject="s", body="b", sms_body="t"
        )
