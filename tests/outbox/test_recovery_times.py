"""Lost background work is taken up again within the configured time: a queued patient message
whose task never ran, and a handout whose render was stranded (both clinic-wide settings)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clinic.celery import app
from clinic.outbox import dispatch
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from plans.models import Handout, HandoutStatus
from plans.tasks import sweep_handouts
from tests.plans.handout_helpers import signed_version

pytestmark = pytest.mark.django_db


def _queued(episode, seconds_ago: int) -> PatientMessage:
    at = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    return PatientMessage.objects.create(
        patient=episode.patient,
        episode=episode,
        kind=MessageKind.VISIT_NOTICE,
        subject_id=seconds_ago,
        due_at=at,
        status=MessageStatus.QUEUED,
        queued_at=at,
    )


@pytest.mark.parametrize(("after", "requeued"), [(90, {"lost"}), (30, {"lost", "waiting"})])
def test_a_queued_message_whose_task_never_ran_is_claimed_again_after_the_setting(settings, episode, after, requeued):
    settings.OUTBOX_REQUEUE_AFTER_SECONDS = after
    rows = {"lost": _queued(episode, 100), "waiting": _queued(episode, 45), "fresh": _queued(episode, 5)}

    dispatch.requeue_stuck()

    pending = {name for name, row in rows.items() if PatientMessage.objects.get(pk=row.pk).status == "pending"}
    assert pending == requeued


def test_a_stranded_render_is_queued_again_after_the_setting(settings, episode, monkeypatch):
    settings.HANDOUT_REQUEUE_AFTER_SECONDS = 120
    queued = []
    monkeypatch.setattr("plans.tasks.render_handout.delay", queued.append)
    stranded = signed_version(episode, [], handout=False)
    recent = signed_version(episode, [], handout=False, plan=stranded.plan)
    for version, seconds_ago in [(stranded, 150), (recent, 30)]:
        handout = Handout.objects.create(version=version, status=HandoutStatus.RENDERING)
        Handout.objects.filter(pk=handout.pk).update(
            updated_at=timezone.now() - datetime.timedelta(seconds=seconds_ago)
        )

    assert sweep_handouts() == 1
    assert queued == [stranded.handout.pk]


def test_the_sweeps_run_every_minute():
    # With the thresholds above, lost work is taken up within about two to three minutes.
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert schedule["plans.tasks.sweep_handouts"] == 60.0
    assert schedule["clinic.outbox.tasks.dispatch_patient_messages"] == 60.0
