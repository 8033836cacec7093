"""The audit trail: who read or changed which patient's data, when and from where.

- ``record``: a write (or an event such as a patient opening their link), written at once, in
  the service's transaction.
- ``record_read`` (one record shown) and ``record_shown`` (the patients a list, a schedule, a
  panel shows): reads, one row per patient, collected while a response is made and written
  together when it is (``AuditContextMiddleware``), in one INSERT; not at all for an error page.
- ``Read``: the enumeration of read actions; ``describe``: what a clinic admin may see of a row.

The client address comes from the request being served (set by ``AuditContextMiddleware``)
so services need not pass requests around; work done by Celery tasks has no address.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from django.db import connection, models
from django.utils import timezone

from clinic.models import AuditEvent, Patient, User
from clinic.permissions import Role

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_client_ip", default=None)


class _Read(NamedTuple):
    """A read row owed: plain values, because a schedule owes hundreds and a model instance
    each (with its field defaults and address validation) cost more than the page's queries."""

    actor_id: int | None
    clinic_id: int | None
    action: str
    object_type: str
    object_id: int | None
    patient_id: int
    ip_address: str | None

    def event(self, at) -> AuditEvent:
        return AuditEvent(at=at, **self._asdict())


@dataclass
class _Response:
    """The trail of the response being made: patients it wrote rows about, reads it owes."""

    written: set[int] = field(default_factory=set)
    shown: dict[tuple[int, str], _Read] = field(default_factory=dict)


_response: contextvars.ContextVar[_Response | None] = contextvars.ContextVar("audit_response", default=None)


def set_client_ip(ip: str | None) -> contextvars.Token:
    return _client_ip.set(ip)


def reset_client_ip(token: contextvars.Token) -> None:
    _client_ip.reset(token)


def begin_response() -> contextvars.Token:
    """From here, reads are collected and written by ``finish_response``, in one INSERT."""
    return _response.set(_Response())


def finish_response(token: contextvars.Token, *, delivered: bool) -> None:
    """Write the reads collected since ``begin_response``, if the response shows what they
    name (``delivered``: not an error page). A patient the response wrote a row about (a
    write answering with the record it wrote) needs no read row besides."""
    response = _response.get()
    _response.reset(token)
    if delivered and response is not None:
        _write([row for row in response.shown.values() if row.patient_id not in response.written])


# One INSERT of any number of rows, the columns passed as arrays: PostgreSQL builds the rows,
# where bulk_create would prepare every value of every row in Python first.
_INSERT_UNNEST = (
    "INSERT INTO {table} (at, actor_id, clinic_id, action, object_type, object_id, patient_id, ip_address,"
    " changed_fields) SELECT %s, a, c, act, kind, o, p, ip, '[]'::jsonb FROM unnest("
    "%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[], %s::bigint[], %s::bigint[], %s::inet[]"
    ") AS rows (a, c, act, kind, o, p, ip)"
)


def _write(rows: list[_Read]) -> None:
    at = timezone.now()
    if len(rows) == 1:
        # A record's page owes one row: a lone INSERT commits by itself, where bulk_create
        # would wrap it in BEGIN and COMMIT, two more round trips on every such page.
        rows[0].event(at).save(force_insert=True)
    elif rows and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _INSERT_UNNEST.format(table=connection.ops.quote_name(AuditEvent._meta.db_table)),
                [at, *(list(column) for column in zip(*rows, strict=True))],
            )
    elif rows:
        AuditEvent.objects.bulk_create([row.event(at) for row in rows])


class SecondFactor(StrEnum):
    """Audit actions of a person's second factor, recorded against their account."""

    ENROLLED = "staff.two_factor_enrolled"
    REPLACED = "staff.two_factor_replaced"
    RECOVERY_CODES_RENEWED = "staff.recovery_codes_renewed"
    RECOVERY_CODE_USED = "staff.recovery_code_used"
    RESET = "staff.two_factor_reset"


class Read(StrEnum):
    """Every kind of read of patient data. Writes name their action where they happen
    (``patient.created``, ``plan.signed``...)."""

    # Demographics, episodes and the staff's own trail pages.
    PATIENT_VIEWED = "patient.viewed"
    PATIENT_LISTED = "patient.listed"
    PATIENT_SEARCHED = "patient.searched"
    PATIENT_AUDIT_TRAIL_VIEWED = "patient.audit_trail_viewed"
    RECORD_HISTORY_VIEWED = "record_history.viewed"
    EPISODE_VIEWED = "episode.viewed"
    EPISODE_LISTED = "episode.listed"
    DASHBOARD_VIEWED = "dashboard.viewed"
    PENDING_INTAKES_VIEWED = "intake_invitation.pending_viewed"
    # Scheduling.
    SCHEDULE_DAY_VIEWED = "schedule.day_viewed"
    SCHEDULE_WEEK_VIEWED = "schedule.week_viewed"
    PLAN_SERIES_VIEWED = "schedule.plan_series_viewed"
    APPOINTMENT_VIEWED = "appointment.viewed"
    APPOINTMENT_LISTED = "appointment.listed"
    REMINDER_VIEWED_BY_PATIENT = "reminder.viewed_by_patient"
    VISIT_VIEWED_BY_PATIENT = "appointment.viewed_by_patient"
    WAIT_LIST_VIEWED = "wait_list.viewed"
    UNDER_SCHEDULED_VIEWED = "schedule.under_scheduled_viewed"
    REMINDER_PROBLEMS_VIEWED = "reminder.problems_viewed"
    FAILED_MESSAGES_VIEWED = "patient_message.failures_viewed"
    CALENDAR_FEED_READ = "calendar_feed.read"
    PLAN_VISITS_VIEWED = "plan_visits.viewed"
    PLAN_VISITS_LISTED = "plan_visits.listed"
    INVITATION_VIEWED = "intake_invitation.viewed"
    INVITATION_LISTED = "intake_invitation.listed"
    PORTAL_OPENED = "portal.opened"
    # Clinical records.
    INTAKE_VIEWED = "intake.viewed"
    INTAKE_LISTED = "intake.listed"
    INTAKE_VIEWED_BY_PATIENT = "intake.viewed_by_patient"
    RED_FLAG_ALERTS_VIEWED = "red_flag.alerts_viewed"
    ASSESSMENT_VIEWED = "assessment.viewed"
    ASSESSMENT_LISTED = "assessment.listed"
    FINDING_VIEWED = "finding.viewed"
    FINDING_LISTED = "finding.listed"
    PROGRESS_VIEWED = "progress.viewed"
    PLAN_VIEWED = "plan.viewed"
    PLAN_LISTED = "plan.listed"
    PLAN_ITEM_VIEWED = "plan.item_viewed"
    PLAN_VERSION_VIEWED = "plan.version_viewed"
    PLAN_VERSIONS_VIEWED = "plan.versions_viewed"
    HANDOUT_DOWNLOADED = "handout.downloaded"
    HANDOUT_STATUS_VIEWED = "handout.status_viewed"
    FHIR_EVERYTHING_READ = "fhir.everything_read"
    FHIR_RESOURCE_READ = "fhir.resource_read"
    PORTAL_PROGRAM_VIEWED = "portal.program_viewed"
    PORTAL_HANDOUT_DOWNLOADED = "portal.handout_downloaded"
    PORTAL_CHECK_INS_VIEWED = "portal.home_program_log_viewed"
    VISIT_NOTE_VIEWED = "visit_note.viewed"
    VISIT_NOTE_LISTED = "visit_note.listed"
    # Whether a visit has a note, signed or not: what the front desk may know of it, no content.
    VISIT_NOTE_STATE_VIEWED = "visit_note.state_viewed"
    VISIT_NOTE_STATES_LISTED = "visit_note.states_listed"
    DISCHARGE_VIEWED = "discharge.viewed"
    DISCHARGE_LISTED = "discharge.listed"
    DISCHARGE_DOCUMENT_DOWNLOADED = "discharge.document_downloaded"
    # The lapsed episodes: names and last visit dates only, no clinical content.
    LAPSED_EPISODES_VIEWED = "episode.lapsed_viewed"
    FOLLOW_UP_OPENED_BY_PATIENT = "follow_up.opened_by_patient"
    READINESS_CHECK_VIEWED = "readiness_check.viewed"
    READINESS_CHECK_LISTED = "readiness_check.listed"
    RETURN_TO_RUN_VIEWED = "return_to_run.viewed"
    RETURN_TO_RUN_LISTED = "return_to_run.listed"
    # Runners' device files.
    RUN_FILE_VIEWED = "run_file.viewed"
    RUN_FILE_LISTED = "run_file.listed"
    RUN_FILE_VIEWED_BY_PATIENT = "run_file.viewed_by_patient"
    RUN_VIEWED = "run.viewed"
    RUN_LISTED = "run.listed"
    RUN_VIEWED_BY_PATIENT = "run.viewed_by_patient"
    RUNS_LISTED_BY_PATIENT = "run.listed_by_patient"
    LOAD_LEDGER_VIEWED = "run.load_ledger_viewed"


# Reads of clinical content whose audited object is not itself a clinical record (a list's
# rows are recorded against the patient, progress against the episode).
CLINICAL_READS = frozenset(
    {
        Read.INTAKE_LISTED,
        Read.INTAKE_VIEWED_BY_PATIENT,
        Read.RED_FLAG_ALERTS_VIEWED,
        Read.ASSESSMENT_LISTED,
        Read.FINDING_LISTED,
        Read.PROGRESS_VIEWED,
        Read.PLAN_LISTED,
        Read.FHIR_EVERYTHING_READ,
        Read.PORTAL_CHECK_INS_VIEWED,
        Read.VISIT_NOTE_LISTED,
        Read.DISCHARGE_LISTED,
        Read.READINESS_CHECK_LISTED,
        Read.RETURN_TO_RUN_LISTED,
        Read.RUN_FILE_LISTED,
        Read.RUN_LISTED,
        Read.RUNS_LISTED_BY_PATIENT,
        Read.LOAD_LEDGER_VIEWED,
    }
)

# The clinical record: intake answers and what they raise, assessments and findings, plans and
# what is made of them. Demographics, episodes, scheduling, invitations and links are not.
CLINICAL_RECORD_KINDS = {
    "intake.intake": "Intake",
    "intake.questionnairescore": "Intake",
    "intake.redflag": "Intake",
    "intake.reviewnote": "Intake",
    "assessments.assessment": "Assessment",
    "assessments.finding": "Assessment",
    "assessments.rommeasurement": "Assessment",
    "assessments.fmsscore": "Assessment",
    "assessments.specialtest": "Assessment",
    "assessments.outcomescore": "Assessment",
    "plans.treatmentplan": "Treatment plan",
    "plans.planitem": "Treatment plan",
    "plans.planversion": "Treatment plan",
    "plans.handout": "Treatment plan",
    "portal.homeprogramcheckin": "Treatment plan",
    "notes.visitnote": "Visit note",
    "notes.noteitem": "Visit note",
    "notes.noteaddendum": "Visit note",
    "notes.noteplandraft": "Visit note",
    "notes.progressreport": "Progress report",
    "notes.plancertification": "Plan certification",
    "running.cadenceprescription": "Return to running",
    "notes.discharge": "Discharge",
    "notes.dischargedocument": "Discharge",
    "notes.followup": "Discharge",
    "notes.followupscore": "Discharge",
    "running.readinesscheck": "Return-to-run check",
    "running.readinessitemresult": "Return-to-run check",
    "running.returntorun": "Return to run",
    "running.phasedecision": "Return to run",
    "running.runfile": "Return to run",
    "running.run": "Return to running",
}


def _patient_of(obj: models.Model) -> Patient | None:
    if isinstance(obj, Patient):
        return obj
    return getattr(obj, "patient", None)


def _actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None and actor.is_authenticated else None


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    patient: Patient | None = None,
    changed_fields: Iterable[str] = (),
    role_change: tuple[Iterable[Role], Iterable[Role]] | None = None,
) -> AuditEvent:
    """Append one audit row: ``actor`` did ``action`` (e.g. ``patient.viewed``) to ``obj``.

    ``role_change`` is a staff account's roles (before, after); only role names are stored.
    """
    patient = patient or _patient_of(obj)
    clinic_id = patient.clinic_id if patient else getattr(obj, "clinic_id", None)
    response = _response.get()
    if response is not None and patient is not None:
        response.written.add(patient.pk)
    return AuditEvent.objects.create(
        actor_id=_actor_id(actor),
        clinic_id=clinic_id,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        patient_id=patient.pk if patient else None,
        ip_address=_client_ip.get(),
        changed_fields=sorted(changed_fields),
        role_change=(
            None
            if role_change is None
            else {
                "old": sorted(Role(role).value for role in role_change[0]),
                "new": sorted(Role(role).value for role in role_change[1]),
            }
        ),
    )


def record_with_reads(
    *, actor: User, action: str, obj: models.Model, changed_fields: Iterable[str], read: Read, patients: Iterable[int]
) -> AuditEvent:
    """``actor`` did ``action`` (an export) and was shown these patients of their clinic (the
    file names them): the event and a ``read`` row per patient, in one INSERT, the event first
    so the reads come after it in the trail's order."""
    address = _client_ip.get()
    event = AuditEvent(
        actor_id=actor.pk,
        clinic_id=actor.clinic_id,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        ip_address=address,
        changed_fields=sorted(changed_fields),
    )
    reads = [
        AuditEvent(
            actor_id=actor.pk,
            clinic_id=actor.clinic_id,
            action=read,
            object_type=Patient._meta.label_lower,
            object_id=patient_id,
            patient_id=patient_id,
            ip_address=address,
        )
        for patient_id in dict.fromkeys(patients)
    ]
    AuditEvent.objects.bulk_create([event, *reads])
    return event


def _owe(rows: Iterable[_Read]) -> None:
    response = _response.get()
    if response is None:
        _write(list(rows))
        return
    for row in rows:
        response.shown.setdefault((row.patient_id, row.action), row)


def record_read(*, actor: User | None, action: Read, obj: models.Model, patient: Patient | None = None) -> None:
    """``actor`` was shown ``obj`` (a patient, or a record of one: ``patient`` if it has no
    ``.patient``). Written with the response's other reads, once the response is made."""
    patient = patient or _patient_of(obj)
    _owe(
        [
            _Read(
                actor_id=_actor_id(actor),
                clinic_id=patient.clinic_id,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=obj.pk,
                patient_id=patient.pk,
                ip_address=_client_ip.get(),
            )
        ]
    )


def record_shown(*, actor: User | None, action: Read, patients: Iterable[Patient | int]) -> None:
    """``actor`` was shown these patients' data (a list: the patients on its page; a page's
    panel: the patients in it): one row per patient, recorded against the patient.

    Every part of a response (its view, its template tags, the API's list) calls this for what
    it shows; the rows are written together when the response is made, in one INSERT whatever
    their number, so a page's query count does not grow with its rows. Outside a request (a
    task, a shell) they are written at once. A patient given by id belongs to the actor's
    clinic: staff pages show only their own clinic's patients; a patient's link pages have
    no actor and pass ``Patient`` rows.
    """
    actor_id, address, kind = _actor_id(actor), _client_ip.get(), Patient._meta.label_lower
    rows: dict[int, _Read] = {}
    for patient in patients:
        patient_id, clinic_id = (
            (patient.pk, patient.clinic_id) if isinstance(patient, Patient) else (patient, actor.clinic_id)
        )
        if patient_id not in rows:
            rows[patient_id] = _Read(actor_id, clinic_id, action, kind, patient_id, patient_id, address)
    _owe(rows.values())


# --- What a clinic admin reads of the trail ---------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One audit row as a clinic admin sees it: what happened and to which record, without
    clinical detail (no clinical action name, no names of changed clinical fields)."""

    what: str
    record: str
    changed_fields: tuple[str, ...]


# Actions outside ``Read`` that are reads too (a patient opening their intake link).
_READ_WORDS = frozenset({"viewed", "read", "downloaded", "opened"})


def is_clinical(action: str, object_type: str) -> bool:
    return object_type in CLINICAL_RECORD_KINDS or action in CLINICAL_READS


def describe(event: AuditEvent) -> Line:
    """A row of the trail for a clinic admin: who and when are the row's own; here, what and
    which record. A clinical row says only whether a clinical record was read or written, and
    names the record by its part of the chart (intake, assessment, treatment plan) and id, so
    the kind of a sub-record (a red flag, a finding) tells nothing either."""
    action, object_type = event.action, event.object_type
    number = f" #{event.object_id}" if event.object_id is not None else ""
    if not is_clinical(action, object_type):
        return Line(what=action, record=f"{object_type}{number}", changed_fields=tuple(event.changed_fields))
    reading = action in Read._value2member_map_ or bool(_READ_WORDS & set(re.split(r"[._]", action)))
    part = CLINICAL_RECORD_KINDS.get(object_type, object_type)
    what = "Clinical record read" if reading else "Clinical record written"
    return Line(what=what, record=f"{part}{number}", changed_fields=())
