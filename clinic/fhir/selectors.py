"""The rows of one patient's FHIR export, loaded in a fixed number of queries however many
episodes, assessments, plans and visits the patient has."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Prefetch

from assessments.models import Assessment, AssessmentStatus, Finding, FmsScore, OutcomeScore, RomMeasurement
from clinic import permissions
from clinic.models import EpisodeOfCare, Patient, User
from clinic.scheduling.models import Appointment
from intake.models import Intake, IntakeStatus, QuestionnaireScore, RedFlag
from notes.models import NoteItem, VisitNote
from plans.models import Handout, HandoutStatus, PlanItem, TreatmentPlan
from running.models import Run


@dataclass(frozen=True)
class PatientRows:
    patient: Patient
    episodes: list[EpisodeOfCare]
    intakes: list[Intake]
    assessments: list[Assessment]
    plans: list[TreatmentPlan]
    appointments: list[Appointment]
    handouts: list[Handout]
    red_flags: list[RedFlag]
    notes: list[VisitNote]
    runs: list[Run] = field(default_factory=list)


def export_patient(*, user: User, patient_id: int) -> Patient | None:
    """The patient if the user's clinic holds it; None otherwise, whether or not it exists."""
    return permissions.scoped_patients(user).select_related("clinic").filter(pk=patient_id).first()


def ready_handout(handout_id: str) -> tuple[Handout, int] | None:
    """The ready handout PDF behind ``Binary/<id>`` and its patient's id; None for an id no
    ready handout has (a handout still being made is not yet a document)."""
    if not _PLAIN_ID.match(handout_id):
        return None
    handout = (
        Handout.objects.filter(pk=int(handout_id), status=HandoutStatus.READY)
        .exclude(file="")
        .select_related("version__plan__episode")
        .first()
    )
    return (handout, handout.version.plan.episode.patient_id) if handout else None


def patient_rows(patient: Patient) -> PatientRows:
    """Everything the export shows: submitted intakes, completed assessments, every plan, visit,
    ready handout and red flag (open or cleared), signed visit notes. Drafts of intakes,
    assessments and notes are work in progress, not record."""
    episodes = list(
        EpisodeOfCare.objects.filter(patient=patient).select_related("lead_clinician").order_by("opened_on", "id")
    )
    for episode in episodes:
        episode.patient = patient
    return PatientRows(
        patient=patient,
        episodes=episodes,
        intakes=list(
            Intake.objects.filter(episode__patient=patient, status=IntakeStatus.SUBMITTED)
            .select_related("episode")
            .prefetch_related("scores")
            .order_by("submitted_at", "id")
        ),
        assessments=list(
            Assessment.objects.filter(episode__patient=patient, status=AssessmentStatus.COMPLETED)
            .select_related("episode", "clinician")
            .prefetch_related("rom", "fms", "findings", "outcome_scores")
            .order_by("assessed_on", "id")
        ),
        plans=list(
            TreatmentPlan.objects.filter(episode__patient=patient)
            .select_related("episode__patient__clinic", "created_by")
            .prefetch_related("versions", Prefetch("items", queryset=PlanItem.objects.select_related("override_by")))
            .order_by("created_at", "id")
        ),
        appointments=list(
            Appointment.objects.filter(episode__patient=patient)
            .select_related("episode", "clinician")
            .order_by("starts_at", "id")
        ),
        handouts=list(
            Handout.objects.filter(version__plan__episode__patient=patient, status=HandoutStatus.READY)
            .exclude(file="")
            .select_related("version__plan__episode", "version__signed_by")
            .order_by("version__plan_id", "version__number")
        ),
        red_flags=list(
            RedFlag.objects.filter(episode__patient=patient).select_related("episode").order_by("raised_at", "id")
        ),
        notes=list(
            VisitNote.objects.filter(appointment__episode__patient=patient, signed_at__isnull=False)
            .select_related("appointment__episode", "plan_version", "signed_by")
            .prefetch_related("items")
            .order_by("appointment__starts_at", "id")
        ),
        runs=list(Run.objects.filter(episode__patient=patient).select_related("episode").order_by("started_at", "id")),
    )


# --- Which patient a resource id belongs to ------------------------------------------------------

# Resource type -> (model, path to the patient's id). Observations come from several tables,
# told apart by the prefix of their id (clinic.fhir.mapping).
_OWNERS: dict[str, tuple[type[models.Model], str]] = {
    "Patient": (Patient, "pk"),
    "EpisodeOfCare": (EpisodeOfCare, "patient_id"),
    "QuestionnaireResponse": (QuestionnaireScore, "intake__episode__patient_id"),
    "Condition": (Finding, "assessment__episode__patient_id"),
    "CarePlan": (TreatmentPlan, "episode__patient_id"),
    "Appointment": (Appointment, "episode__patient_id"),
    "DocumentReference": (Handout, "version__plan__episode__patient_id"),
    "Flag": (RedFlag, "episode__patient_id"),
    # A completed visit is an Encounter; a delivered line of a signed note, a Procedure.
    "Encounter": (Appointment, "episode__patient_id"),
    "Procedure": (NoteItem, "note__appointment__episode__patient_id"),
}
_OBSERVATION_OWNERS: dict[str, tuple[type[models.Model], str]] = {
    "score": (QuestionnaireScore, "intake__episode__patient_id"),
    "visit-score": (OutcomeScore, "assessment__episode__patient_id"),
    "rom": (RomMeasurement, "assessment__episode__patient_id"),
    "fms": (FmsScore, "assessment__episode__patient_id"),
    "fms-composite": (Assessment, "episode__patient_id"),
    "leg-length": (Assessment, "episode__patient_id"),
    "run": (Run, "episode__patient_id"),
}
_OBSERVATION_ID = re.compile(r"^(?P<kind>[a-z-]+)-(?P<pk>[0-9]{1,18})$")
_PLAIN_ID = re.compile(r"^[0-9]{1,18}$")
RESOURCE_TYPES = (*_OWNERS, "Observation")


def owner_of(resource_type: str, resource_id: str) -> tuple[models.Model, int] | None:
    """The row behind a resource id (only its identity, for the audit trail) and its patient's
    id; None for an id no row has."""
    if resource_type == "Observation":
        match = _OBSERVATION_ID.match(resource_id)
        if match is None or match["kind"] not in _OBSERVATION_OWNERS:
            return None
        model, path = _OBSERVATION_OWNERS[match["kind"]]
        pk = int(match["pk"])
    else:
        if resource_type not in _OWNERS or not _PLAIN_ID.match(resource_id):
            return None
        model, path = _OWNERS[resource_type]
        pk = int(resource_id)
    patient_id = model.objects.filter(pk=pk).values_list(path, flat=True).first()
    if patient_id is None:
        return None
    return model(pk=pk), patient_id
