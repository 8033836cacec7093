"""A home-program version whose render was stranded (its worker killed mid-render) is recovered
by the sweep after a newer version was signed and sent: the patient never gets the older
program after the newer one, and the newer one's message goes once.

Real processes throughout: a worker killed mid-render, then a worker and beat with short
sweep intervals (HANDOUT_SWEEP_EVERY_SECONDS, HANDOUT_REQUEUE_AFTER_SECONDS) through the
environment, as production sets them; the workers write their e-mails into folders. Beat starts
once the newer version's message is sent, as when the sweep's threshold outlasts the newer
version's trip: the order the test is about then holds however loaded the machine is, without a
threshold long enough to cover the slowest trip.
"""

from __future__ import annotations

import datetime
import time

import pytest
from django.utils import timezone

from clinic.outbox.models import UNSENT, MessageKind, MessageStatus, PatientMessage
from clinic.portal.home_program_messages import SUPERSEDED
from plans import services
from plans.models import Handout, HandoutDelivery, HandoutStatus, PlanStatus, PlanVersion, TreatmentPlan
from tests.integration.broker import (
    BeatProcess,
    WorkerProcess,
    celery_on,
    mail_folder_env,
    mails_in,
    private_redis,
    shared_database_url,
    wait_for,
)
from tests.integration.plans import sign_every_home_exercise

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SWEEP_EVERY = 2
# Shorter than the older version's render: the sweep may queue it again while it renders, which
# the render shrugs off (a ready handout is not rendered again).
REQUEUE_AFTER = 3
INTERVALS = {
    "HANDOUT_SWEEP_EVERY_SECONDS": str(SWEEP_EVERY),
    "HANDOUT_REQUEUE_AFTER_SECONDS": str(REQUEUE_AFTER),
    "OUTBOX_DISPATCH_EVERY_SECONDS": "1",
}
# Beyond the bound: the sweep's task waiting in the queue behind a render, and a loaded machine.
MARGIN = 8.0
DEADLINE = 90.0


def _sign_second(plan: TreatmentPlan, clinician) -> PlanVersion:
    """The plan amended (a short one this time, quick to render) and signed again."""
    plan.refresh_from_db()
    plan.status, plan.weeks = PlanStatus.DRAFT, 1
    plan.save()
    return services.plan_sign(actor=clinician, plan=plan)


def _handout(version: PlanVersion) -> Handout:
    return Handout.objects.get(version=version)


def _message_of(handout: Handout) -> PatientMessage | None:
    return PatientMessage.objects.filter(kind=MessageKind.HANDOUT_READY, subject_id=handout.pk).first()


def _settled(handout: Handout) -> bool:
    message = _message_of(handout)
    return message is not None and message.status not in (*UNSENT, MessageStatus.SENDING)


def test_a_stranded_older_version_is_recovered_after_the_newer_one_was_sent_and_never_reaches_the_patient(
    episode, clinician, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    patient = episode.patient
    folders = {name: tmp_path / f"mail-{name}" for name in ("lost", "recovering")}

    def worker(name: str) -> WorkerProcess:
        return WorkerProcess(
            broker_url=redis.url,
            database_url=shared_database_url(),
            media_root=tmp_path / "media",
            log=tmp_path / f"worker-{name}.log",
            env={**INTERVALS, **mail_folder_env(folders[name])},
        )

    with private_redis() as redis, celery_on(redis.url):
        processes: list[WorkerProcess | BeatProcess] = []
        try:
            lost = worker("lost")
            processes.append(lost)
            first = _handout(sign_every_home_exercise(episode, clinician, weeks=30))
            assert wait_for(lambda: _handout(first.version).status == HandoutStatus.RENDERING, seconds=DEADLINE), (
                lost.output()
            )
            lost.kill()
            # Stranded mid-render: its message waits unacknowledged in Redis for an hour.
            stranded = _handout(first.version)
            assert stranded.status == HandoutStatus.RENDERING, "rendered before the kill: make the plan longer"

            second = _handout(_sign_second(first.version.plan, clinician))
            recovering = worker("recovering")
            processes.append(recovering)
            assert wait_for(lambda: _settled(second), seconds=DEADLINE), recovering.output()
            assert _message_of(second).status == MessageStatus.SENT
            newer_sent_at = _message_of(second).sent_at
            assert _handout(first.version).attempts == 1, "the older version was recovered before the newer was sent"

            beat = BeatProcess(
                broker_url=redis.url, schedule=tmp_path / "beat-schedule", log=tmp_path / "beat.log", env=INTERVALS
            )
            processes.append(beat)
            assert wait_for(lambda: "beat: Starting..." in beat.output(), seconds=DEADLINE), beat.output()
            beating = timezone.now()
            assert wait_for(lambda: _handout(first.version).attempts > 1, seconds=DEADLINE), beat.output()
            taken_up = timezone.now()
            assert wait_for(lambda: _settled(first), seconds=DEADLINE), recovering.output()
            done = timezone.now()
            # Let a second send of either message, had one been queued, run before counting.
            time.sleep(2)
        finally:
            for process in processes:
                process.kill()

    # Stale and beat running: the sweep takes it up within its interval.
    owed_since = max(stranded.updated_at + datetime.timedelta(seconds=REQUEUE_AFTER), beating)
    recovery = (taken_up - owed_since).total_seconds()
    bound = SWEEP_EVERY
    print(
        f"\nversion 1 taken up again {recovery:.1f} s after it was stale and beat was up"
        f" (bound {bound} s + {MARGIN:.0f} s margin),"
        f" its message settled {(done - stranded.updated_at).total_seconds():.1f} s after;"
        f" version 2's message sent {(newer_sent_at - stranded.updated_at).total_seconds():.1f} s after"
    )
    assert recovery <= bound + MARGIN

    older = _handout(first.version)
    assert older.status == HandoutStatus.READY
    assert (older.delivery, older.delivery_error) == (HandoutDelivery.NOT_SENT, SUPERSEDED)
    assert (_message_of(older).status, _message_of(older).reason) == (MessageStatus.SKIPPED, SUPERSEDED)
    assert _handout(second.version).delivery == HandoutDelivery.SENT

    received = [mail for folder in folders.values() for mail in mails_in(folder) if mail["To"] == patient.email]
    assert [mail["Subject"] for mail in received] == [f"{patient.clinic.name}: your updated home program"]
    # The order the test is about: the older version's message was settled after the newer was sent.
    assert _message_of(older).updated_at > newer_sent_at
