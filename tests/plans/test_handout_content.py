"""What issue 7 asks of the home-program PDF, checked in the rendered file's text and pages;
and the same version always gives the same file."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.utils import timezone
from pypdf import PdfReader

from intake import rules as intake_rules
from plans import handouts, library
from plans.models import Handout, HandoutStatus
from plans.signed import SignedPlan
from tests.assessments.helpers import login
from tests.factories import AssessmentFactory, PlanFactory
from tests.plans.handout_helpers import signed_version
from tests.plans.helpers import article, item_data, item_of, text_of
from tests.plans.helpers import sign as sign_plan

pytestmark = pytest.mark.django_db

# A 1x1 PNG: enough for WeasyPrint to place the clinic's logo.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000"
    "1ff5d0c2a6e0000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _snapshot_item(key: str) -> dict:
    intervention = library.INTERVENTIONS_BY_KEY[key]
    return {
        "intervention": key,
        "name": intervention.name,
        "prong": intervention.prong.value,
        "dosage": intervention.dosage.text(),
        "sets": intervention.dosage.sets,
        "reps": intervention.dosage.reps,
        "hold_seconds": intervention.dosage.hold_seconds,
        "frequency": intervention.dosage.frequency,
        "instructions": intervention.instructions,
        "home_program": True,
        "because": [],
        "illustration": f"static:plans/exercises/{intervention.illustration}" if intervention.illustration else "",
        "override_contraindication": "",
        "override_reason": "",
    }


def _rendered(episode, *, weeks: int = 3) -> Handout:
    version = signed_version(
        episode,
        [_snapshot_item("glute-bridge"), _snapshot_item("hip-flexor-stretch"), _snapshot_item("damp-heat")],
        weeks=weeks,
        handout=False,
        signed_at=timezone.make_aware(datetime.datetime(2026, 3, 2, 10), episode.patient.clinic.zone),
    )
    handout = Handout.objects.create(version=version)
    assert handouts.render(handout_id=handout.pk) is True
    handout.refresh_from_db()
    return handout


def _reader(handout: Handout) -> PdfReader:
    with handout.file.open("rb") as pdf:
        return PdfReader(io.BytesIO(pdf.read()))


def _text(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_handout_holds_everything_issue_7_lists(episode):
    clinic = episode.patient.clinic
    clinic.phone = "+13125550100"
    clinic.handout_footer = "Stride Sports Physio, a demo clinic."
    clinic.save()
    handout = _rendered(episode, weeks=3)
    reader = _reader(handout)
    text = _text(reader)
    assert clinic.name in text
    assert clinic.handout_footer in text
    assert f"from {episode.lead_clinician.full_name}, DC" in text
    assert f"For {episode.patient.full_name}" in text
    assert "2 March 2026" in text
    bridge = library.INTERVENTIONS_BY_KEY["glute-bridge"]
    for heading in ("Your exercises", "Self-care", "Your running", "When to call the clinic", "Your log"):
        assert heading in text, heading
    assert bridge.name in text
    assert " ".join(bridge.dosage.text().split()) in text
    assert " ".join(bridge.instructions.split())[:60] in text
    assert "Take slightly shorter steps when you run." in text
    assert "About 10 % more a week is a cautious guide, not a rule" in text
    assert "Pain wakes you at night." in text
    assert "Seek emergency care at once" in text
    for week in (1, 2, 3):
        assert f"Week {week}" in text
    assert "Week 4" not in text
    assert "Pain 0–10" in text
    assert f"Page 1 of {len(reader.pages)}" in text
    # Each exercise's drawing is placed from the shipped file (SVG, drawn as vectors in the PDF).
    markup = handouts.html(handout.version)
    for key in ("glute-bridge", "hip-flexor-stretch"):
        assert f'src="file://{finders.find(f"plans/exercises/{key}.svg")}"' in markup


def test_the_log_is_one_grid_with_a_box_a_day_whatever_the_number_of_exercises(episode):
    handout = _rendered(episode, weeks=6)
    markup = handouts.html(handout.version)
    log = re.search(r'<table class="log">(.*?)</table>', markup, re.S).group(1)
    assert markup.count('<table class="log">') == 1
    # A row a week (6) of seven day boxes, headed by the week and its dates; not a box per exercise.
    assert log.count("<td>") == 6 * 7
    assert log.count('<th scope="row"') == 6
    assert "Week 6<br>" in log
    assert "6 Apr – 12 Apr" in log
    # The first day is the Monday the plan was signed on: the columns follow from it.
    assert re.findall(r'<th scope="col">(\w+)</th>', log) == [
        "Week",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    # Which exercises a tick stands for is said above the grid.
    names = ", ".join(
        library.INTERVENTIONS_BY_KEY[key].name for key in ("glute-bridge", "hip-flexor-stretch", "damp-heat")
    )
    assert f"On each day you do your home program ({names}), tick that day's box" in _text(_reader(handout))


def test_the_garbage_collector_is_paused_while_weasyprint_renders_and_resumed_after(monkeypatch):
    import gc

    import weasyprint

    from clinic import pdf

    seen = []
    monkeypatch.setattr(weasyprint.HTML, "write_pdf", lambda self, **kwargs: seen.append(gc.isenabled()) or b"%PDF")
    assert gc.isenabled()
    assert pdf.render("<p>Hello</p>") == b"%PDF"
    assert seen == [False]
    assert gc.isenabled()
    # A render that fails resumes it too.
    monkeypatch.setattr(weasyprint.HTML, "write_pdf", lambda self, **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        pdf.render("<p>Hello</p>")
    assert gc.isenabled()


def test_the_when_to_call_box_lists_every_emergency_sign_of_the_red_flag_catalogue(episode):
    handout = _rendered(episode, weeks=1)
    markup = handouts.html(handout.version)
    box = re.search(r'<div class="warning">(.*?)</div>', markup, re.S).group(1)
    emergencies = [q for q in intake_rules.RED_FLAG_QUESTIONS if q.tier == intake_rules.Tier.EMERGENCY]
    assert {q.code for q in emergencies} >= {"bilateral_sciatica", "sexual_dysfunction", "aaa_signs", "major_trauma"}
    for question in emergencies:
        assert question.warning_sign, question.code
        assert f"<li>{question.warning_sign}</li>" in box, question.code
    for sign in handouts.WHEN_TO_CALL:
        assert f"<li>{sign}</li>" in box
    # And in the PDF the patient gets, with the instruction to go at once.
    text = _text(_reader(handout))
    assert "Seek emergency care at once if you have any of these:" in text
    for question in emergencies:
        assert question.warning_sign in text, question.code


@pytest.mark.parametrize(("paper", "size"), [("letter", (612, 792)), ("a4", (595, 842))])
def test_the_paper_size_is_the_clinics(episode, paper, size):
    clinic = episode.patient.clinic
    clinic.paper_size = paper
    clinic.save()
    box = _reader(_rendered(episode)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size


def test_the_clinics_logo_is_on_the_handout(episode):
    clinic = episode.patient.clinic
    plain = sum(len(page.images) for page in _reader(_rendered(episode)).pages)
    Handout.objects.all().delete()
    clinic.logo.save("logo.png", ContentFile(PNG))
    with_logo = sum(len(page.images) for page in _reader(_rendered(episode)).pages)
    assert with_logo > plain


def test_the_same_version_gives_the_same_file(episode):
    handout = _rendered(episode)
    with handout.file.open("rb") as pdf:
        first = pdf.read()
    name = handout.file.name
    # Made again from scratch (as after a lost file), the bytes and the name do not change.
    Handout.objects.filter(pk=handout.pk).update(status=HandoutStatus.QUEUED, delivery="waiting")
    assert handouts.render(handout_id=handout.pk) is True
    handout.refresh_from_db()
    assert handout.file.name == name
    with handout.file.open("rb") as pdf:
        assert pdf.read() == first
    # Once ready it is never made again.
    assert handouts.render(handout_id=handout.pk) is False
    assert Handout.objects.get(pk=handout.pk).attempts == 2


def test_sided_advice_says_which_side_in_the_patients_words(client, episode):
    """The factory's exam with hip extension reduced on the left only: hip-flexor tightness on the left (Thomas
    test) and a structural leg-length difference with the right leg short. The clinician moves the stretch to the
    right side before signing."""
    plan = PlanFactory(assessment=AssessmentFactory(episode=episode, exam={"rom_extension_right": 28}))
    stretch = item_of(plan, "hip-flexor-stretch")
    assert stretch.side == "left"
    assert item_of(plan, "glute-bridge").side == ""
    login(client, episode.lead_clinician)
    page = text_of(article(client.get(f"/plans/{plan.pk}/").content.decode(), stretch))
    assert "Side: Left (the handout says: “Stretch your left hip: kneel on your left knee.”)" in page

    assert client.post(f"/plan-items/{stretch.pk}/", item_data(stretch, side="right")).status_code == 302
    assert sign_plan(client, plan).status_code == 302

    version = plan.versions.get()
    signed = next(item for item in SignedPlan.of(version).items if item.intervention == "hip-flexor-stretch")
    assert (signed.side, signed.side_note) == ("right", "Stretch your right hip: kneel on your right knee.")
    handout = Handout.objects.get(version=version)
    assert handouts.render(handout_id=handout.pk) is True
    handout.refresh_from_db()
    text = _text(_reader(handout))
    assert "Your side: Stretch your right hip: kneel on your right knee." in text
    assert "A thin lift inside your right shoe, under your right heel, may help even out your leg lengths." in text
    assert "{side}" not in text
    # An item with no side says nothing about sides.
    markup = handouts.html(version)
    assert markup.count("Your side:") == 1
