"""A home-program handout becomes ready even when the worker rendering it is killed or the
broker is down when the plan is signed.

The kill tests run ``celery -A clinic worker`` as a separate process on a private Redis and the
test database, and SIGKILL it while WeasyPrint is working on a long plan (every home exercise
of the library and a daily log for 30 weeks: several seconds of rendering).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plans import handouts
from plans.models import Handout, HandoutDelivery, HandoutStatus
from plans.tasks import sweep_handouts
from tests.factories import EpisodeFactory
from tests.integration.broker import (
    RedisServer,
    WorkerProcess,
    celery_on,
    private_redis,
    shared_database_url,
    wait_for,
    worker_thread,
)
from tests.integration.plans import sign_every_home_exercise

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RENDER_DEADLINE = 90.0


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _status(handout_id: int) -> str:
    return Handout.objects.get(pk=handout_id).status


def _assert_ready_pdf(handout_id: int, media_root: Path) -> None:
    handout = Handout.objects.get(pk=handout_id)
    assert handout.status == HandoutStatus.READY
    assert (media_root / handout.file.name).read_bytes().startswith(b"%PDF")


@contextlib.contextmanager
def _workers(redis: RedisServer, tmp_path) -> Iterator[Callable[[], WorkerProcess]]:
    """Start worker processes on demand; every one still running is killed at the end."""
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        worker = WorkerProcess(
            broker_url=redis.url,
            database_url=shared_database_url(),
            media_root=tmp_path / "media",
            log=tmp_path / "worker.log",
        )
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()


def _kill_mid_render(worker: WorkerProcess, handout_id: int, kill: Callable[[], object]) -> None:
    assert wait_for(lambda: _status(handout_id) == HandoutStatus.RENDERING, seconds=RENDER_DEADLINE), worker.output()
    kill()
    # The render had not finished: what follows really recovers from a kill mid-render.
    assert _status(handout_id) == HandoutStatus.RENDERING, "rendered before the kill: make the plan longer"


def test_a_pool_process_killed_mid_render_is_replaced_and_the_message_redelivered(episode, clinician, tmp_path):
    with private_redis() as redis, celery_on(redis.url), _workers(redis, tmp_path) as start_worker:
        worker = start_worker()
        handout_id = Handout.objects.get(version=sign_every_home_exercise(episode, clinician, weeks=30)).pk
        _kill_mid_render(worker, handout_id, worker.kill_child)
        # acks_late with reject_on_worker_lost: the main process puts the message back and a new
        # pool process renders it.
        assert wait_for(lambda: _status(handout_id) == HandoutStatus.READY, seconds=RENDER_DEADLINE), worker.output()
    _assert_ready_pdf(handout_id, tmp_path / "media")


def test_a_whole_worker_killed_mid_render_is_made_good_by_the_sweep(episode, clinician, tmp_path):
    with private_redis() as redis, celery_on(redis.url), _workers(redis, tmp_path) as start_worker:
        first = start_worker()
        handout_id = Handout.objects.get(version=sign_every_home_exercise(episode, clinician, weeks=30)).pk
        _kill_mid_render(first, handout_id, first.kill)
        # The message waits unacknowledged in Redis for the visibility timeout (an hour); the
        # sweep finds the row left rendering and queues it for the new worker.
        replacement = start_worker()
        assert sweep_handouts(older_than_seconds=0) == 1
        assert wait_for(lambda: _status(handout_id) == HandoutStatus.READY, seconds=RENDER_DEADLINE), (
            replacement.output()
        )
    _assert_ready_pdf(handout_id, tmp_path / "media")


def test_signing_and_retrying_while_the_broker_is_down_succeed_and_render_after_it(episode, clinician, tmp_path):
    failed_version = sign_every_home_exercise(episode, clinician, weeks=1)  # eager here: rendered at once
    # As a render that failed leaves it: no file, nothing sent to the patient yet.
    Handout.objects.filter(version=failed_version).update(
        status=HandoutStatus.FAILED,
        error="RuntimeError",
        file="",
        delivery=HandoutDelivery.WAITING,
        delivered_at=None,
        delivery_channel="",
    )
    second_episode = EpisodeFactory(patient__clinic=episode.patient.clinic, lead_clinician=clinician)
    with private_redis() as redis, celery_on(redis.url):
        redis.stop()
        signed = sign_every_home_exercise(second_episode, clinician, weeks=1)
        handouts.retry(actor=clinician, handout=Handout.objects.get(version=failed_version))
        owed = list(Handout.objects.filter(version__in=[signed, failed_version]).values_list("pk", flat=True))
        assert {_status(pk) for pk in owed} == {HandoutStatus.QUEUED}
        redis.start()
        with worker_thread():
            assert sweep_handouts(older_than_seconds=0) == 2
            assert wait_for(lambda: {_status(pk) for pk in owed} == {HandoutStatus.READY}, seconds=RENDER_DEADLINE)
    for pk in owed:
        _assert_ready_pdf(pk, tmp_path / "media")
