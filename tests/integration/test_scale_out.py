"""Two worker processes and two beat processes on one database and one Redis, as a scaled-out
deployment runs them: every patient message of a burst is sent exactly once, and killing one
worker and one beat midway loses none and doubles none.

Both beats queue the outbox dispatch every second, so their dispatches race for the same due
rows. With OUTBOX_REQUEUE_AFTER_SECONDS at 0, every dispatch takes each message still queued for
lost and claims it again, as if its send had gone with a broker: many messages have two or more
sends in the queue at once, and a send that finds its message no longer owed must send nothing. Each
worker writes its e-mails into a folder of its own, which says who sent what.
"""

from __future__ import annotations

import collections
import datetime
import re
import time

import pytest
import redis as redis_client
from django.utils import timezone

from clinic.models import ClinicThreshold
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.scheduling import services as scheduling
from tests.factories import EpisodeFactory
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

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PATIENTS = 60
SECOND_REMINDER = datetime.timedelta(hours=2)
# Every visit starts at the same second, this long after the booking begins (longer than the
# bookings take, 4 s on a quiet machine: a reminder already past when its visit is
# booked is not made), so that their reminders fall due together.
LEAD = datetime.timedelta(seconds=15)
INTERVALS = {
    "OUTBOX_DISPATCH_EVERY_SECONDS": "1",
    "OUTBOX_REQUEUE_AFTER_SECONDS": "0",
    "HANDOUT_SWEEP_EVERY_SECONDS": "60",
    "WORKER_HEARTBEAT_EVERY_SECONDS": "60",
    # Sends two to a task: still batches, with moments between them when no send is under way,
    # which is when the test kills a worker.
    "OUTBOX_SEND_BATCH": "2",
}
DEADLINE = 120.0
STALLED_DISPATCHES = 4
STALL = datetime.timedelta(seconds=1)
KILL_AFTER_REMINDERS = 5
# A single send returns whether it sent; a batch of the dispatcher's sends, how many it sent.
NOTHING_SENT = re.compile(r"send_patient_messages?\[[^\]]+\] succeeded in [\d.]+s: (?:False|0)\b")


@pytest.fixture(autouse=True)
def _reminder_clinic(clinic):
    """Reminders 2 hours before, in a time zone where it is early afternoon now, so that the
    clinic's quiet hours never hold one back whatever time the suite runs."""
    offset = 13 - timezone.now().hour  # Etc/GMT names carry the offset with the opposite sign
    clinic.time_zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    clinic.full_clean()
    clinic.save()
    ClinicThreshold.objects.create(clinic=clinic, key="reminder_first_hours", value=48)
    ClinicThreshold.objects.create(clinic=clinic, key="reminder_second_hours", value=2)


def _book_burst(front_desk, episodes) -> tuple[list[str], datetime.datetime]:
    """Book a visit for each episode's patient, each with a clinician of their own (the visits
    overlap); returns their addresses and when the reminders fall due. Each booking owes a
    confirmation at once (published at commit) and a reminder (left for the dispatcher)."""
    first = (timezone.now() + SECOND_REMINDER + LEAD).replace(microsecond=0)
    addresses = []
    for episode in episodes:
        scheduling.appointment_book(
            actor=front_desk,
            episode=episode,
            clinician=episode.lead_clinician,
            starts_at=first,
            override_reason="Scale-out test",
        )
        addresses.append(episode.patient.email)
    return addresses, first - SECOND_REMINDER


def _statuses() -> collections.Counter:
    return collections.Counter(PatientMessage.objects.values_list("status", flat=True))


def _reminders_sent() -> int:
    return PatientMessage.objects.filter(kind=MessageKind.SECOND, status=MessageStatus.SENT).count()


def _ready(worker: WorkerProcess) -> bool:
    return " ready." in worker.output()


def _kill_between_sends(victim: WorkerProcess, workers: list[WorkerProcess]) -> collections.Counter:
    """SIGKILL ``victim`` when it is not between handing an e-mail over and recording it: such a
    message is by design never sent again (it may have arrived), which is not what this test is
    about. All workers are stopped for the check, so a send still SENDING after a moment is one
    they were in; returns the statuses at the kill."""
    for _ in range(50):
        for worker in workers:
            worker.pause()
        time.sleep(0.5)
        if not PatientMessage.objects.filter(status=MessageStatus.SENDING).exists():
            victim.kill()
            statuses = _statuses()
            for worker in workers:
                if worker is not victim:
                    worker.resume()
            return statuses
        for worker in workers:
            worker.resume()
        time.sleep(0.05)
    pytest.fail("a worker was mid-send at every attempt to kill one")


def _sends_that_sent_nothing(worker: WorkerProcess) -> int:
    return len(NOTHING_SENT.findall(worker.log.read_text(errors="replace")))


def _stalled_past(due: datetime.datetime, port: int) -> bool:
    return timezone.now() >= due and _queued(port) >= STALLED_DISPATCHES


def _queued(port: int) -> int:
    return redis_client.Redis(port=port).llen("celery")


def test_two_workers_and_two_beats_send_every_message_once_even_when_one_of_each_is_killed(
    front_desk, clinic, tmp_path
):
    folders = {name: tmp_path / f"mail-{name}" for name in ("a", "b")}
    with private_redis() as redis, celery_on(redis.url):
        workers = {
            name: WorkerProcess(
                broker_url=redis.url,
                database_url=shared_database_url(),
                media_root=tmp_path / "media",
                log=tmp_path / f"worker-{name}.log",
                env={**INTERVALS, **mail_folder_env(folder)},
            )
            for name, folder in folders.items()
        }
        beats: dict[str, BeatProcess] = {}
        try:
            episodes = [EpisodeFactory(patient__clinic=clinic) for _ in range(PATIENTS)]
            for worker in workers.values():
                assert wait_for(lambda worker=worker: _ready(worker), seconds=DEADLINE), worker.output()
            started = time.monotonic()
            addresses, due = _book_burst(front_desk, episodes)
            booked = time.monotonic() - started
            assert timezone.now() < due, f"booking took {booked:.1f} s, past the reminders: lengthen LEAD"
            beats = {
                name: BeatProcess(
                    broker_url=redis.url,
                    schedule=tmp_path / f"beat-{name}-schedule",
                    log=tmp_path / f"beat-{name}.log",
                    env=INTERVALS,
                )
                for name in ("a", "b")
            }
            # The workers stall just before the reminders fall due while the beats keep ticking:
            # when they go on, every dispatch waiting in the queue claims all the reminders (again).
            assert wait_for(lambda: timezone.now() >= due - STALL, seconds=DEADLINE)
            for worker in workers.values():
                worker.pause()
            assert wait_for(lambda: _stalled_past(due, redis.port), seconds=DEADLINE)
            for worker in workers.values():
                worker.resume()
            assert wait_for(lambda: _reminders_sent() >= KILL_AFTER_REMINDERS, seconds=DEADLINE), _statuses()
            killed_at = _kill_between_sends(workers["a"], list(workers.values()))
            beats["a"].kill()
            assert wait_for(lambda: _statuses() == {MessageStatus.SENT: 2 * PATIENTS}, seconds=DEADLINE), (
                _statuses(),
                workers["b"].output(),
            )
            took = time.monotonic() - started
            # Sends queued twice may still be waiting: let the surviving worker run them (they
            # must send nothing) before the e-mails are counted.
            beats["b"].kill()
            assert wait_for(lambda: _queued(redis.port) == 0, seconds=DEADLINE), workers["b"].output()
            time.sleep(1)
        finally:
            for process in [*beats.values(), *workers.values()]:
                process.kill()
    print(f"\n{2 * PATIENTS} messages settled {took:.1f} s after the booking began ({booked:.1f} s of booking)")
    print(f"at the kill: {dict(killed_at)}")
    assert killed_at[MessageStatus.SENT] < 2 * PATIENTS, "all sent before the kill: kill earlier"
    doubles = sum(_sends_that_sent_nothing(worker) for worker in workers.values())
    print(f"sends that found their message no longer owed and sent nothing: {doubles}")

    sent = {name: mails_in(folder) for name, folder in folders.items()}
    print("e-mails per worker:", {name: len(mails) for name, mails in sent.items()})
    every = [mail for mails in sent.values() for mail in mails]
    reminders = sorted(mail["To"] for mail in every if mail["Subject"].startswith("Reminder: your visit"))
    confirmations = sorted(mail["To"] for mail in every if mail["Subject"].startswith(f"{clinic.name}: "))
    assert reminders == sorted(addresses)
    assert confirmations == sorted(addresses)
    assert len(every) == 2 * PATIENTS
    # Both were up before the burst was booked: each took part of it.
    assert all(sent.values()), {name: len(mails) for name, mails in sent.items()}
    # The stall made sure of it: sends were doubled, so each send's check was put to work.
    assert doubles > 0
