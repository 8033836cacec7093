"""Receiving a runner's device file and reading it in the worker (running/services/uploads.py)."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinic.models import AuditEvent
from running import tasks
from running.devices.fit_writer import run_fit
from running.models import DuplicateDecision, Run, RunFile, RunFileStatus, RunSource
from running.services import uploads
from tests.running.files_fixtures import START, fit_upload, gpx, tcx, upload


def received(episode, file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = uploads.receive_file(episode, file)
    row.refresh_from_db()
    return row


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_a_fit_file_becomes_a_run(episode, eager, django_capture_on_commit_callbacks):
    row = received(episode, fit_upload("Jane's morning run.fit", pause=(300, 120)), django_capture_on_commit_callbacks)
    assert row.status == RunFileStatus.PARSED
    assert row.sha256 == hashlib.sha256(run_fit(pause=(300, 120))).hexdigest()
    assert row.original_name == "Jane_s morning run.fit"
    assert row.file.name.startswith("run-files/")
    assert "Jane" not in row.file.name
    run = row.run
    assert run.source == RunSource.FILE
    assert (run.distance_m, run.moving_s, run.elapsed_s, run.step_rate) == (1800, 600, 720, 171)
    assert run.started_at == START
    assert run.pain_during is None
    assert run.rpe is None
    assert row.metrics["distance_source"] == "device"
    assert AuditEvent.objects.filter(action="run.added_from_file", object_id=run.pk).exists()


def test_the_day_is_the_patients_local_date(episode, eager, django_capture_on_commit_callbacks):
    episode.patient.clinic.time_zone = "Pacific/Auckland"
    episode.patient.clinic.save()
    row = received(episode, fit_upload(), django_capture_on_commit_callbacks)  # 07:00 UTC is 20:00 in Auckland
    assert row.run.local_date == datetime.date(2026, 11, 2)
    late = run_fit(start=datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC), serial=5)
    row = received(episode, upload("late.fit", late), django_capture_on_commit_callbacks)
    assert row.run.local_date == datetime.date(2026, 11, 3)


def test_a_treadmill_run_is_indoor(episode, eager, django_capture_on_commit_callbacks):
    row = received(episode, fit_upload(positions=False, sub_sport="treadmill"), django_capture_on_commit_callbacks)
    assert row.run.indoor is True
    assert row.run.distance_m == 1800


def test_a_gpx_without_positions_asks_for_the_distance(episode, eager, django_capture_on_commit_callbacks):
    row = received(episode, upload("treadmill.gpx", gpx(positions=False)), django_capture_on_commit_callbacks)
    assert row.status == RunFileStatus.NEEDS_DISTANCE
    assert row.run is None
    uploads.add_distance(run_file=row, distance_m=4200)
    row.refresh_from_db()
    assert row.status == RunFileStatus.PARSED
    assert (row.run.distance_m, row.run.indoor) == (4200, True)
    with pytest.raises(ValidationError):
        uploads.add_distance(run_file=row, distance_m=4200)


def test_a_gpx_without_times_fails_with_a_plain_message(episode, eager, django_capture_on_commit_callbacks):
    row = received(episode, upload("run.gpx", gpx(times=False)), django_capture_on_commit_callbacks)
    assert row.status == RunFileStatus.FAILED
    assert "no times" in row.error
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("run.fit", b"", "empty"),
        ("run.txt", run_fit(), "extension"),
        ("run.fit", b"<gpx version='1.1'></gpx>", "content"),  # a GPX renamed .fit
        ("run.fit", b"MZ\x90\x00 an executable renamed", "content"),
        ("run.gpx", run_fit(), "content"),
    ],
)
def test_files_refused_on_arrival(episode, name, content, code):
    with pytest.raises(ValidationError) as refused:
        uploads.receive_file(episode, upload(name, content))
    assert refused.value.code == code
    assert not RunFile.objects.exists()


def test_a_file_over_the_size_limit_is_refused(episode, settings):
    settings.RUN_FILE_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        uploads.receive_file(episode, fit_upload())
    assert refused.value.code == "too_big"


def test_an_exact_duplicate_is_refused(episode, eager, django_capture_on_commit_callbacks):
    received(episode, fit_upload(), django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as refused:
        uploads.receive_file(episode, fit_upload("renamed.fit"))
    assert refused.value.messages == [uploads.EXACT_DUPLICATE]
    assert RunFile.objects.count() == 1


def test_the_database_refuses_the_same_hash_twice_in_an_episode(episode, eager, django_capture_on_commit_callbacks):
    row = received(episode, fit_upload(), django_capture_on_commit_callbacks)
    with pytest.raises(IntegrityError), transaction.atomic():
        RunFile.objects.create(episode=episode, kind="fit", size=1, sha256=row.sha256, file="run-files/x.fit")


def test_the_same_run_as_gpx_goes_to_the_clinician(episode, clinician, eager, django_capture_on_commit_callbacks):
    first = received(episode, fit_upload(seconds=600), django_capture_on_commit_callbacks)
    second = received(episode, upload("run.gpx", gpx(seconds=600)), django_capture_on_commit_callbacks)
    assert second.status == RunFileStatus.PROBABLE_DUPLICATE
    assert second.duplicate_of == first.run
    assert second.run is None
    uploads.decide_duplicate(actor=clinician, run_file=second, decision=DuplicateDecision.SAME)
    second.refresh_from_db()
    assert second.status == RunFileStatus.DUPLICATE
    assert Run.objects.count() == 1
    assert AuditEvent.objects.filter(action="run_file.duplicate_decided", actor=clinician).exists()
    with pytest.raises(ValidationError):
        uploads.decide_duplicate(actor=clinician, run_file=second, decision=DuplicateDecision.DIFFERENT)


def test_different_runs_keep_both(episode, clinician, eager, django_capture_on_commit_callbacks):
    received(episode, fit_upload(), django_capture_on_commit_callbacks)
    second = received(episode, upload("run.tcx", tcx()), django_capture_on_commit_callbacks)
    assert second.status == RunFileStatus.PROBABLE_DUPLICATE
    uploads.decide_duplicate(actor=clinician, run_file=second, decision=DuplicateDecision.DIFFERENT)
    second.refresh_from_db()
    assert second.status == RunFileStatus.PARSED
    assert Run.objects.count() == 2


def test_the_same_fit_identity_later_is_a_probable_duplicate(episode, eager, django_capture_on_commit_callbacks):
    received(episode, fit_upload(), django_capture_on_commit_callbacks)
    # The same file_id with other content (a re-export with a corrected record).
    again = run_fit(seconds=601)
    row = received(episode, upload("again.fit", again), django_capture_on_commit_callbacks)
    assert row.status == RunFileStatus.PROBABLE_DUPLICATE


def test_a_run_on_another_day_is_no_duplicate(episode, eager, django_capture_on_commit_callbacks):
    received(episode, fit_upload(), django_capture_on_commit_callbacks)
    later = run_fit(start=START + datetime.timedelta(days=1), serial=7)
    assert received(episode, upload("b.fit", later), django_capture_on_commit_callbacks).status == "parsed"


def test_another_patients_runs_are_never_duplicates(
    episode, foreign_episode, eager, django_capture_on_commit_callbacks
):
    received(episode, fit_upload(), django_capture_on_commit_callbacks)
    row = received(foreign_episode, fit_upload(), django_capture_on_commit_callbacks)
    assert row.status == RunFileStatus.PARSED


def test_reading_twice_changes_nothing(episode, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = uploads.receive_file(episode, fit_upload())
    assert tasks.parse_run_file(row.pk) is True
    row.refresh_from_db()
    run_id, updated = row.run_id, row.updated_at
    assert tasks.parse_run_file(row.pk) is False
    row.refresh_from_db()
    assert (row.run_id, row.updated_at) == (run_id, updated)
    assert Run.objects.count() == 1
    assert tasks.parse_run_file(10**9) is False  # a file gone


def _queued(monkeypatch) -> list:
    calls = []
    monkeypatch.setattr(tasks.parse_run_file, "delay", lambda *ids: calls.append(ids))
    return calls


def test_the_task_is_queued_with_the_id_only_after_commit(episode, django_capture_on_commit_callbacks, monkeypatch):
    queued = _queued(monkeypatch)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = uploads.receive_file(episode, fit_upload())
    assert queued == []
    for callback in callbacks:
        callback()
    assert queued == [(row.pk,)]


def test_a_lost_stored_file_fails_plainly(episode, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = uploads.receive_file(episode, fit_upload())
    row.file.storage.delete(row.file.name)
    tasks.parse_run_file(row.pk)
    row.refresh_from_db()
    assert (row.status, row.error) == (RunFileStatus.FAILED, uploads.LOST)


def test_a_reading_cut_off_too_often_fails(episode, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = uploads.receive_file(episode, fit_upload())
    RunFile.objects.filter(pk=row.pk).update(status=RunFileStatus.PARSING, attempts=uploads.MAX_ATTEMPTS)
    assert tasks.parse_run_file(row.pk) is False
    row.refresh_from_db()
    assert (row.status, row.error) == (RunFileStatus.FAILED, uploads.TOO_SLOW)


def test_the_sweep_requeues_stuck_files(episode, django_capture_on_commit_callbacks, monkeypatch):
    with django_capture_on_commit_callbacks(execute=False):
        row = uploads.receive_file(episode, fit_upload())
    queued = _queued(monkeypatch)
    assert tasks.sweep_run_files(older_than_seconds=3600) == 0
    assert tasks.sweep_run_files(older_than_seconds=0) == 1
    assert queued == [(row.pk,)]


def test_a_time_limit_fails_the_file(episode, django_capture_on_commit_callbacks, monkeypatch):
    with django_capture_on_commit_callbacks(execute=False):
        row = uploads.receive_file(episode, fit_upload())

    def cut_off(*args):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(uploads.devices, "parse", cut_off)
    tasks.parse_run_file(row.pk)
    row.refresh_from_db()
    assert (row.status, row.error) == (RunFileStatus.FAILED, uploads.TOO_SLOW)


def test_the_task_has_time_limits():
    assert tasks.parse_run_file.soft_time_limit < tasks.parse_run_file.time_limit


def test_logs_name_no_file_name(episode, eager, django_capture_on_commit_callbacks, caplog):
    caplog.set_level("DEBUG")
    received(episode, fit_upload("Jane Doe 5k.fit"), django_capture_on_commit_callbacks)
    received(episode, upload("Jane Doe.gpx", gpx(times=False)), django_capture_on_commit_callbacks)
    assert "Jane" not in caplog.text


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("../../etc/passwd.fit", "passwd.fit"),
        ("C:\\Users\\jane\\run.fit", "run.fit"),
        ("run\x00.fit", "run.fit"),
        ("<script>.gpx", "_script_.gpx"),
        ("a" * 300 + ".tcx", "a" * 116 + ".tcx"),
    ],
)
def test_names_are_cleaned(name, clean):
    assert uploads.clean_name(name) == clean


@pytest.mark.parametrize(
    "content",
    [
        run_fit()[:200],  # truncated
        run_fit()[:-2] + b"\x00\x00",  # wrong CRC
        bytes(range(256)) * 4,  # noise after a FIT-like header
    ],
)
def test_a_damaged_file_fails_in_the_task_never_raises(episode, content, django_capture_on_commit_callbacks):
    good = run_fit()
    data = good[:12] + content[12:] if content[:12] != good[:12] else content
    with django_capture_on_commit_callbacks(execute=False):
        row = uploads.receive_file(episode, upload("run.fit", data))
    assert tasks.parse_run_file(row.pk) is True
    row.refresh_from_db()
    assert row.status == RunFileStatus.FAILED
    assert "could not be read" in row.error
