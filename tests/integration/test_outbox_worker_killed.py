"""A real worker process killed after the provider accepted a patient message, before the
outcome was recorded: the redelivered task sends nothing, the row is failed for the front desk.

The worker sends text messages through ``tests.integration.stalling_sms``, which writes the
message to a folder and then hangs, so the test kills the pool process at exactly that moment.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from clinic.contact_changes import services as contact_changes
from clinic.models import ContactChange, ContactChangeNotice
from clinic.outbox import dispatch, selectors
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.scheduling import services as scheduling
from tests.integration.broker import WorkerProcess, celery_on, private_redis, shared_database_url, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DEADLINE = 60.0
REDELIVERED_NOTHING_SENT = re.compile(r"send_patient_message\[[^\]]+\] succeeded in [\d.]+s: False")


def _sent(folder: Path) -> int:
    return len(list(folder.glob("*.txt"))) if folder.exists() else 0


def test_a_visit_notice_is_sent_once_when_the_worker_dies_after_the_provider_took_it(
    episode, front_desk, clinician, tmp_path
):
    patient = episode.patient
    patient.preferred_contact_channel = "sms"
    patient.save()
    folder = tmp_path / "sms"
    with private_redis() as redis, celery_on(redis.url):
        worker = WorkerProcess(
            broker_url=redis.url,
            database_url=shared_database_url(),
            media_root=tmp_path / "media",
            log=tmp_path / "worker.log",
            env={"SMS_BACKEND": "tests.integration.stalling_sms.SendThenStall", "STALL_SMS_DIR": str(folder)},
        )
        try:
            visit = scheduling.appointment_book(
                actor=front_desk,
                episode=episode,
                clinician=clinician,
                starts_at=(timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0),
                override_reason="test",
            )
            message = PatientMessage.objects.get(kind=MessageKind.VISIT_NOTICE, subject_id=visit.pk)
            assert wait_for(lambda: _sent(folder) == 1, seconds=DEADLINE), worker.output()
            assert PatientMessage.objects.get(pk=message.pk).status == MessageStatus.SENDING
            worker.kill_child()
            # acks_late with reject_on_worker_lost: a new pool process runs the task again, which
            # finds the row sending and sends nothing.
            assert wait_for(lambda: REDELIVERED_NOTHING_SENT.search(worker.output()), seconds=DEADLINE), worker.output()
        finally:
            worker.kill()
    assert _sent(folder) == 1
    assert dispatch.settle_interrupted(older_than=datetime.timedelta(0)) == 1
    message.refresh_from_db()
    assert (message.status, message.reason) == (MessageStatus.FAILED, dispatch.INTERRUPTED)
    assert dispatch.deliver(message_id=message.pk) is False
    assert _sent(folder) == 1
    page = selectors.failed_messages(user=front_desk, page_number=1)
    assert [(row.patient.pk, row.reason) for row in page] == [(patient.pk, dispatch.INTERRUPTED)]


def test_a_contact_change_notice_is_sent_once_when_the_worker_dies_after_the_provider_took_it(
    patient, front_desk, tmp_path
):
    old_phone = str(patient.mobile_phone)
    folder = tmp_path / "sms"
    with private_redis() as redis, celery_on(redis.url):
        worker = WorkerProcess(
            broker_url=redis.url,
            database_url=shared_database_url(),
            media_root=tmp_path / "media",
            log=tmp_path / "worker.log",
            env={"SMS_BACKEND": "tests.integration.stalling_sms.SendThenStall", "STALL_SMS_DIR": str(folder)},
        )
        try:
            # A new number only: the number on record is told, by text message.
            with transaction.atomic():
                change = contact_changes.propose(
                    patient=patient, email=patient.email, mobile_phone="+13125550199", channel="sms"
                )
            message = PatientMessage.objects.get(kind=MessageKind.CONTACT_CHANGE, subject_id=change.pk)
            assert message.channel == "sms"
            assert wait_for(lambda: _sent(folder) == 1, seconds=DEADLINE), worker.output()
            assert PatientMessage.objects.get(pk=message.pk).status == MessageStatus.SENDING
            worker.kill_child()
            assert wait_for(lambda: REDELIVERED_NOTHING_SENT.search(worker.output()), seconds=DEADLINE), worker.output()
        finally:
            worker.kill()
    assert _sent(folder) == 1
    assert f"To: {old_phone}" in next(folder.glob("*.txt")).read_text(encoding="utf-8")
    assert dispatch.settle_interrupted(older_than=datetime.timedelta(0)) == 1
    message.refresh_from_db()
    assert (message.status, message.reason) == (MessageStatus.FAILED, dispatch.INTERRUPTED)
    assert dispatch.deliver(message_id=message.pk) is False
    assert _sent(folder) == 1
    assert ContactChange.objects.get(pk=change.pk).notice == ContactChangeNotice.FAILED
    page = selectors.failed_messages(user=front_desk, page_number=1)
    assert [(row.patient.pk, row.what, row.reason) for row in page] == [
        (patient.pk, "Contact details change asked for", dispatch.INTERRUPTED)
    ]
