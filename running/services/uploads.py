"""Writes of the runner's device files (DOMAIN A "Device import", "Import pitfalls"; B11).

- ``receive_file``: checks a file as it arrives (name, size, first bytes), refuses the exact
  same file twice for a patient, stores the original bytes with their SHA-256 and queues the
  reading once the row is committed.
- ``read_file``: what the worker does with it (``running.tasks.parse_run_file``): parse,
  compute the run, look for a probable duplicate, and add the run, or say in plain words why
  not. Idempotent: a file already read is left as it is.
- ``decide_duplicate``: the clinician's answer on a probable duplicate.
- ``add_distance``: the runner's distance for a file with no positions and no device total.

Logs name ids and states only: never a file name, a time or a place.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import audit, queueing
from clinic import thresholds as clinic_thresholds
from clinic.models import EpisodeOfCare, EpisodeStatus, User
from running import devices
from running.devices import duplicates, metrics
from running.models import DuplicateDecision, Run, RunFile, RunFileKind, RunFileStatus, RunSource
from running.services import runs

logger = logging.getLogger(__name__)

EXTENSIONS = {".fit": RunFileKind.FIT, ".gpx": RunFileKind.GPX, ".tcx": RunFileKind.TCX}
ACCEPT = ",".join(EXTENSIONS)
_SNIFF_BYTES = 4096
_NAME_LENGTH = RunFile._meta.get_field("original_name").max_length

EMPTY = "This file is empty. Choose the file your watch's app exported."
WRONG_EXTENSION = "Choose a FIT, TCX or GPX file (a name ending in .fit, .tcx or .gpx)."
EXACT_DUPLICATE = "You have already uploaded this exact file, so it was not added again."
EPISODE_CLOSED = "This course of care is closed, so no runs can be added to it."
LOST = "The uploaded file could not be found any more. Upload it again."
TOO_SLOW = "Reading this file took too long, so it was stopped. Export the run again, or log it by hand."
NOT_WAITING_FOR_DISTANCE = "This file is not waiting for a distance."
NOT_A_PROBABLE_DUPLICATE = "This file is not waiting for a decision on a possible duplicate."
# Readings a file may start before it is taken for the cause of a worker being killed.
MAX_ATTEMPTS = 3
OPEN_STATUSES = (RunFileStatus.QUEUED, RunFileStatus.PARSING)


def too_big_message() -> str:
    return f"This file is larger than {settings.RUN_FILE_MAX_BYTES // (1024 * 1024)} MB, the most we accept."


def not_kind_message(kind: str) -> str:
    return (
        f"This file is not a {kind.upper()} file, whatever its name says. Choose the file exactly as your "
        "watch's app exported it."
    )


def clean_name(name: str) -> str:
    """The file's own name, without folders, control characters or anything but letters, digits,
    spaces, dots, dashes and underscores: shown back to its runner and clinician, never logged."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = unicodedata.normalize("NFKC", base)
    base = "".join(char for char in base if unicodedata.category(char)[0] != "C")
    base = re.sub(r"[^\w .-]", "_", base).strip(" .")
    return base[-_NAME_LENGTH:] if len(base) > _NAME_LENGTH else base


def kind_of_name(name: str) -> str | None:
    return EXTENSIONS.get(PurePosixPath(clean_name(name).lower()).suffix)


def _digest_and_head(uploaded_file) -> tuple[str, bytes]:
    digest = hashlib.sha256()
    head = b""
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        if len(head) < _SNIFF_BYTES:
            head += chunk[: _SNIFF_BYTES - len(head)]
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest(), head


def check_file(uploaded_file) -> str:
    """The file's kind, or ``ValidationError`` with what to tell the runner: checked before
    anything is stored (size, name, first bytes)."""
    if uploaded_file.size > settings.RUN_FILE_MAX_BYTES:
        raise ValidationError(too_big_message(), code="too_big")
    if uploaded_file.size == 0:
        raise ValidationError(EMPTY, code="empty")
    kind = kind_of_name(uploaded_file.name or "")
    if kind is None:
        raise ValidationError(WRONG_EXTENSION, code="extension")
    return kind


def receive_file(episode: EpisodeOfCare, uploaded_file, *, actor: User | None = None) -> RunFile:
    """Store a runner's file and queue its reading; ``actor`` is the clinician who uploaded it
    on the runner's behalf (None: the runner, through their link)."""
    if episode.status != EpisodeStatus.OPEN:
        raise ValidationError(EPISODE_CLOSED, code="episode")
    kind = check_file(uploaded_file)
    sha256, head = _digest_and_head(uploaded_file)
    if devices.sniff(head) != kind:
        raise ValidationError(not_kind_message(kind), code="content")
    patient = episode.patient
    if RunFile.objects.filter(episode__patient=patient, sha256=sha256).exists():
        raise ValidationError(EXACT_DUPLICATE, code="duplicate")
    row = RunFile(
        episode=episode,
        uploaded_by=actor,
        original_name=clean_name(uploaded_file.name or ""),
        kind=kind,
        size=uploaded_file.size,
        sha256=sha256,
    )
    row.file.save("upload", uploaded_file, save=False)
    try:
        with transaction.atomic():
            row.save()
            audit.record(actor=actor, action="run_file.uploaded", obj=row, patient=patient)
            from running.tasks import parse_run_file

            queueing.after_commit(parse_run_file, row.pk)
    except IntegrityError as error:
        # The same file sent twice at once: the second row lost the race to the constraint.
        row.file.delete(save=False)
        raise ValidationError(EXACT_DUPLICATE, code="duplicate") from error
    return row


def _fail(row_id: int, message: str) -> None:
    RunFile.objects.filter(pk=row_id, status=RunFileStatus.PARSING).update(
        status=RunFileStatus.FAILED, error=message[:300], updated_at=timezone.now()
    )
    logger.info("Run file %s could not be read", row_id)


def _claim(run_file_id: int) -> RunFile | None:
    with transaction.atomic():
        row = (
            RunFile.objects.select_for_update()
            .select_related("episode__patient__clinic")
            .filter(pk=run_file_id)
            .first()
        )
        if row is None or row.status not in OPEN_STATUSES:
            return None
        if row.attempts >= MAX_ATTEMPTS:
            # Every earlier reading was cut off (a killed worker): the file is the likely cause.
            row.status, row.error = RunFileStatus.FAILED, TOO_SLOW
            row.save(update_fields=["status", "error", "updated_at"])
            return None
        row.status = RunFileStatus.PARSING
        row.attempts += 1
        row.save(update_fields=["status", "attempts", "updated_at"])
    return row


def _stored_bytes(row: RunFile) -> bytes | None:
    try:
        with row.file.open("rb") as stored:
            return stored.read(settings.RUN_FILE_MAX_BYTES + 1)
    except (OSError, ValueError):
        return None


def read_file(*, run_file_id: int) -> bool:
    """Read a queued file into a run (or a plain reason it gives none); False when there was
    nothing to do (already read, or gone)."""
    row = _claim(run_file_id)
    if row is None:
        return False
    data = _stored_bytes(row)
    if data is None:
        _fail(row.pk, LOST)
        return True
    try:
        activity = devices.parse(row.kind, data)
        result = metrics.compute(activity, zone=row.episode.patient.clinic.zone, now=timezone.now())
    except devices.DeviceFileError as refused:
        _fail(row.pk, refused.message)
        return True
    except SoftTimeLimitExceeded:
        _fail(row.pk, TOO_SLOW)
        return True
    identity = "|".join(activity.file_identity) if activity.file_identity else ""
    with transaction.atomic():
        row = RunFile.objects.select_for_update().select_related("episode__patient__clinic").get(pk=row.pk)
        if row.status != RunFileStatus.PARSING:
            return False
        row.metrics = result.as_json()
        row.fit_identity = identity[: RunFile._meta.get_field("fit_identity").max_length]
        match = _probable_duplicate(row, result)
        if match is not None:
            row.status, row.duplicate_of = RunFileStatus.PROBABLE_DUPLICATE, match
        elif result.needs_distance:
            row.status = RunFileStatus.NEEDS_DISTANCE
        else:
            row.run = _create_run(row, distance_m=result.distance_m)
            row.status = RunFileStatus.PARSED
        row.save(update_fields=["metrics", "fit_identity", "status", "duplicate_of", "run", "updated_at"])
    logger.info("Run file %s read: %s", row.pk, row.status)
    return True


def _probable_duplicate(row: RunFile, result: metrics.RunMetrics) -> Run | None:
    """The patient's run this file probably repeats (DOMAIN B11.2), or None."""
    values = clinic_thresholds.for_clinic(row.episode.patient.clinic)
    start_tolerance = values["duplicate_start_minutes"]
    window = datetime.timedelta(days=2)
    candidates = list(
        Run.objects.filter(
            episode__patient_id=row.episode.patient_id,
            started_at__gte=result.started_at - window,
            started_at__lte=result.started_at + window,
        ).select_related("device_file")
    )
    same_file = set(
        RunFile.objects.filter(
            episode__patient_id=row.episode.patient_id, fit_identity=row.fit_identity, run__isnull=False
        )
        .exclude(fit_identity="")
        .exclude(pk=row.pk)
        .values_list("run_id", flat=True)
    )
    candidates += list(Run.objects.filter(pk__in=same_file - {run.pk for run in candidates}))
    new = duplicates.RunSpan(
        key=0,
        started_at=result.started_at,
        seconds=result.elapsed_s or result.moving_s,
        distance_m=result.distance_m,
        file_identity=(row.fit_identity,) if row.fit_identity else None,
    )
    spans = [
        duplicates.RunSpan(
            key=run.pk,
            started_at=run.started_at,
            seconds=run.elapsed_s or run.moving_s,
            distance_m=run.distance_m,
            file_identity=(row.fit_identity,) if run.pk in same_file else None,
        )
        for run in candidates
    ]
    found = duplicates.probable_duplicates(
        new,
        spans,
        start_tolerance_minutes=start_tolerance,
        distance_tolerance_pct=values["duplicate_distance_pct"],
    )
    by_id = {run.pk: run for run in candidates}
    return by_id[found[0]] if found else None


def _create_run(row: RunFile, *, distance_m: int | None) -> Run:
    """The run a read file stands for, its pain fields left for the runner to fill in. Which plan
    and phase it belongs to is the runs rule (``runs.file_run_added``)."""
    values = row.metrics
    run = Run.objects.create(
        episode=row.episode,
        source=RunSource.FILE,
        started_at=datetime.datetime.fromisoformat(values["started_at"]),
        local_date=datetime.datetime.fromisoformat(values["local_date"]).date(),
        distance_m=distance_m,
        moving_s=values["moving_s"],
        elapsed_s=values["elapsed_s"],
        indoor=values["indoor"],
        step_rate=values["step_rate"],
    )
    audit.record(actor=None, action="run.added_from_file", obj=run, patient=row.episode.patient)
    runs.file_run_added(run)
    return run


def _locked(run_file: RunFile) -> RunFile:
    return RunFile.objects.select_for_update().select_related("episode__patient__clinic").get(pk=run_file.pk)


def decide_duplicate(*, actor: User, run_file: RunFile, decision: str) -> RunFile:
    """The clinician's answer on a probable duplicate: the same run (the new file is not added)
    or different runs (the file's run is added too)."""
    if decision not in DuplicateDecision.values:
        raise ValidationError({"decision": "Choose whether the runs are the same or different."})
    with transaction.atomic():
        row = _locked(run_file)
        if row.status != RunFileStatus.PROBABLE_DUPLICATE:
            raise ValidationError(NOT_A_PROBABLE_DUPLICATE)
        row.decision, row.decided_by, row.decided_at = decision, actor, timezone.now()
        if decision == DuplicateDecision.SAME:
            row.status = RunFileStatus.DUPLICATE
        elif row.metrics.get("distance_m") is None:
            row.status = RunFileStatus.NEEDS_DISTANCE
        else:
            row.run = _create_run(row, distance_m=row.metrics["distance_m"])
            row.status = RunFileStatus.PARSED
        row.save(update_fields=["decision", "decided_by", "decided_at", "status", "run", "updated_at"])
        audit.record(
            actor=actor,
            action="run_file.duplicate_decided",
            obj=row,
            patient=row.episode.patient,
            changed_fields=["decision", "status"],
        )
    return row


def add_distance(*, run_file: RunFile, distance_m: int) -> RunFile:
    """The runner's own distance for a file that holds none (DOMAIN B11.2: a GPX without
    positions): the run is added with it, flagged indoor."""
    if not 1 <= distance_m <= metrics.MAX_DISTANCE_M:
        raise ValidationError({"distance_m": "Enter the distance in metres, between 1 and 300000."})
    with transaction.atomic():
        row = _locked(run_file)
        if row.status != RunFileStatus.NEEDS_DISTANCE:
            raise ValidationError(NOT_WAITING_FOR_DISTANCE)
        row.run = _create_run(row, distance_m=distance_m)
        row.status = RunFileStatus.PARSED
        row.save(update_fields=["status", "run", "updated_at"])
        audit.record(
            actor=None,
            action="run_file.distance_added",
            obj=row,
            patient=row.episode.patient,
            changed_fields=["distance_m"],
        )
    return row


def requeue_stuck(older_than_seconds: int) -> list[int]:
    """The files queued or being read for longer than ``older_than_seconds`` (a lost task or a
    killed worker), put back in the queue; their ids."""
    stale = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    owed = list(RunFile.objects.filter(status__in=OPEN_STATUSES, updated_at__lt=stale).values_list("pk", flat=True))
    RunFile.objects.filter(pk__in=owed, status=RunFileStatus.PARSING).update(status=RunFileStatus.QUEUED)
    return owed
