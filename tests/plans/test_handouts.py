"""Home-program handouts: signing renders a PDF with real text; every seeded exercise renders."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from assessments.models import Assessment, AssessmentStatus
from plans import handouts, library
from plans.models import Handout, HandoutStatus, PlanVersion, TreatmentPlan


def _text(handout: Handout) -> str:
    with handout.file.open("rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _plan(episode, clinician) -> TreatmentPlan:
    assessment = Assessment.objects.create(
        episode=episode, clinician=clinician, status=AssessmentStatus.COMPLETED, completed_at=timezone.now()
    )
    return TreatmentPlan.objects.create(episode=episode, assessment=assessment, created_by=clinician)


def _version(episode, clinician, items: list[dict], weeks: int = 2) -> PlanVersion:
    plan = _plan(episode, clinician)
    body = {
        "clinician": {"name": clinician.full_name, "credentials": "DC"},
        "visits_per_week": 1,
        "weeks": weeks,
        "running_advice": ["Take slightly shorter steps when you run."],
        "items": items,
    }
    return PlanVersion.objects.create(plan=plan, number=1, body=body, signed_by=clinician, signed_at=timezone.now())


def _item(intervention: library.Intervention) -> dict:
    return {
        "name": intervention.name,
        "prong": intervention.prong.value,
        "dosage": intervention.dosage.text(),
        "instructions": intervention.instructions,
        "progression": intervention.patient_progression,
        "cautions": intervention.patient_cautions,
        "home_program": True,
        "illustration": f"static:plans/exercises/{intervention.illustration}" if intervention.illustration else "",
    }


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_every_seeded_home_program_item_renders_with_its_name_and_dose(episode, clinician):
    home = [item for item in library.INTERVENTIONS if item.home_program]
    version = _version(episode, clinician, [_item(item) for item in home])
    handout = Handout.objects.create(version=version)
    assert handouts.render(handout_id=handout.pk) is True
    handout.refresh_from_db()
    assert handout.status == HandoutStatus.READY
    text = " ".join(_text(handout).split())
    for item in home:
        assert item.name in text, item.name
        if item.dosage.text():
            assert " ".join(item.dosage.text().split()) in text, item.name
    assert episode.patient.full_name in text
    assert "When to call the clinic" in text
    assert "Page 1 of" in text


def test_rendering_is_done_once_per_version(episode, clinician):
    version = _version(episode, clinician, [_item(library.INTERVENTIONS_BY_KEY["glute-bridge"])])
    handout = Handout.objects.create(version=version)
    assert handouts.render(handout_id=handout.pk) is True
    assert handouts.render(handout_id=handout.pk) is False
    handout.refresh_from_db()
    assert handout.attempts == 1
    assert handout.file.name == f"handouts/plan-{version.plan_id}-v1.pdf"


def test_a_failure_is_recorded_and_can_be_retried(episode, clinician, monkeypatch):
    version = _version(episode, clinician, [])
    handout = Handout.objects.create(version=version)
    monkeypatch.setattr(handouts, "html", lambda version: (_ for _ in ()).throw(RuntimeError("boom")))
    assert handouts.render(handout_id=handout.pk) is False
    handout.refresh_from_db()
    assert (handout.status, handout.error) == (HandoutStatus.FAILED, "RuntimeError")
    monkeypatch.undo()
    assert handouts.render(handout_id=handout.pk) is True


def test_signing_a_plan_queues_and_renders_its_handout(client, clinician, episode, django_capture_on_commit_callbacks):
    from plans import services
    from plans.models import PlanItem

    plan = _plan(episode, clinician)
    services.library_seed(clinic=episode.patient.clinic)
    PlanItem.objects.create(plan=plan, prong="exercise", name="Glute bridge", home_program=True, sets=2, reps="10–15")
    PlanItem.objects.create(plan=plan, prong="manipulation", name="Hip mobilisation")
    PlanItem.objects.create(plan=plan, prong="soft_tissue", name="Foam rolling", home_program=True)
    with django_capture_on_commit_callbacks(execute=True):
        signed = services.plan_sign(actor=clinician, plan=plan)
    handout = Handout.objects.get(version=signed)
    assert handout.status == HandoutStatus.READY
    assert "Glute bridge" in _text(handout)
    client.force_login(clinician)
    response = client.get(f"/plans/{plan.pk}/versions/{signed.number}/handout.pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_front_desk_cannot_download_a_handout(client, front_desk, clinician, episode):
    version = _version(episode, clinician, [])
    Handout.objects.create(version=version)
    client.force_login(front_desk)
    assert client.get(f"/plans/{version.plan_id}/versions/1/handout.pdf").status_code == 403
