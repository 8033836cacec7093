"""The mapping's rules on single rows: statuses, codes and the cases the full record does not
show (dismissed and clinician-added findings, a draft or finished plan, a cancelled visit)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from assessments.models import Assessment, Finding, FindingOrigin
from clinic.fhir import mapping, selectors
from clinic.models import Clinic, EpisodeOfCare, EpisodeStatus, User
from clinic.scheduling.models import Appointment, AppointmentStatus
from plans import services as plan_services
from plans.models import PlanVersion, TreatmentPlan
from tests.assessments.helpers import login
from tests.assessments.helpers import record as record_exam
from tests.factories import AppointmentFactory, AssessmentFactory
from tests.fhir.helpers import full_episode


def _valid(resource: dict) -> dict:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("22.000"), 22), (Decimal("22.222"), 22.222), (14, 14), (Decimal("0"), 0)],
)
def test_quantities_are_whole_numbers_when_whole(value, expected):
    quantity = mapping._quantity(value, "%", "%")
    assert quantity["value"] == expected
    assert isinstance(quantity["value"], type(expected))


def test_every_appointment_status_has_a_fhir_status():
    assert set(mapping.APPOINTMENT_STATUS) == set(AppointmentStatus)
    assert set(mapping.APPOINTMENT_STATUS.values()) <= {
        "proposed",
        "pending",
        "booked",
        "arrived",
        "fulfilled",
        "cancelled",
        "noshow",
        "entered-in-error",
        "checked-in",
        "waitlist",
    }


def _assessment() -> Assessment:
    # Unsaved rows: the mapping reads attributes only.
    episode = EpisodeOfCare(pk=3, patient_id=5)
    return Assessment(pk=9, episode=episode, clinician=User(full_name="Dana Lead"), completed_at=timezone.now())


@pytest.mark.parametrize(
    ("finding", "status", "coded", "body_site"),
    [
        (
            Finding(pk=1, code="hip_flexor_tightness", side="left", label="Tight hip flexors"),
            "confirmed",
            True,
            "side-left",
        ),
        (
            Finding(
                pk=2,
                code="knee_valgus",
                label="Knee valgus",
                dismissed_at=timezone.now(),
                dismiss_reason="Not seen on video",
            ),
            "refuted",
            True,
            None,
        ),
        (
            Finding(pk=3, code="clinician_weak_core", label="Weak core", origin=FindingOrigin.ADDED, reason="Exam"),
            "confirmed",
            False,
            None,
        ),
    ],
)
def test_conditions(finding, status, coded, body_site):
    condition = _valid(mapping.condition(finding, _assessment()))

    assert condition["verificationStatus"]["coding"][0]["code"] == status
    assert ("clinicalStatus" in condition) == (status == "confirmed")
    assert ("coding" in condition["code"]) == coded
    assert condition["code"]["text"] == finding.label
    assert condition.get("bodySite", [{"coding": [{"code": None}]}])[0]["coding"][0]["code"] == body_site
    if status == "refuted":
        assert {"text": "Dismissed: Not seen on video"} in condition["note"]


@pytest.mark.parametrize(
    ("resource_type", "resource_id"),
    [
        ("Observation", "rom-x"),
        ("Observation", "score"),
        ("Observation", "bogus-1"),
        ("Observation", "rom-1-2"),
        ("Patient", "1.5"),
        ("Patient", "-1"),
        ("Condition", "9" * 19),
        ("Medication", "1"),
    ],
)
def test_ids_no_row_can_have_name_no_owner(db, resource_type, resource_id):
    assert selectors.owner_of(resource_type, resource_id) is None


def test_a_finished_episodes_plan_is_completed(clinician, patient):
    episode = full_episode(patient, clinician)
    assert mapping.care_plan(selectors.patient_rows(patient).plans[0])["status"] == "active"

    EpisodeOfCare.objects.filter(pk=episode.pk).update(status=EpisodeStatus.DISCHARGED, closed_on=timezone.localdate())
    finished = selectors.patient_rows(patient)

    assert _valid(mapping.care_plan(finished.plans[0]))["status"] == "completed"
    assert _valid(mapping.episode_of_care(finished.episodes[0]))["status"] == "finished"


def test_an_unsigned_plan_is_a_draft_listing_its_items_as_they_stand(client, clinician, episode):
    assessment = record_exam(login(client, clinician), episode)
    plan = plan_services.plan_draft(actor=clinician, assessment=assessment)

    draft = _valid(mapping.care_plan(selectors.patient_rows(episode.patient).plans[0]))

    assert draft["status"] == "draft"
    assert "period" not in draft
    described = " ".join(activity["detail"].get("description", "") for activity in draft["activity"])
    assert plan.items.exists()
    for item in plan.items.all():
        assert item.name in described


def test_a_cancelled_visit_is_cancelled_with_its_reason(clinician, episode):
    visit = AppointmentFactory(episode=episode, clinician=clinician)
    Appointment.objects.filter(pk=visit.pk).update(status=AppointmentStatus.CANCELLED, cancel_reason="Patient called")
    visit.refresh_from_db()

    resource = _valid(mapping.appointment(visit))

    assert resource["status"] == "cancelled"
    assert resource["cancelationReason"] == {"text": "Patient called"}
    assert resource["start"].endswith("Z")
    assert datetime.datetime.fromisoformat(resource["start"]) == visit.starts_at


def test_a_signed_plans_period_is_its_days_in_the_clinics_calendar(clinician, patient):
    # The same first and last day as the portal and the handout: the clinic's date of signing, for the
    # signed weeks (an unsigned edit of the weeks does not count). 03:30 UTC on 2 March is 1 March in Chicago.
    Clinic.objects.filter(pk=patient.clinic_id).update(time_zone="America/Chicago")
    patient.refresh_from_db()
    full_episode(patient, clinician)
    plan = selectors.patient_rows(patient).plans[0]
    PlanVersion.objects.filter(plan=plan).update(signed_at=datetime.datetime(2026, 3, 2, 3, 30, tzinfo=datetime.UTC))
    TreatmentPlan.objects.filter(pk=plan.pk).update(weeks=plan.versions.all()[0].body["weeks"] + 3)
    signed_weeks = plan.versions.all()[0].body["weeks"]

    period = _valid(mapping.care_plan(selectors.patient_rows(patient).plans[0]))["period"]

    last = datetime.date(2026, 3, 1) + datetime.timedelta(days=7 * signed_weeks - 1)
    assert period == {"start": "2026-03-01", "end": last.isoformat()}


def test_fhir_method_carries_the_position_only_when_recorded(episode):
    assessment = AssessmentFactory(episode=episode, exam={"rom_internal_rotation_position": "side_lying"})
    assessment.rom.filter(motion="flexion").update(position="")

    methods = {
        observation["code"]["coding"][0]["code"]: observation["method"]["coding"][0]
        for observation in mapping.rom_observations(assessment)
    }

    assert methods["hip-internal-rotation"]["code"] == "passive-goniometer-side-lying"
    assert methods["hip-internal-rotation"]["display"] == "Passive, goniometer, side-lying"
    assert methods["hip-flexion"]["code"] == "passive-goniometer"
