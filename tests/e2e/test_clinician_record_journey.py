"""The clinician's record, end to end in the browser: an initial evaluation with every section of
the exam filled through the form but one marked not tested (two tight structures on one Thomas
test, each rotation's position), read back on the completed assessment; a condition the clinician
adds from the list, which drafts its programme and applies its contraindications; a plan drafted,
given a contraindicated item with an override reason, the intake's red flag cleared (the draft
follows at once), and signed; the signed version, the handout PDF
and the FHIR export read back; a re-assessment and the progress page.

Each step is a small function taking the page, so that further checks slot into the step they
belong to."""

from __future__ import annotations

import datetime
import io
import re

import pytest
import time_machine
from pypdf import PdfReader

from assessments import findings, scoring
from assessments.models import Assessment, AssessmentKind, AssessmentStatus
from clinic.permissions import Role
from intake.models import RedFlag
from plans.models import HandoutStatus, PlanVersion
from tests.assessments.helpers import BASELINE_DAY, REASSESSMENT_DAY
from tests.e2e.conftest import TABLET
from tests.e2e.preconditions import submitted_intake
from tests.factories import EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Unexplained weight loss: an urgent red flag, which asks for medical clearance.
INTAKE = {"red_flags": {"weight_loss": "yes"}}

# The initial evaluation, as typed. Hip ROM in degrees, (left, right); extension short on the left.
ROM = {
    "flexion": (118, 121),
    "extension": (4, 16),
    "abduction": (41, 43),
    "adduction": (27, 28),
    "internal_rotation": (33, 36),
    "external_rotation": (42, 44),
}
PAINFUL_ROM = ("extension", "left")
# FMS raw scores: (left or single, right); composite 2+1+2+3+2+2+2 = 14.
FMS = {
    "deep_squat": ("2",),
    "hurdle_step": ("2", "1"),
    "inline_lunge": ("2", "2"),
    "shoulder_mobility": ("3", "3"),
    "active_straight_leg_raise": ("2", "2"),
    "trunk_stability_pushup": ("2",),
    "rotary_stability": ("2", "2"),
}
LEG_LENGTH_REASON = "Tape measure not in the room today; measure at the next visit."
SLR_ANGLE = "48"
CADENCE = "158"
FORM_NOTES = "Heel strikes well ahead of the body; trunk upright."
# A condition from the list: its programme is drafted and its contraindications apply.
FINDING = ("Gluteal tendinopathy", "right", "Tender over the right greater trochanter; pain lying on that side.")
OVERRIDE = ("Lying hamstring stretch", "Gentle stretch only, stopped short of any leg symptoms; tolerated in clinic.")
CLEARANCE = "Cleared by Dr Lee (GP) on the phone: weight loss explained by marathon training."

# At the re-assessment: hip ROM and FMS recorded, the other sections not tested.
ROM_LATER = {motion: (left + (12 if motion == "extension" else 0), right) for motion, (left, right) in ROM.items()}
FMS_LATER = {**FMS, "hurdle_step": ("2", "2")}


def _press(page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()


def _region(page, name: str) -> str:
    return page.get_by_role("region", name=name, exact=True).inner_text()


def _fill_rom(page, rom: dict) -> None:
    for motion, (left, right) in rom.items():
        label = scoring.MOTION_LABELS[motion]
        page.get_by_label(f"{label}, left (degrees)").fill(str(left))
        page.get_by_label(f"{label}, right (degrees)").fill(str(right))


def _fill_fms(page, scores: dict) -> None:
    for test in scoring.FMS_TESTS:
        if test.bilateral:
            left, right = scores[test.code]
            page.get_by_label(f"{test.label}, left", exact=True).select_option(left)
            page.get_by_label(f"{test.label}, right", exact=True).select_option(right)
        else:
            page.get_by_label(test.label, exact=True).select_option(scores[test.code][0])


def _special(page, test: str, side: str, result: str) -> None:
    page.get_by_label(f"{findings.SPECIAL_TEST_LABELS[test]}, {side}", exact=True).select_option(result)


def _fill_special_tests(page) -> None:
    """Every test negative on both sides, then a positive Thomas (left: iliopsoas and rectus femoris
    tight together) and a positive
    SLR (right, with its angle, reproducing leg symptoms)."""
    for code, _label in findings.SPECIAL_TESTS:
        for side in ("left", "right"):
            _special(page, code, side, "negative")
    _special(page, "thomas", "left", "positive")
    tight = page.get_by_role("group", name="Tight structures, left (when positive)")
    tight.get_by_label("Iliopsoas (one-joint flexor)").check()
    tight.get_by_label("Rectus femoris").check()
    _special(page, "slr", "right", "positive")
    page.get_by_label("SLR angle, right (degrees)").fill(SLR_ANGLE)
    page.get_by_label("Reproduces leg symptoms, right").check()


def _fill_running_form(page) -> None:
    page.get_by_label("Overstriding").check()
    page.get_by_label("Cadence (steps/min)").fill(CADENCE)
    page.get_by_label("Running-form notes").fill(FORM_NOTES)


def _mark_not_tested(page, section: str, reason: str) -> None:
    page.get_by_role("checkbox", name=f"Not tested ({section})").check()
    page.get_by_label(f"Why not tested (optional), {section}").fill(reason)


def _start_assessment(page, episode_url: str, *, kind: str, on) -> None:
    """On the episode page: the start form's kind and visit date, then the assessment screen."""
    page.goto(episode_url)
    panel = page.get_by_role("region", name="Assessments")
    panel.get_by_label(kind).check()
    panel.get_by_label("Date of the visit").fill(on.isoformat())
    panel.get_by_role("button", name="Start assessment").click()
    page.wait_for_load_state()
    assert "(draft)" in page.get_by_role("heading", level=1).inner_text()


# --- The steps ------------------------------------------------------------------------------------


def initial_evaluation(page, journey, episode) -> Assessment:
    """Step 1: every section through the form, leg length marked not tested with its reason."""
    episode_url = journey.url(f"/episodes/{episode.pk}/")
    page.goto(episode_url)
    journey.check(page, "01-episode")
    _start_assessment(page, episode_url, kind="Initial evaluation", on=BASELINE_DAY)
    page.get_by_label("Pain today (NPRS 0–10)").select_option("5")
    _fill_rom(page, ROM)
    motion, side = PAINFUL_ROM
    page.get_by_label(f"Pain on {scoring.MOTION_LABELS[motion].lower()}, {side}").check()
    _fill_fms(page, FMS)
    _mark_not_tested(page, "Leg length", LEG_LENGTH_REASON)
    _fill_special_tests(page)
    _fill_running_form(page)
    journey.check(page, "02-initial-form")
    _press(page, "Complete and derive findings")
    assessment = Assessment.objects.get(episode=episode, kind=AssessmentKind.INITIAL)
    assert assessment.status == AssessmentStatus.COMPLETED, page.get_by_role("main").inner_text()[:2000]
    return assessment


def completed_assessment_shows_the_exam(page, journey) -> None:
    """Step 2: the completed assessment, read-only, shows every value typed and the section not
    tested with its reason; the findings list that section too."""
    assert page.locator("[name=rom_flexion_left], [name=cadence]").count() == 0  # no exam control left
    record = page.get_by_role("region", name="Exam as recorded")
    rom = _rows(record.get_by_role("region", name="Hip range of motion (degrees)"))
    for motion, (left, right) in ROM.items():
        cells = rom[scoring.MOTION_LABELS[motion]]
        assert f"{left}°" in cells[0], (motion, cells)
        assert f"{right}°" in cells[1], (motion, cells)
    motion, side = PAINFUL_ROM
    assert "painful" in rom[scoring.MOTION_LABELS[motion]][0 if side == "left" else 1]
    fms_region = record.get_by_role("region", name="Functional Movement Screen")
    fms = _rows(fms_region)
    for test in scoring.FMS_TESTS:
        typed = FMS[test.code]
        assert [cell.rsplit(" ", 1)[-1] for cell in fms[test.label][: len(typed)]] == list(typed), (test.code, fms)
    assert "Composite: 14 / 21" in fms_region.inner_text()
    leg = record.get_by_role("region", name="Leg length", exact=True).inner_text()
    assert f"Not tested: {LEG_LENGTH_REASON}" in leg
    special = _rows(record.get_by_role("region", name="Special tests"))
    for code, label in findings.SPECIAL_TESTS:
        for index, side in enumerate(("left", "right")):
            positive = (code, side) in {("thomas", "left"), ("slr", "right")}
            assert ("Positive" if positive else "Negative") in special[label][index], (code, side, special[label])
    assert "iliopsoas" in special["Thomas test"][0]
    assert "rectus femoris" in special["Thomas test"][0]
    assert f"angle {SLR_ANGLE}°" in special["Straight-leg raise"][1]
    assert "reproduces leg symptoms" in special["Straight-leg raise"][1]
    running = record.get_by_role("region", name="Running form").inner_text()
    assert "Overstriding" in running
    assert f"{CADENCE} steps/min" in running
    assert FORM_NOTES in running

    found = _region(page, "Findings")
    assert f"Not tested at this visit\nLeg length: {LEG_LENGTH_REASON}" in found
    for expected in [
        "Hip flexor tightness – left",
        "Rectus femoris tightness – left",
        "Reduced hip extension – left",
        "Positive neural tension test – right",
        "FMS hurdle step asymmetry",
        "Overstriding",
    ]:
        assert expected in found, expected
    journey.check(page, "03-initial-completed")


def _rows(region) -> dict[str, list[str]]:
    """A read-only table's rows: row header -> the texts of its other cells."""
    return {
        row.get_by_role("rowheader").inner_text(): [cell.inner_text() for cell in row.get_by_role("cell").all()]
        for row in region.get_by_role("row").all()[1:]
    }


def clinician_adds_a_finding(page, journey) -> None:
    """Step 3: a condition from the list, with its side and reason."""
    label, side, reason = FINDING
    page.get_by_text("Add a finding", exact=True).click()
    form = page.locator("form[action$='/findings/add/']")
    form.get_by_label("Condition").select_option(label=f"{label} / greater trochanteric pain syndrome (GTPS)")
    form.get_by_label("Side").select_option(side)
    form.get_by_label("Why add it?").fill(reason)
    form.get_by_role("button", name="Add finding").click()
    page.wait_for_load_state()
    found = _region(page, "Findings")
    assert f"{label} / greater trochanteric pain syndrome (GTPS) – right" in found
    assert "(added by Dana Lead)" in found
    assert "not used by the rules" not in found
    journey.screenshot(page, "04-finding-added")


def draft_override_clear_and_sign(page, journey, episode) -> PlanVersion:
    """Step 4: the plan drafted; a contraindicated item added with the override reason; the red
    flag cleared on the intake summary; the plan signed."""
    _press(page, "Draft plan")
    assert "Treatment plan" in page.get_by_role("heading", level=1).inner_text()
    referral = page.get_by_role("alert").filter(has_text="Referral").inner_text()
    assert "record medical clearance before any spinal manipulation" in referral
    excluded = _region(page, "Left out by contraindications")
    assert "Lumbar spine manipulation (HVLA thrust): An urgent red flag is open" in excluded
    assert "cannot be overridden" in excluded
    # The condition the clinician added drafts its programme and applies its contraindications.
    assert page.get_by_role("article", name="Side-lying hip abduction").count() == 1
    assert "Standing ITB stretch: Gluteal tendinopathy" in excluded
    name, reason = OVERRIDE
    plan_url = page.url
    journey.check(page, "05-plan-draft")

    # The stretch is not among the items left out (no rule chose it), but the positive SLR
    # contraindicates it: added without a reason, it is refused and the reason asked for.
    _add_from_library(page, name, "")
    add = page.get_by_role("region", name="Add from the library")
    # Refused, the form keeps the choice and says what is needed beside the reason field.
    assert name in add.get_by_label("Add from the library").locator("option:checked").inner_text()
    assert f"{name} is contraindicated" in add.locator("#id_override_reason_errors").inner_text()
    assert page.get_by_role("article", name=name).count() == 0
    journey.check(page, "06-plan-item-needs-a-reason")
    _add_from_library(page, name, reason)
    item = page.get_by_role("article", name=name)
    assert f"Contraindication overridden: {reason}" in item.inner_text()
    journey.screenshot(page, "07-plan-item-overridden")

    record_clearance(page, journey, episode)

    page.goto(plan_url)
    # The draft follows the episode's flags as they stand: cleared, the referral and the block go.
    assert page.get_by_role("alert").filter(has_text="Referral").count() == 0
    assert "An urgent red flag is open" not in _region(page, "Left out by contraindications")
    journey.screenshot(page, "09-plan-after-clearance")
    _press(page, "Sign the plan")  # every prong has an item: no reason for an empty one is asked
    assert page.get_by_role("heading", level=1).inner_text() == "Treatment plan, version 1"
    version = PlanVersion.objects.get(plan__episode=episode)
    (kept,) = [item for item in version.body["items"] if item["name"] == name]
    assert kept["override_reason"] == reason
    return version


def _add_from_library(page, name: str, override_reason: str) -> None:
    add = page.get_by_role("region", name="Add from the library")
    # The option also says whether the item is contraindicated: chosen by the item's name.
    option = add.get_by_label("Add from the library").locator("option", has_text=name)
    assert "contraindicated, needs a written reason" in option.inner_text()
    add.get_by_label("Add from the library").select_option(option.get_attribute("value"))
    add.get_by_label("Reason for adding a contraindicated item").fill(override_reason)
    add.get_by_role("button", name="Add to plan").click()
    page.wait_for_load_state()


def record_clearance(page, journey, episode) -> None:
    page.goto(journey.url(f"/episodes/{episode.pk}/"))
    page.get_by_role("link", name="Read the intake summary").click()
    page.wait_for_load_state()
    flags = page.get_by_role("region", name="Red flags")
    assert "medical clearance" in flags.inner_text()
    flags.get_by_label("Medical clearance: who cleared it, when, and why").fill(CLEARANCE)
    flags.get_by_role("button", name="Record clearance").click()
    page.wait_for_load_state()
    assert f"by Dana Lead: {CLEARANCE}" in _region(page, "Red flags")
    journey.check(page, "08-red-flag-cleared")
    assert not RedFlag.objects.get(episode=episode, code="weight_loss").is_open


def signed_version_shows_override_and_notes(page, journey, version: PlanVersion) -> None:
    """Step 5a: the signed version keeps the override reason and the notes for the clinician."""
    name, reason = OVERRIDE
    flags = _region(page, "Red flags and contraindications")
    assert "reflects the red flags and clearance at that time" in flags
    # Signed after the clearance: no referral for it, and the thrust no longer blocked.
    assert "An urgent red flag is open" not in flags
    overrides = _region(page, "Contraindications overridden")
    assert name in overrides
    assert f"Reason: {reason}" in overrides
    notes = _region(page, "Notes for the clinician")
    assert version.body["clinician_notes"]
    for note in version.body["clinician_notes"]:
        assert note in notes, note
    journey.check(page, "10-plan-signed")


def handout_pdf_text(page, journey) -> str:
    """Step 5b: the handout, made while the page polls, downloaded from the version page."""
    page.wait_for_selector("#handout-status >> text=Download the handout", timeout=30000)
    journey.screenshot(page, "11-handout-ready")
    with page.expect_download() as download_info:
        page.locator("#handout-status").get_by_role("link", name=re.compile("Download the handout")).click()
    pdf = download_info.value.path().read_bytes()
    text = " ".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text)


def handout_has_the_program_not_the_clinician_notes(text: str, version: PlanVersion) -> None:
    """Step 5b, continued: every home exercise (the overridden stretch included) and the
    emergency-care box; nothing written for the clinician (the override and what it overrides,
    the generator's notes, the clearance, the clinician's finding)."""
    home = [item["name"] for item in version.body["items"] if item["home_program"]]
    assert OVERRIDE[0] in home
    for name in home:
        assert name in text, name
    assert "When to call the clinic" in text
    assert "Seek emergency care at once if you have any of these" in text
    (kept,) = [item for item in version.body["items"] if item["name"] == OVERRIDE[0]]
    private = [kept["override_reason"], kept["override_contraindication_reason"], *version.body["clinician_notes"]]
    for words in [*private, CLEARANCE, FINDING[2]]:
        assert words
        assert _squash(words)[:50] not in text, words


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def fhir_export(page, journey, episode) -> dict:
    """Step 5c: the patient's record as FHIR, read with the clinician's session."""
    response = page.request.get(journey.url(f"/fhir/Patient/{episode.patient_id}/$everything"))
    assert response.status == 200, response.text()[:500]
    return response.json()


def fhir_has_the_override_and_the_exam(bundle: dict, assessment: Assessment) -> None:
    """The CarePlan carries the override as a note; the initial evaluation's hip ROM and FMS are
    Observations of that day; the clinician's finding is a Condition; the cleared flag is inactive."""
    resources = [entry["resource"] for entry in bundle["entry"]]
    (care_plan,) = _of_type(resources, "CarePlan")
    name, reason = OVERRIDE
    assert any(name in note["text"] and reason in note["text"] for note in care_plan.get("note", [])), care_plan
    exam = {
        observation["code"]["coding"][0]["display"]: observation
        for observation in _of_type(resources, "Observation")
        if observation.get("effectiveDateTime") == assessment.assessed_on.isoformat()
    }
    for motion, sides in ROM.items():
        observation = exam[f"{scoring.MOTION_LABELS[motion]} range of motion"]
        values = tuple(component["valueQuantity"]["value"] for component in observation["component"])
        assert values == sides, (motion, values)
    painful = exam[f"{scoring.MOTION_LABELS[PAINFUL_ROM[0]]} range of motion"]
    assert painful["note"] == [{"text": f"Painful on the {PAINFUL_ROM[1]} side"}]
    assert exam["FMS composite score (0-21)"]["valueQuantity"]["value"] == 14
    assert exam["FMS Hurdle step"]["valueQuantity"]["value"] == 1
    label, _side, _reason = FINDING
    assert any(label in str(condition["code"]) for condition in _of_type(resources, "Condition"))
    (flag,) = [flag for flag in _of_type(resources, "Flag") if flag["code"]["coding"][0]["code"] == "weight_loss"]
    assert flag["status"] == "inactive"


def _of_type(resources: list[dict], resource_type: str) -> list[dict]:
    return [resource for resource in resources if resource["resourceType"] == resource_type]


def reassessment(page, journey, episode) -> None:
    """Step 6: hip ROM and FMS recorded, the other sections marked not tested."""
    _start_assessment(page, journey.url(f"/episodes/{episode.pk}/"), kind="Re-assessment", on=REASSESSMENT_DAY)
    page.get_by_label("Pain today (NPRS 0–10)").select_option("2")
    _fill_rom(page, ROM_LATER)
    # Internal rotation measured seated this time (prone, the clinic default, at the first visit).
    page.get_by_label("Hip internal rotation: position").select_option("seated")
    _fill_fms(page, FMS_LATER)
    for section in ("Leg length", "Special tests", "Running form"):
        _mark_not_tested(page, section, "Not needed at this check.")
    journey.check(page, "12-reassessment-form")
    _press(page, "Complete and derive findings")
    later = Assessment.objects.get(episode=episode, kind=AssessmentKind.REASSESSMENT)
    assert later.status == AssessmentStatus.COMPLETED, page.get_by_role("main").inner_text()[:2000]
    found = _region(page, "Findings")
    for section in ("Leg length", "Special tests", "Running form"):
        assert f"{section}: Not needed at this check." in found, section
    journey.screenshot(page, "13-reassessment-completed")


def progress_shows_the_change(page, journey, episode) -> None:
    """Step 6, continued: the change from the initial evaluation, judged."""
    page.goto(journey.url(f"/episodes/{episode.pk}/"))
    page.get_by_role("link", name="Progress against baseline").click()
    page.wait_for_load_state()
    table = page.get_by_role("region", name="Change against baseline").get_by_role("table")
    rows = {row.get_by_role("rowheader").inner_text(): row.inner_text() for row in table.get_by_role("row").all()[1:]}
    for measure, baseline, now, judgement in [
        ("Hip extension left", ROM["extension"][0], ROM_LATER["extension"][0], "Improved"),
        ("FMS hurdle step", 1, 2, "Improved"),
        ("NPRS", 5, 2, "Improved"),  # the baseline's pain is the intake's
        ("Hip flexion left", ROM["flexion"][0], ROM_LATER["flexion"][0], "No change"),
    ]:
        cells = rows[measure].split("\t")
        assert [cells[1].split(".")[0], cells[2].split(".")[0], cells[4]] == [str(baseline), str(now), judgement], (
            measure,
            cells,
        )
    # Readings taken in different positions are not compared.
    cells = rows["Hip internal rotation left"].split("\t")
    assert cells[4] == "Not comparable", cells
    assert "taken prone then seated: not comparable" in rows["Hip internal rotation left"]
    journey.check(page, "14-progress")


def test_clinician_records_the_whole_episode(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead")
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    episode = EpisodeFactory(
        patient__clinic=clinician.clinic,
        patient__first_name="Sam",
        patient__last_name="Okoro",
        patient__date_of_birth=datetime.date(1988, 5, 14),  # 38: no age flag beside the intake's
        lead_clinician=clinician,
        presenting_complaint="Right buttock and leg pain on long runs",
    )
    # The intake two days before the initial evaluation, so that it is the pain's baseline.
    with time_machine.travel(
        datetime.datetime.combine(BASELINE_DAY - datetime.timedelta(days=2), datetime.time(12), tzinfo=datetime.UTC)
    ):
        submitted_intake(episode, actor=front_desk, answers=INTAKE)
    assert RedFlag.objects.get(episode=episode, code="weight_loss").is_open

    page = journey.open(**TABLET, accept_downloads=True)
    journey.sign_in(page, clinician)
    journey.check(page, "00-dashboard")

    assessment = initial_evaluation(page, journey, episode)
    completed_assessment_shows_the_exam(page, journey)
    clinician_adds_a_finding(page, journey)
    version = draft_override_clear_and_sign(page, journey, episode)
    signed_version_shows_override_and_notes(page, journey, version)
    text = handout_pdf_text(page, journey)
    assert version.handout.status == HandoutStatus.READY
    handout_has_the_program_not_the_clinician_notes(text, version)
    fhir_has_the_override_and_the_exam(fhir_export(page, journey, episode), assessment)
    reassessment(page, journey, episode)
    progress_shows_the_change(page, journey, episode)
