"""E-mails to staff are plain text: names and descriptions with &, <, > and quotes read as
written, never as HTML entities. Each is sent through its real path (the service, then the task)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from clinic import services as staff
from clinic.models import Clinic
from clinic.permissions import Role
from clinic.webhooks import services as webhooks
from clinic.webhooks import tasks as webhook_tasks
from clinic.webhooks.models import WebhookEndpoint
from intake import tasks as intake_tasks
from intake.models import RedFlag, RedFlagTier
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLINIC_NAME = """Chiropractic & Physio <North> "Best" O'Neil"""
STAFF_NAME = """Ann "Annie" O'Hara & <Co>"""
ADMIN_NAME = """Bea "Boss" O'Neil & <Admin>"""
ENTITIES = ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;")


@pytest.fixture(autouse=True)
def _clinic_name(clinic):
    Clinic.objects.filter(pk=clinic.pk).update(name=CLINIC_NAME)
    clinic.refresh_from_db()


@pytest.fixture
def admin(clinic):
    return UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN], full_name=ADMIN_NAME)


def _only_message():
    (message,) = mail.outbox
    text = f"{message.subject}\n{message.body}"
    assert [entity for entity in ENTITIES if entity in text] == []
    return message


def test_the_staff_invitation_names_the_person_and_clinic_as_written(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff.staff_create(actor=admin, email="ann@example.test", full_name=STAFF_NAME, roles=[Role.FRONT_DESK])
    message = _only_message()
    assert message.subject == f"Your account at {CLINIC_NAME}"
    assert f"Hello {STAFF_NAME}," in message.body
    assert f"An account has been created for you at {CLINIC_NAME}." in message.body


def test_an_account_notice_names_the_holder_clinic_and_admin_as_written(
    clinic, admin, django_capture_on_commit_callbacks
):
    colleague = UserFactory(clinic=clinic, roles=[Role.FRONT_DESK], full_name=STAFF_NAME)
    with django_capture_on_commit_callbacks(execute=True):
        staff.staff_update(actor=admin, staff=colleague, full_name=STAFF_NAME, roles=[Role.CLINICIAN], is_active=True)
    message = _only_message()
    assert message.subject == f"A change to your account at {CLINIC_NAME}"
    assert f"Hello {STAFF_NAME}," in message.body
    assert f"Your staff account at {CLINIC_NAME} was changed by {ADMIN_NAME} on " in message.body


def test_a_red_flag_alert_gives_the_flag_as_written(episode):
    label = """Night pain & "rest" pain <worse> when lying down, patient's words"""
    flag = RedFlag.objects.create(episode=episode, code="night_pain", tier=RedFlagTier.URGENT, label=label)
    assert intake_tasks.notify_red_flags([flag.pk]) == 1
    message = _only_message()
    assert f"- Urgent: {label}" in message.body


def test_the_webhook_disabled_notice_gives_the_endpoint_as_written(clinic_admin):
    description = """Billing & "Sync" <prod> O'Neil"""
    endpoint, _ = webhooks.endpoint_create(
        actor=clinic_admin,
        url="https://receiver.example.test/hooks",
        event_types=["plan.signed"],
        description=description,
    )
    reason = """5 failures in a row: HTTP 500 & <timeout> "gateway" isn't answering"""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=False, disabled_at=timezone.now(), disabled_reason=reason, notice_owed=True
    )
    mail.outbox.clear()
    assert webhook_tasks.notify_endpoint_disabled(endpoint.pk) is True
    message = _only_message()
    assert f"Endpoint: {description}\nReason: {reason}" in message.body
