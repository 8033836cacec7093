"""Stride's records as FHIR R4 resources: one function per resource type, returning JSON dicts.

The functions read only what they are given (rows loaded by ``clinic.fhir.selectors`` with
their children prefetched), so they run no query of their own. Codes come from DOMAIN.md §9:
LOINC where it gives one (NPRS 72514-3; ODI 97908-8, seen in sample data only), SNOMED CT
299238003 as an extra coding on hip ROM; everything else uses Stride's own code systems under
``CODE_SYSTEM_BASE``. Resource ids are the database ids of the row they come from; an
Observation, which comes from several tables, is prefixed with its kind (``rom-12``).
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal

from assessments import scoring
from assessments.models import Assessment, Finding
from clinic.models import EpisodeOfCare, EpisodeStatus, Patient
from clinic.scheduling.models import Appointment, AppointmentStatus
from intake import instruments
from intake.models import Intake, QuestionnaireScore, RedFlag
from notes import rules as note_rules
from notes.models import ItemStatus, NoteItem, VisitNote
from plans.models import Handout, Prong, TreatmentPlan
from plans.signed import SignedPlan
from running.models import Run

# A fixed URI, not SITE_URL: a code keeps meaning the same thing when a clinic moves host, and
# two Stride clinics' exports use the same codes. ``stride.example`` is the project's own
# namespace (the .example domain is reserved, so it never clashes with a real system).
PROJECT_URI = "https://stride.example/fhir"
CODE_SYSTEM_BASE = f"{PROJECT_URI}/CodeSystem"
CS_OBSERVATION = f"{CODE_SYSTEM_BASE}/observation"
CS_FINDING = f"{CODE_SYSTEM_BASE}/finding"
CS_BODY_SITE = f"{CODE_SYSTEM_BASE}/body-site"
CS_METHOD = f"{CODE_SYSTEM_BASE}/measurement-method"
CS_PRONG = f"{CODE_SYSTEM_BASE}/plan-prong"
CS_RETURN_TO_RUN = f"{CODE_SYSTEM_BASE}/return-to-run"
CS_VISIT_KIND = f"{CODE_SYSTEM_BASE}/visit-kind"
CS_DOCUMENT = f"{CODE_SYSTEM_BASE}/document-type"
CS_RED_FLAG = f"{CODE_SYSTEM_BASE}/red-flag"
CS_RED_FLAG_TIER = f"{CODE_SYSTEM_BASE}/red-flag-tier"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
# FHIR's own code for the setting of an encounter (R4 Encounter.class, required): every Stride
# visit is an outpatient one at the clinic.
ENCOUNTER_CLASS = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory"}
EXT_PRESENTING_COMPLAINT = f"{PROJECT_URI}/StructureDefinition/presenting-complaint"

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"

# DOMAIN 9.1: verified in two HL7 IGs (NPRS); seen in PACIO sample data only (ODI); none for LEFS.
SCORE_CODES: dict[str, dict] = {
    "nprs": {"system": LOINC, "code": "72514-3", "display": "Pain severity 0-10 verbal numeric rating, reported"},
    "odi": {"system": LOINC, "code": "97908-8", "display": "Oswestry Disability Index"},
    "lefs": {"system": CS_OBSERVATION, "code": "lefs", "display": "Lower Extremity Functional Scale score"},
}
# UCUM code and the unit as shown: the ODI is a percentage; the others are unitless scores
# (the UCUM annotation {score}).
SCORE_UNITS = {"odi": ("%", "%"), "nprs": ("{score}", "score"), "lefs": ("{score}", "score")}
# DOMAIN 9.1 lists no LOINC code for the PSFS ("not found") nor for the hip and tendon measures (B12.4): our own codes.
SCORE_CODES |= {
    "hos_adl": {"system": CS_OBSERVATION, "code": "hos-adl", "display": "Hip Outcome Score, daily living subscale"},
    "hos_sport": {"system": CS_OBSERVATION, "code": "hos-sport", "display": "Hip Outcome Score, sport subscale"},
    "ihot12": {"system": CS_OBSERVATION, "code": "ihot12", "display": "International Hip Outcome Tool 12 score"},
    "visag": {"system": CS_OBSERVATION, "code": "visa-g", "display": "VISA-G gluteal tendinopathy score"},
    "psfs": {"system": CS_OBSERVATION, "code": "psfs", "display": "Patient-Specific Functional Scale mean"},
}
SCORE_UNITS |= {"hos_adl": ("%", "%"), "hos_sport": ("%", "%")} | dict.fromkeys(
    ("ihot12", "visag", "psfs"), ("{score}", "score")
)
# DOMAIN 9.1/9.3: exercise duration per session, verified in the Physical Activity IG (S174). A run's
# distance, effort and swelling have no code there: Stride's own codes.
EXERCISE_DURATION = {"system": LOINC, "code": "55411-3", "display": "Exercise duration"}
# DOMAIN 9.2: "Hip joint - range of movement (observable entity)", seen once (S176).
SNOMED_HIP_ROM = {"system": SNOMED, "code": "299238003", "display": "Hip joint - range of movement"}

SIDE_LABELS = {"left": "Left", "right": "Right"}
APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CHECKED_IN: "checked-in",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.NO_SHOW: "noshow",
    AppointmentStatus.CANCELLED: "cancelled",
}


# --- Small pieces ------------------------------------------------------------------------------


def ref(resource_type: str, resource_id: str | int) -> dict:
    return {"reference": f"{resource_type}/{resource_id}"}


def _concept(system: str, code: str, display: str, *extra: dict) -> dict:
    return {"coding": [{"system": system, "code": code, "display": display}, *extra], "text": display}


def _quantity(value: int | Decimal, unit: str, code: str) -> dict:
    number = int(value) if Decimal(value) == Decimal(value).to_integral_value() else float(value)
    return {"value": number, "unit": unit, "system": UCUM, "code": code}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _instant(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _category(code: str, display: str) -> list[dict]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def _performer(name: str) -> list[dict]:
    # Staff are not exported as Practitioner resources (not in the list): named only.
    return [{"display": name}]


def _hip() -> dict:
    return _concept(CS_BODY_SITE, "hip", "Hip")


def _side(side: str) -> dict:
    return _concept(CS_BODY_SITE, f"side-{side}", f"{SIDE_LABELS[side]} side")


# --- Patient and episode -----------------------------------------------------------------------


def patient(row: Patient) -> dict:
    telecom = []
    if row.email:
        telecom.append({"system": "email", "value": row.email, "use": "home"})
    if row.mobile_phone:
        telecom.append({"system": "phone", "value": str(row.mobile_phone), "use": "mobile"})
    for contact in telecom:
        # The channel the patient asked to be reached by comes first.
        preferred = {"email": "email", "phone": "sms"}[contact["system"]] == row.preferred_contact_channel
        contact["rank"] = 1 if preferred else 2
    return {
        "resourceType": "Patient",
        "id": str(row.pk),
        "active": True,
        "name": [{"use": "official", "family": row.last_name, "given": [row.first_name]}],
        "gender": row.sex,  # Sex holds the FHIR administrative-gender codes
        "birthDate": row.date_of_birth.isoformat(),
        "telecom": telecom,
        "managingOrganization": {"display": row.clinic.name},
    }


def episode_of_care(row: EpisodeOfCare, conditions: Iterable[str] = ()) -> dict:
    period = {"start": row.opened_on.isoformat()}
    if row.closed_on:
        period["end"] = row.closed_on.isoformat()
    resource = {
        "resourceType": "EpisodeOfCare",
        "id": str(row.pk),
        "extension": [{"url": EXT_PRESENTING_COMPLAINT, "valueString": row.presenting_complaint}],
        "status": "finished" if row.status == EpisodeStatus.DISCHARGED else "active",
        "patient": ref("Patient", row.patient_id),
        "managingOrganization": {"display": row.patient.clinic.name},
        "period": period,
        "careManager": {"display": row.lead_clinician.full_name},
    }
    diagnosis = [{"condition": ref("Condition", condition_id)} for condition_id in conditions]
    if diagnosis:
        resource["diagnosis"] = diagnosis
    return resource


# --- Intake: questionnaires and their scores -----------------------------------------------------


def questionnaire_response(score: QuestionnaireScore, intake: Intake) -> dict:
    """The raw answers of one questionnaire of a submitted intake, in the questionnaire's order."""
    instrument = instruments.INSTRUMENTS[score.instrument]
    items = [
        {"linkId": code, "answer": [{"valueInteger": score.answers[code]}]}
        for code in instrument.item_codes
        if score.answers.get(code) is not None
    ]
    # The PSFS's activities are the patient's own words: each rating's question text is its activity.
    activities = (score.detail.get("activities") or {}) if score.instrument == "psfs" else {}
    for item in items:
        if item["linkId"] in activities:
            item["text"] = activities[item["linkId"]]
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(score.pk),
        "questionnaire": f"{PROJECT_URI}/Questionnaire/{score.instrument}",
        "status": "completed",
        "subject": ref("Patient", intake.episode.patient_id),
        "authored": _instant(intake.submitted_at),
    }
    if items:
        resource["item"] = items
    return resource


def _score_observation(
    *, resource_id: str, instrument: str, value: Decimal, patient_id: int, effective: str, display: str
) -> dict:
    unit_code, unit = SCORE_UNITS[instrument]
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": _category("survey", "Survey"),
        "code": {"coding": [SCORE_CODES[instrument]], "text": SCORE_CODES[instrument]["display"]},
        "subject": ref("Patient", patient_id),
        "effectiveDateTime": effective,
        "valueQuantity": _quantity(value, unit, unit_code),
        "note": [{"text": display}],
    }


def intake_score_observation(score: QuestionnaireScore, intake: Intake) -> dict | None:
    """A questionnaire's computed score; None when there was not enough to score (the raw
    answers are still in the QuestionnaireResponse). The NPRS score is the pain right now."""
    if not score.scored or score.value is None:
        return None
    observation = _score_observation(
        resource_id=f"score-{score.pk}",
        instrument=score.instrument,
        value=score.value,
        patient_id=intake.episode.patient_id,
        effective=_instant(intake.submitted_at),
        display=score.display,
    )
    observation["derivedFrom"] = [ref("QuestionnaireResponse", score.pk)]
    return observation


def visit_score_observations(assessment: Assessment) -> list[dict]:
    """Questionnaires re-scored at a visit from the patient's paper form."""
    observations = []
    for row in assessment.outcome_scores.all():
        if not row.scored or row.value is None or row.instrument not in SCORE_CODES:
            continue
        observation = _score_observation(
            resource_id=f"visit-score-{row.pk}",
            instrument=row.instrument,
            value=row.value,
            patient_id=assessment.episode.patient_id,
            effective=assessment.assessed_on.isoformat(),
            display=row.display,
        )
        observation["performer"] = _performer(assessment.clinician.full_name)
        observations.append(observation)
    return observations


# --- Runs -----------------------------------------------------------------------------------------


def _run_component(code: str, display: str, value: dict, *extra: dict) -> dict:
    return {"code": _concept(CS_OBSERVATION, code, display, *extra), **value}


def run_observation(run: Run) -> dict:
    """One run as a Physical Activity IG style Observation (DOMAIN 9.3): the session's moving time
    as the value (LOINC 55411-3, minutes); the distance, pain during the run and the next morning
    (NPRS 0-10, LOINC 72514-3 beside Stride's code, DOMAIN B10.5), effort and swelling or stiffness
    as components, each only when recorded."""

    def score(value: int) -> dict:
        return {"valueQuantity": _quantity(value, "score", "{score}")}

    nprs = SCORE_CODES["nprs"]
    components = []
    if run.distance_m is not None:
        components.append(
            _run_component("run-distance", "Distance run", {"valueQuantity": _quantity(run.distance_m, "m", "m")})
        )
    if run.pain_during is not None:
        components.append(_run_component("run-pain-during", "Pain during the run", score(run.pain_during), nprs))
    if run.morning_pain is not None:
        components.append(
            _run_component("run-pain-next-morning", "Pain the next morning", score(run.morning_pain), nprs)
        )
    if run.rpe is not None:
        components.append(_run_component("run-rpe", "Rate of perceived exertion (0-10)", score(run.rpe)))
    if run.swelling_or_stiffness is not None:
        components.append(
            _run_component(
                "run-swelling-or-stiffness",
                "Swelling or stiffness after the run",
                {"valueBoolean": run.swelling_or_stiffness},
            )
        )
    observation = {
        "resourceType": "Observation",
        "id": f"run-{run.pk}",
        "status": "final",
        "category": _category("activity", "Activity"),
        "code": {"coding": [EXERCISE_DURATION], "text": "Run"},
        "subject": ref("Patient", run.episode.patient_id),
        "effectiveDateTime": _instant(run.started_at),
        "valueQuantity": _quantity((Decimal(run.moving_s) / 60).quantize(Decimal("0.01")), "min", "min"),
    }
    if components:
        observation["component"] = components
    if run.note:
        observation["note"] = [{"text": run.note}]
    return observation


# --- Exam measurements -------------------------------------------------------------------------


def _exam_observation(assessment: Assessment, resource_id: str, code: dict) -> dict:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": _category("exam", "Exam"),
        "code": code,
        "subject": ref("Patient", assessment.episode.patient_id),
        "effectiveDateTime": assessment.assessed_on.isoformat(),
        "performer": _performer(assessment.clinician.full_name),
    }


def _component(code: str, display: str, value: dict | None) -> dict:
    component = {"code": _concept(CS_OBSERVATION, code, display)}
    if value is None:
        component["dataAbsentReason"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "not-performed"}]
        }
    else:
        component.update(value)
    return component


def _rom_method(assessment: Assessment, row) -> dict:
    """Mode, device and position (DOMAIN 9.3: ``method`` carries device and position); a reading whose
    position was not recorded has none in its code, rather than a guessed one."""
    parts = [assessment.rom_mode, row.device]
    words = [assessment.get_rom_mode_display(), row.get_device_display().lower()]
    if row.position:
        parts.append(row.position.replace("_", "-"))
        words.append(row.get_position_display().lower())
    return _concept(CS_METHOD, "-".join(parts), ", ".join(words))


def rom_observations(assessment: Assessment) -> list[dict]:
    """One Observation per hip motion, left and right as components (DOMAIN 9.3), in degrees."""
    observations = []
    for row in assessment.rom.all():
        if row.left is None and row.right is None:
            continue
        label = scoring.MOTION_LABELS[row.motion]
        code = f"hip-{row.motion.replace('_', '-')}"
        observation = _exam_observation(
            assessment, f"rom-{row.pk}", _concept(CS_OBSERVATION, code, f"{label} range of motion", SNOMED_HIP_ROM)
        )
        observation["bodySite"] = _hip()
        observation["method"] = _rom_method(assessment, row)
        observation["component"] = [
            _component(
                f"{code}-{side}",
                f"{label}, {side}",
                None if value is None else {"valueQuantity": _quantity(value, "deg", "deg")},
            )
            for side, value in (("left", row.left), ("right", row.right))
        ]
        painful = [side for side in ("left", "right") if getattr(row, f"{side}_painful")]
        if painful:
            observation["note"] = [{"text": f"Painful on the {' and '.join(painful)} side"}]
        observations.append(observation)
    return observations


def fms_observations(assessment: Assessment) -> list[dict]:
    """One Observation per FMS test (the score that counts; raw sides as components) and the
    composite, whose members are the tests. Incomplete tests and composites are left out."""
    raw: dict[str, int | None] = {}
    clearing: dict[str, bool] = {}
    rows = {row.test: row for row in assessment.fms.all()}
    for code, row in rows.items():
        test = scoring.FMS_TESTS_BY_CODE[code]
        if test.bilateral:
            raw[f"{code}_left"], raw[f"{code}_right"] = row.left, row.right
        else:
            raw[code] = row.left
        if test.clearing:
            clearing[test.clearing] = row.clearing_painful
    result = scoring.fms_result(raw, clearing)
    observations = []
    for test in result.tests:
        if test.final is None or test.code not in rows:
            continue
        code = f"fms-{test.code.replace('_', '-')}"
        observation = _exam_observation(
            assessment, f"fms-{rows[test.code].pk}", _concept(CS_OBSERVATION, code, f"FMS {test.label}")
        )
        observation["valueQuantity"] = _quantity(test.final, "score", "{score}")
        if test.bilateral:
            observation["component"] = [
                _component(f"{code}-{side}", f"FMS {test.label}, {side} (raw)", _raw(value))
                for side, value in (("left", test.left), ("right", test.right))
            ]
        if test.clearing_painful:
            observation["note"] = [{"text": "Clearing test painful: the test scores 0"}]
        observations.append(observation)
    if result.composite is not None:
        composite = _exam_observation(
            assessment,
            f"fms-composite-{assessment.pk}",
            _concept(CS_OBSERVATION, "fms-composite", "FMS composite score (0-21)"),
        )
        composite["valueQuantity"] = _quantity(result.composite, "score", "{score}")
        composite["hasMember"] = [ref("Observation", observation["id"]) for observation in observations]
        observations.append(composite)
    return observations


def _mm(value: int | None) -> dict | None:
    return None if value is None else {"valueQuantity": _quantity(value, "mm", "mm")}


def _raw(value: int | None) -> dict | None:
    return None if value is None else {"valueQuantity": _quantity(value, "score", "{score}")}


def leg_length_observation(assessment: Assessment) -> dict | None:
    """True and apparent leg lengths per side and their differences, in millimetres."""
    if assessment.true_left_mm is None or assessment.true_right_mm is None:
        return None
    observation = _exam_observation(
        assessment, f"leg-length-{assessment.pk}", _concept(CS_OBSERVATION, "leg-length", "Leg length")
    )
    apparent = (assessment.apparent_left_mm, assessment.apparent_right_mm)
    observation["component"] = [
        _component("leg-length-true-left", "True leg length, left", _mm(assessment.true_left_mm)),
        _component("leg-length-true-right", "True leg length, right", _mm(assessment.true_right_mm)),
        _component(
            "leg-length-true-difference",
            "True leg-length difference",
            _mm(abs(assessment.true_left_mm - assessment.true_right_mm)),
        ),
        _component("leg-length-apparent-left", "Apparent leg length, left", _mm(apparent[0])),
        _component("leg-length-apparent-right", "Apparent leg length, right", _mm(apparent[1])),
    ]
    if None not in apparent:
        observation["component"].append(
            _component(
                "leg-length-apparent-difference", "Apparent leg-length difference", _mm(abs(apparent[0] - apparent[1]))
            )
        )
    return observation


# --- Findings and plans ------------------------------------------------------------------------


def condition(row: Finding, assessment: Assessment) -> dict:
    """A finding as a Condition. Its code is Stride's (DOMAIN 9.2 gives SNOMED CT codes only for
    diagnoses such as low back pain, none for these exam findings); a clinician's own finding
    has no code, only its wording. A dismissed finding is exported as refuted, with the reason."""
    added = row.code.startswith("clinician_")
    code = {"text": row.label} if added else _concept(CS_FINDING, row.code, row.label)
    resource = {
        "resourceType": "Condition",
        "id": str(row.pk),
        "verificationStatus": {
            "coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed" if row.is_active else "refuted"}]
        },
        "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}],
        "code": code,
        "subject": ref("Patient", assessment.episode.patient_id),
        "recordedDate": _instant(assessment.completed_at),
        "recorder": {"display": assessment.clinician.full_name},
    }
    if row.is_active:
        resource["clinicalStatus"] = {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]}
    if row.side in SIDE_LABELS:
        resource["bodySite"] = [_side(row.side)]
    notes = [f"{item['source']}: {item['detail']}" for item in row.evidence if item.get("detail")]
    if not row.is_active:
        notes.append(f"Dismissed: {row.dismiss_reason}")
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource


def _plan_items(plan: TreatmentPlan, signed: SignedPlan | None) -> tuple[list[tuple[str, str, str]], Mapping[str, str]]:
    """What the plan prescribes, as (name, prong, dosage): the latest signed version (what the
    patient was given), or the draft's items while nothing has been signed yet."""
    if signed is not None:
        return [(item.name, item.prong, item.dosage) for item in signed.items], signed.missing_prong_reasons
    items = [(item.name, item.prong, item.dosage_text) for item in plan.items.all()]
    return items, dict(plan.missing_prong_reasons)


def _override_notes(plan: TreatmentPlan, signed: SignedPlan | None) -> list[dict]:
    """Each item kept against a contraindication, as an Annotation: what it overrode, the
    clinician's reason and who gave it; from the same version (or draft) as the activities."""
    if signed is not None:
        overrides = [
            (
                item.name,
                item.override_contraindication_reason or item.override_contraindication,
                item.override_reason,
                item.override_by,
            )
            for item in signed.overrides
        ]
    else:
        overrides = [
            (
                item.name,
                item.override_contraindication_reason or item.override_contraindication,
                item.override_reason,
                item.override_by.full_name if item.override_by else "",
            )
            for item in plan.items.all()
            if item.override_contraindication or item.override_reason
        ]
    notes = []
    for name, contraindication, reason, by in overrides:
        note = {"text": f"{name} is kept against a contraindication ({contraindication}). Reason: {reason}"}
        if by:
            note["authorString"] = by
        notes.append(note)
    return notes


def _run_program_activity(program, status: str) -> dict:
    """The signed walk-run program as one activity: each phase's intervals, distance or time and
    effort, then the program's rules, as the handout prints them."""
    phases = [
        f"Phase {row['number']}: {row['intervals']}"
        + (f", {row['distance']}" if row["distance"] else "")
        + (f", {row['time']}" if row["time"] != "Not given" else "")
        + (f", effort {row['effort']}" if row["effort"] else "")
        for row in program.rows
    ]
    return {
        "code": _concept(CS_RETURN_TO_RUN, program.key or "walk-run", program.name or "Walk-run program"),
        "status": status,
        "description": "; ".join([*phases, *program.rules]),
    }


def care_plan(plan: TreatmentPlan, conditions: Iterable[str] = ()) -> dict:
    """The three prongs as three activities, each listing its items with their dosage; a prong
    left out carries the clinician's reason and ``doNotPerform``; a signed walk-run program is a
    fourth. A signed plan's period is its
    days in the clinic's calendar, as the patient's portal shows them. Each contraindication
    override is a note: it belongs to the clinical record of what was prescribed."""
    versions = list(plan.versions.all())
    signed = SignedPlan.of(max(versions, key=lambda version: version.number)) if versions else None
    items, missing_reasons = _plan_items(plan, signed)
    if signed is None:
        status, activity_status = "draft", "not-started"
    elif plan.episode.status == EpisodeStatus.DISCHARGED:
        status, activity_status = "completed", "completed"
    else:
        status, activity_status = "active", "in-progress"
    activities = []
    for prong in Prong:
        prong_items = [(name, dosage) for name, item_prong, dosage in items if item_prong == prong.value]
        detail = {"code": _concept(CS_PRONG, prong.value, prong.label), "status": activity_status}
        if prong_items:
            detail["description"] = "; ".join(f"{name} ({dosage})" if dosage else name for name, dosage in prong_items)
        else:
            detail["doNotPerform"] = True
            detail["status"] = "not-started"
            if missing_reasons.get(prong.value):
                detail["statusReason"] = {"text": missing_reasons[prong.value]}
        activities.append({"detail": detail})
    if signed is not None and signed.return_to_run is not None:
        activities.append({"detail": _run_program_activity(signed.return_to_run, activity_status)})
    resource = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "status": status,
        "intent": "plan",
        "title": "Treatment plan",
        "description": f"{_count(plan.visits_per_week, 'visit')} a week for {_count(plan.weeks, 'week')}",
        "subject": ref("Patient", plan.episode.patient_id),
        "created": _instant(plan.created_at),
        "author": {"display": plan.created_by.full_name},
        "supportingInfo": [ref("EpisodeOfCare", plan.episode_id)],
        "activity": activities,
    }
    if signed is not None:
        zone = plan.episode.patient.clinic.zone
        resource["period"] = {"start": signed.first_day(zone).isoformat(), "end": signed.last_day(zone).isoformat()}
    addresses = [ref("Condition", condition_id) for condition_id in conditions]
    if addresses:
        resource["addresses"] = addresses
    notes = _override_notes(plan, signed)
    if notes:
        resource["note"] = notes
    return resource


# --- Visits and handouts -----------------------------------------------------------------------


def appointment(row: Appointment) -> dict:
    resource = {
        "resourceType": "Appointment",
        "id": str(row.pk),
        "status": APPOINTMENT_STATUS[row.status],
        "appointmentType": _concept(CS_VISIT_KIND, row.kind, row.get_kind_display()),
        "start": _instant(row.starts_at),
        "end": _instant(row.ends_at),
        "minutesDuration": int((row.ends_at - row.starts_at).total_seconds() // 60),
        "created": row.created_at.date().isoformat(),
        "supportingInformation": [ref("EpisodeOfCare", row.episode_id)],
        "participant": [
            {"actor": ref("Patient", row.episode.patient_id), "required": "required", "status": "accepted"},
            {"actor": {"display": row.clinician.full_name}, "required": "required", "status": "accepted"},
        ],
    }
    if row.status == AppointmentStatus.CANCELLED and row.cancel_reason:
        resource["cancelationReason"] = {"text": row.cancel_reason}
    return resource


def encounter(row: Appointment) -> dict:
    """A completed visit. Its period is the booked slot: the app records no separate start and
    end of the visit itself."""
    return {
        "resourceType": "Encounter",
        "id": str(row.pk),
        "status": "finished",
        "class": ENCOUNTER_CLASS,
        "type": [_concept(CS_VISIT_KIND, row.kind, row.get_kind_display())],
        "subject": ref("Patient", row.episode.patient_id),
        "episodeOfCare": [ref("EpisodeOfCare", row.episode_id)],
        "participant": [{"individual": {"display": row.clinician.full_name}}],
        "appointment": [ref("Appointment", row.pk)],
        "period": {"start": _instant(row.starts_at), "end": _instant(row.ends_at)},
    }


def _dose(item: NoteItem) -> str:
    """The dose as the note gives it: sets × reps, load, minutes (whichever were recorded)."""
    parts = []
    if item.sets and item.reps:
        parts.append(f"{item.sets} × {item.reps}")
    elif item.sets:
        parts.append(_count(item.sets, "set"))
    elif item.reps:
        parts.append(f"{item.reps} reps")
    if item.load:
        parts.append(item.load)
    if item.minutes:
        parts.append(f"{item.minutes} min")
    return ", ".join(parts)


def procedures(note: VisitNote, *, encounter_exported: bool) -> list[dict]:
    """One Procedure per intervention a signed note records as delivered (as planned or
    modified); lines not done that day are not procedures. The body site is the line's region
    or segment as written (free text: DOMAIN 12.1 names the segment, e.g. L4 or SIJ R, but no
    code system for it). ``basedOn`` is the CarePlan of the signed plan the note was pre-filled
    from; ``encounter`` is the visit's Encounter when the visit is marked completed (only then is
    one exported)."""
    visit = note.appointment
    resources = []
    for item in note.items.all():
        if item.status not in note_rules.GIVEN:
            continue
        resource = {
            "resourceType": "Procedure",
            "id": str(item.pk),
            "status": "completed",
            "category": _concept(CS_PRONG, item.prong, Prong(item.prong).label),
            "code": {"text": item.name},
            "subject": ref("Patient", visit.episode.patient_id),
            "performedDateTime": _instant(visit.starts_at),
            "performer": [{"actor": {"display": note.signed_by.full_name}}],
        }
        if encounter_exported:
            resource["encounter"] = ref("Encounter", visit.pk)
        if note.plan_version is not None:
            resource["basedOn"] = [ref("CarePlan", note.plan_version.plan_id)]
        if item.region:
            resource["bodySite"] = [{"text": item.region}]
        details = [
            text
            for text in (
                f"Technique: {item.technique}" if item.technique else "",
                f"Dose: {_dose(item)}" if _dose(item) else "",
                f"Progression: {item.progression}" if item.progression else "",
                ItemStatus.MODIFIED.label if item.status == ItemStatus.MODIFIED else "",
            )
            if text
        ]
        if details:
            resource["note"] = [{"text": text} for text in details]
        resources.append(resource)
    return resources


def document_reference(handout: Handout, *, pdf_url: str) -> dict:
    """A ready home-program PDF. ``pdf_url`` is the staff download page: it needs a signed-in
    clinician's session, never a public or patient link."""
    version = handout.version
    return {
        "resourceType": "DocumentReference",
        "id": str(handout.pk),
        "status": "current",
        "docStatus": "final",
        "type": _concept(CS_DOCUMENT, "home-program", "Home program handout"),
        "subject": ref("Patient", version.plan.episode.patient_id),
        "date": _instant(handout.updated_at),
        "author": [{"display": version.signed_by.full_name}],
        "description": f"Home program, plan version {version.number}",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "url": pdf_url,
                    "title": f"home-program-v{version.number}.pdf",
                    "creation": _instant(version.signed_at),
                }
            }
        ],
        "context": {"related": [ref("CarePlan", version.plan_id)]},
    }


def binary(handout: Handout, content: bytes) -> dict:
    """The handout PDF as a Binary resource, for a client that asked for FHIR JSON."""
    return {
        "resourceType": "Binary",
        "id": str(handout.pk),
        "contentType": "application/pdf",
        "securityContext": ref("DocumentReference", handout.pk),
        "data": base64.b64encode(content).decode("ascii"),
    }


def flag(row: RedFlag) -> dict:
    """A red flag from the intake screen as a Flag (DOMAIN 9.3), active until a clinician
    records medical clearance. Its code is Stride's question code (DOMAIN gives no SNOMED
    codes for the screen's items); the tier (emergency, urgent, caution) is a second category,
    since R4's Flag has no severity of its own."""
    resource = {
        "resourceType": "Flag",
        "id": str(row.pk),
        "status": "active" if row.is_open else "inactive",
        "category": [
            {"coding": [{"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}]},
            _concept(CS_RED_FLAG_TIER, row.tier, row.get_tier_display()),
        ],
        "code": _concept(CS_RED_FLAG, row.code, row.label),
        "subject": ref("Patient", row.episode.patient_id),
        "period": {"start": _instant(row.raised_at)},
    }
    if row.cleared_at is not None:
        resource["period"]["end"] = _instant(row.cleared_at)
    return resource
