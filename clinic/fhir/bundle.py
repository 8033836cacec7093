"""A patient's record as FHIR resources, and the ``searchset`` Bundle that ``$everything`` returns."""

from __future__ import annotations

from django.utils import timezone

from clinic.fhir import mapping
from clinic.fhir.selectors import PatientRows
from clinic.scheduling.models import AppointmentStatus


def resources(rows: PatientRows, *, site_url: str) -> list[dict]:
    """Every resource of the record, the Patient first; each reference points at another one."""
    active_findings: dict[int, list[str]] = {}  # assessment id -> Condition ids
    by_episode: dict[int, list[str]] = {}  # episode id -> Condition ids
    observations: list[dict] = []
    conditions: list[dict] = []
    questionnaires: list[dict] = []
    for intake in rows.intakes:
        for score in intake.scores.all():
            questionnaires.append(mapping.questionnaire_response(score, intake))
            observation = mapping.intake_score_observation(score, intake)
            if observation:
                observations.append(observation)
    for assessment in rows.assessments:
        observations += mapping.visit_score_observations(assessment)
        observations += mapping.rom_observations(assessment)
        observations += mapping.fms_observations(assessment)
        leg_length = mapping.leg_length_observation(assessment)
        if leg_length:
            observations.append(leg_length)
        for finding in assessment.findings.all():
            conditions.append(mapping.condition(finding, assessment))
            if finding.is_active:
                active_findings.setdefault(assessment.pk, []).append(str(finding.pk))
                by_episode.setdefault(assessment.episode_id, []).append(str(finding.pk))
    observations += [mapping.run_observation(run) for run in rows.runs]
    completed = [appointment for appointment in rows.appointments if appointment.status == AppointmentStatus.COMPLETED]
    encountered = {appointment.pk for appointment in completed}
    procedures = [
        procedure
        for note in rows.notes
        for procedure in mapping.procedures(note, encounter_exported=note.appointment_id in encountered)
    ]
    return [
        mapping.patient(rows.patient),
        *(mapping.episode_of_care(episode, by_episode.get(episode.pk, ())) for episode in rows.episodes),
        *questionnaires,
        *observations,
        *conditions,
        *(mapping.care_plan(plan, active_findings.get(plan.assessment_id, ())) for plan in rows.plans),
        *(mapping.appointment(appointment) for appointment in rows.appointments),
        *(mapping.encounter(appointment) for appointment in completed),
        *procedures,
        *(mapping.document_reference(handout, pdf_url=_pdf_url(handout, site_url)) for handout in rows.handouts),
        *(mapping.flag(red_flag) for red_flag in rows.red_flags),
    ]


def _pdf_url(handout, site_url: str) -> str:
    """The PDF as a FHIR Binary, readable with the same credentials as the rest of the export
    (an API token too, which the staff download page does not take)."""
    return f"{base_url(site_url)}/Binary/{handout.pk}"


def base_url(site_url: str) -> str:
    return site_url.rstrip("/") + "/fhir"


def searchset(entries: list[dict], *, site_url: str, self_url: str) -> dict:
    """A ``searchset`` Bundle (what the FHIR spec has ``$everything`` return), each entry with
    its ``fullUrl`` at this server."""
    base = base_url(site_url)
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": timezone.now().isoformat(),
        "total": len(entries),
        "link": [{"relation": "self", "url": self_url}],
        "entry": [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in entries
        ],
    }


def find(entries: list[dict], resource_type: str, resource_id: str) -> dict | None:
    for resource in entries:
        if resource["resourceType"] == resource_type and resource["id"] == resource_id:
            return resource
    return None
