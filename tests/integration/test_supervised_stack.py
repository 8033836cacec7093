"""The production processes under their supervisor, on a private Redis and the test database:
the worker survives its broker being killed while it is busy, and each process killed alone is
restarted alone, with nothing sent twice and nothing lost.

Visit notices (booking confirmations) are sent by text message through a backend that takes
0.1 s per message, so a batch keeps the worker's two pool processes busy for several seconds.
"""

from __future__ import annotations

import collections
import datetime
import time

import pytest
from django.utils import timezone

from clinic.models import WorkerHeartbeat
from clinic.outbox import dispatch
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.scheduling import services as scheduling
from tests.factories import EpisodeFactory
from tests.integration.broker import wait_for
from tests.integration.stack import FAST_RECOVERY, supervised

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Lost work is taken up by the next dispatch after the requeue threshold: this bound, plus time
# for the sends themselves, is what the tests allow (bench/recovery.py measures production's).
RECOVERY_BOUND = float(FAST_RECOVERY["OUTBOX_REQUEUE_AFTER_SECONDS"]) + float(
    FAST_RECOVERY["OUTBOX_DISPATCH_EVERY_SECONDS"]
)
SETTLE_SECONDS = 120.0


def _book(front_desk, episodes, *, days: int = 3) -> list[int]:
    starts_at = (timezone.now() + datetime.timedelta(days=days)).replace(second=0, microsecond=0)
    visits = []
    for index, episode in enumerate(episodes):
        visit = scheduling.appointment_book(
            actor=front_desk,
            episode=episode,
            clinician=episode.lead_clinician,
            starts_at=starts_at + datetime.timedelta(minutes=30 * index),
            override_reason="Reliability test",
        )
        visits.append(visit.pk)
    return visits


def _notices(visits: list[int]):
    return PatientMessage.objects.filter(kind=MessageKind.VISIT_NOTICE, subject_id__in=visits)


def _settled(visits: list[int]) -> bool:
    return not _notices(visits).exclude(status__in=[MessageStatus.SENT, MessageStatus.FAILED]).exists()


def _sms_patients(clinic, count: int):
    episodes = [EpisodeFactory(patient__clinic=clinic) for _ in range(count)]
    for episode in episodes:
        episode.patient.preferred_contact_channel = "sms"
        episode.patient.save()
    return episodes


def _assert_each_sent_once(stack, visits: list[int], episodes) -> collections.Counter:
    """Every notice sent exactly once, or failed as interrupted (the worker's send cut off) and
    sent at most once; nobody got two."""
    received = collections.Counter(stack.sms_recipients())
    assert max(received.values(), default=0) <= 1, received.most_common(3)
    outcomes = collections.Counter()
    for message in _notices(visits).select_related("patient"):
        phone = str(message.patient.mobile_phone)
        if message.status == MessageStatus.SENT:
            assert received[phone] == 1, (message.pk, message.status)
        else:
            assert (message.status, message.reason) == (MessageStatus.FAILED, dispatch.INTERRUPTED)
        outcomes[message.status] += 1
    assert sum(outcomes.values()) == len(episodes)
    return outcomes


def test_the_worker_survives_redis_killed_while_it_is_busy_and_nothing_is_lost_or_doubled(clinic, front_desk, tmp_path):
    waves = [_sms_patients(clinic, 25) for _ in range(3)]
    episodes = [episode for wave in waves for episode in wave]
    visits: list[int] = []
    with supervised(programs={"worker", "beat"}, folder=tmp_path) as (redis, stack):
        worker = stack.pid("worker")
        for wave in waves:
            # Busy: a wave of notices, some sent, the rest in the pool (unacknowledged) or waiting.
            sent_before = len(stack.sms_recipients())
            visits += _book(front_desk, wave)
            more_sent = lambda sent_before=sent_before: len(stack.sms_recipients()) > sent_before  # noqa: E731
            assert wait_for(more_sent, seconds=30), stack.output()
            redis.stop()
            time.sleep(2)
            redis.start()
            back = time.monotonic()
        assert wait_for(lambda: _settled(visits), seconds=SETTLE_SECONDS), stack.output()
        recovered = time.monotonic() - back
        # The same worker process throughout: broker loss never stopped it.
        assert stack.pid("worker") == worker, stack.output()
        assert "Unrecoverable error" not in stack.output()
    outcomes = _assert_each_sent_once(stack, visits, episodes)
    print(f"after the last outage, all settled in {recovered:.1f} s: {dict(outcomes)}")
    assert recovered <= RECOVERY_BOUND + 30


def _restarted(stack, name: str, old: int) -> bool:
    pid = stack.pid(name)
    return pid is not None and pid != old


def test_each_process_killed_is_restarted_alone_and_the_work_goes_on(clinic, front_desk, tmp_path):
    victims = ["web", "worker", "beat"]
    # The worker's wave is the largest, so that it is killed with most of it still to send.
    waves = {victim: _sms_patients(clinic, 40 if victim == "worker" else 12) for victim in victims}
    visits: list[int] = []
    timings = []
    with supervised(programs=set(victims), folder=tmp_path) as (_, stack):
        assert wait_for(lambda: (response := stack.get("/readyz/worker")) and response.ok, seconds=60), stack.output()
        for victim in victims:
            before = {name: stack.pid(name) for name in victims}
            sent_before = len(stack.sms_recipients())
            wave = _book(front_desk, waves[victim])
            visits += wave
            more_sent = lambda sent_before=sent_before: len(stack.sms_recipients()) > sent_before  # noqa: E731
            assert wait_for(more_sent, seconds=30), stack.output()
            killed_at, since_kill = time.monotonic(), timezone.now()
            stack.kill(victim)
            back = lambda victim=victim, old=before[victim]: _restarted(stack, victim, old)  # noqa: E731
            assert wait_for(back, seconds=60), stack.output()
            restarted = time.monotonic() - killed_at
            # The others were left alone.
            assert {name: stack.pid(name) for name in victims if name != victim} == {
                name: pid for name, pid in before.items() if name != victim
            }
            # The restarted process does its work again: the web answers, every notice is
            # settled, and the worker's heartbeat (beat queues it, a worker runs it) is fresh.
            assert wait_for(lambda: (response := stack.get("/healthz")) and response.ok, seconds=60), stack.output()
            assert wait_for(lambda wave=wave: _settled(wave), seconds=SETTLE_SECONDS), stack.output()
            settled = time.monotonic() - killed_at
            assert wait_for(lambda since_kill=since_kill: _heartbeat_after(since_kill), seconds=60), stack.output()
            assert stack.get("/readyz/worker").status_code == 200
            timings.append((victim, restarted, settled))
    outcomes = _assert_each_sent_once(stack, visits, [episode for wave in waves.values() for episode in wave])
    print(dict(outcomes))
    for victim, restarted, settled in timings:
        print(f"{victim} killed: restarted in {restarted:.1f} s, its wave settled {settled:.1f} s after the kill")
        assert restarted <= 10
        assert settled <= RECOVERY_BOUND + 30, dict(outcomes)


def _heartbeat_after(moment: datetime.datetime) -> bool:
    return WorkerHeartbeat.objects.filter(ran_at__gt=moment).exists()
