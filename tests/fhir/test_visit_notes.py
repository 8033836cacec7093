"""Visit notes in the FHIR export: an Encounter per completed visit, a Procedure per intervention a
signed note delivered (body site, time, encounter, the CarePlan it follows); drafts and lines not
done are left out; the query count stays flat."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from clinic.fhir import mapping
from clinic.models import AuditEvent
from clinic.scheduling.models import Appointment, AppointmentStatus
from notes import rules, services
from notes.models import VisitNote
from tests.factories import AppointmentFactory, PatientFactory, UserFactory
from tests.fhir.helpers import full_episode
from tests.fhir.test_export import everything, references, resources


def _visit(episode, *, hours: int, completed: bool = True) -> Appointment:
    """A follow-up visit after the plan was signed (so its note is pre-filled from the plan)."""
    starts = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=hours)
    visit = AppointmentFactory(
        episode=episode, starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30), kind="follow_up"
    )
    if completed:
        # Marked completed as the front desk checks the visit out (the transition has its own tests).
        Appointment.objects.filter(pk=visit.pk).update(status=AppointmentStatus.COMPLETED)
        visit.refresh_from_db()
    return visit


def _noted(clinician, visit: Appointment, *, sign: bool = True) -> VisitNote:
    """The visit's note: its first line not done, its second modified, the rest delivered."""
    note = services.note_open(actor=clinician, appointment=visit)
    lines = []
    for index, item in enumerate(note.items.all()):
        status = {0: "not_done", 1: "modified"}.get(index, "delivered")
        lines.append(
            (
                item,
                rules.LineDraft(
                    prong=item.prong,
                    name=item.name,
                    status=status,
                    not_done_reason="Too sore today" if status == "not_done" else "",
                    region=f"L{index + 1}",
                    technique="Side posture",
                    sets=3,
                    reps="10",
                    load="red band" if index == 1 else "",
                    progression="Added a band" if index == 1 else "",
                ),
            )
        )
    values = {"response": "better", "next_visit": "Repeat", "total_minutes": 30, "timed_minutes": 20}
    services.note_save(actor=clinician, note=note, values=values, lines=lines)
    if sign:
        services.note_sign(actor=clinician, note=note)
    return note


@pytest.fixture
def record(patient, clinician):
    return full_episode(patient, clinician)


@pytest.fixture
def noted_visit(record, clinician):
    visit = _visit(record, hours=2)
    _noted(clinician, visit)
    return visit


@pytest.fixture
def bundle(client, clinician, patient, noted_visit):
    client.force_login(clinician)
    return everything(client, patient)


def _by_id(bundle: dict, resource_type: str) -> dict[str, dict]:
    return {resource["id"]: resource for resource in resources(bundle, resource_type)}


def test_the_bundle_with_encounters_and_procedures_validates_and_every_reference_resolves(bundle):
    Bundle.model_validate(bundle)
    for resource in resources(bundle):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    present = {f"{resource['resourceType']}/{resource['id']}" for resource in resources(bundle)}
    found = {ref for resource in resources(bundle) for ref in references(resource)}

    assert {"Encounter", "Procedure"} <= {resource["resourceType"] for resource in resources(bundle)}
    assert sorted(found - present) == []


def test_a_completed_visit_is_a_finished_encounter_of_its_episode(bundle, noted_visit, record, patient):
    encounters = _by_id(bundle, "Encounter")

    # The record's two booked visits are not encounters (yet).
    assert list(encounters) == [str(noted_visit.pk)]
    encounter = encounters[str(noted_visit.pk)]
    assert encounter["status"] == "finished"
    assert encounter["class"]["code"] == "AMB"
    assert encounter["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert encounter["episodeOfCare"] == [{"reference": f"EpisodeOfCare/{record.pk}"}]
    assert encounter["appointment"] == [{"reference": f"Appointment/{noted_visit.pk}"}]
    assert encounter["participant"] == [{"individual": {"display": noted_visit.clinician.full_name}}]
    assert encounter["period"] == {
        "start": mapping._instant(noted_visit.starts_at),
        "end": mapping._instant(noted_visit.ends_at),
    }
    assert encounter["type"][0]["coding"][0]["code"] == "follow_up"


def test_each_delivered_line_of_the_signed_note_is_a_procedure(bundle, noted_visit, record, clinician):
    note = noted_visit.note
    items = list(note.items.all())
    procedures = _by_id(bundle, "Procedure")
    plan = record.plans.get()

    assert len(items) >= 2
    # The line not done today is no procedure.
    assert set(procedures) == {str(item.pk) for item in items[1:]}
    for index, item in enumerate(items[1:], start=1):
        procedure = procedures[str(item.pk)]
        assert procedure["status"] == "completed"
        assert procedure["code"] == {"text": item.name}
        assert procedure["bodySite"] == [{"text": f"L{index + 1}"}]
        assert procedure["performedDateTime"] == mapping._instant(noted_visit.starts_at)
        assert procedure["encounter"] == {"reference": f"Encounter/{noted_visit.pk}"}
        assert procedure["basedOn"] == [{"reference": f"CarePlan/{plan.pk}"}]
        assert procedure["category"]["coding"][0] == {
            "system": mapping.CS_PRONG,
            "code": item.prong,
            "display": item.get_prong_display(),
        }
        assert procedure["performer"] == [{"actor": {"display": clinician.full_name}}]
    modified = procedures[str(items[1].pk)]
    assert [note["text"] for note in modified["note"]] == [
        "Technique: Side posture",
        "Dose: 3 × 10, red band",
        "Progression: Added a band",
        "Delivered, modified",
    ]


def test_a_draft_note_exports_nothing_and_a_signed_note_of_a_visit_not_completed_has_no_encounter(
    client, clinician, patient, record, noted_visit
):
    draft = _noted(clinician, _visit(record, hours=4), sign=False)
    booked = _noted(clinician, _visit(record, hours=6, completed=False))
    client.force_login(clinician)

    bundle = everything(client, patient)
    procedures = _by_id(bundle, "Procedure")

    assert not {str(item.pk) for item in draft.items.all()} & set(procedures)
    assert str(draft.appointment_id) in _by_id(bundle, "Encounter")
    assert str(booked.appointment_id) not in _by_id(bundle, "Encounter")
    booked_procedures = [procedures[str(item.pk)] for item in booked.items.all()[1:]]
    assert booked_procedures
    assert all("encounter" not in procedure for procedure in booked_procedures)


def test_encounters_and_procedures_read_alone_as_in_the_bundle_and_are_audited(client, bundle, noted_visit):
    note = noted_visit.note
    not_done = note.items.all()[0]
    booked = Appointment.objects.filter(episode=noted_visit.episode).exclude(pk=noted_visit.pk).first()

    for resource in [*resources(bundle, "Encounter"), *resources(bundle, "Procedure")]:
        response = client.get(f"/fhir/{resource['resourceType']}/{resource['id']}")
        assert response.status_code == 200
        assert response.json() == resource
    assert client.get(f"/fhir/Procedure/{not_done.pk}").status_code == 404
    assert client.get(f"/fhir/Encounter/{booked.pk}").status_code == 404
    assert client.get("/fhir/Procedure/abc").status_code == 404
    reads = AuditEvent.objects.filter(action="fhir.resource_read")
    assert set(reads.values_list("object_type", flat=True)) == {"scheduling.appointment", "notes.noteitem"}


def test_another_clinics_encounter_and_procedure_are_not_found(client, clinician, other_clinic):
    foreign_clinician = UserFactory(clinic=other_clinic, roles=["Clinician"])
    foreign_episode = full_episode(PatientFactory(clinic=other_clinic), foreign_clinician)
    foreign_visit = _visit(foreign_episode, hours=2)
    foreign_note = _noted(foreign_clinician, foreign_visit)
    client.force_login(clinician)

    for path in (f"/fhir/Encounter/{foreign_visit.pk}", f"/fhir/Procedure/{foreign_note.items.all()[1].pk}"):
        assert client.get(path).status_code == 404


def test_the_number_of_queries_does_not_grow_with_visits_and_notes(client, clinician, patient, record, noted_visit):
    client.force_login(clinician)
    everything(client, patient)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one_note:
        first = everything(client, patient)
    for hours in (4, 6, 8):
        _noted(clinician, _visit(record, hours=hours))
    with CaptureQueriesContext(connection) as four_notes:
        second = everything(client, patient)

    assert len(resources(second, "Procedure")) > len(resources(first, "Procedure"))
    assert len(resources(second, "Encounter")) == 4
    assert len(four_notes) == len(one_note)
