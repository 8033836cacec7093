"""Words users read are theirs: no DOMAIN.md section, source id, issue number or code name on a page, in a PDF
or in a message. The clinician's pages, the handout and the portal are rendered from a record that brings out
contraindications, red flags, notes and norms; every shipped library text is walked through the same check."""

from __future__ import annotations

import dataclasses
import io
import re
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader

from assessments import scoring
from clinic import thresholds
from clinic.portal import services as portal_services
from domain.citations import readable
from plans import handouts, library, services
from plans.models import Contraindication, Intervention, PlanRule
from tests.assessments.helpers import login
from tests.factories import AssessmentFactory, PlanFactory
from tests.plans.helpers import red_flag, text_of

pytestmark = pytest.mark.django_db

INTERNAL = re.compile(r"\bDOMAIN\b|\bB\d+\.\d+\b|\bS\d{1,3}\b|Part A|DOMAIN\.md|\bissue #?\d+")


def _internal(text: str) -> list[str]:
    return [text[max(0, hit.start() - 40) : hit.end() + 40] for hit in INTERNAL.finditer(text)]


def _texts(entry) -> list[str]:
    texts = []
    for field in dataclasses.fields(entry):
        value = getattr(entry, field.name)
        if type(value) is str:
            texts.append(value)
        elif isinstance(value, tuple):
            texts.extend(text for text in value if type(text) is str)
    return texts


SHIPPED = [
    *(text for item in library.INTERVENTIONS for text in _texts(item)),
    *(text for rule in library.PLAN_RULES for text in _texts(rule)),
    *(text for contra in library.CONTRAINDICATIONS for text in _texts(contra)),
    *library.PRONG_LABELS.values(),
    *library.LOAD_FACT_LABELS.values(),
    *library.INTAKE_FACT_LABELS.values(),
    *(norm.source for norm in scoring.AAOS_NORMS.values()),
    *(norm.source for band in scoring.ROACH_MILES_BANDS.values() for norm in band.values()),
    *(readable(threshold.source) for threshold in thresholds.THRESHOLDS),
]


@pytest.mark.parametrize("text", SHIPPED)
def test_every_shipped_text_a_user_reads_is_in_the_readers_words(text):
    assert not _internal(text)


def test_the_shipped_texts_as_written_do_cite_the_reference_so_the_walk_above_reads_converted_text():
    cited = [text for item in library.CITED_INTERVENTIONS for text in _texts(item)]
    assert any(INTERNAL.search(text) for text in cited)
    assert library.INTERVENTIONS_BY_KEY["lumbar-hvla-thrust"].source.startswith("NICE NG59")


@pytest.fixture
def record(client, clinician, episode, settings, tmp_path):
    """A drafted plan with soft and hard contraindications (neural tension; an urgent red flag matching an absolute
    contraindication to thrust), rule notes and advice, then signed with a rendered handout."""
    settings.MEDIA_ROOT = tmp_path
    red_flag(episode, code="cancer_history", tier="urgent", label="History of cancer")
    assessment = AssessmentFactory(episode=episode)
    plan = PlanFactory(assessment=assessment)
    login(client, clinician)
    return assessment, plan


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return text_of(response.content.decode())


def test_no_page_pdf_or_portal_text_shows_an_internal_reference(client, clinician, clinic_admin, record):
    assessment, plan = record
    assert plan.excluded
    assert plan.clinician_notes
    shown = {
        "findings": _page(client, f"/assessments/{assessment.pk}/"),
        "draft": _page(client, f"/plans/{plan.pk}/"),
        "library": _page(client, "/library/"),
    }
    assert "Left out by contraindications" in shown["draft"]
    # The structural leg-length rule's note, citing the literature where it cited a source id.
    assert "(Knutson 2005 Part II)" in shown["draft"]
    # Rows whose shipped texts cite the reference most, as the clinic admin who edits the library sees them.
    login(client, clinic_admin)
    for kind, model, key in (
        ("interventions", Intervention, "lumbar-hvla-thrust"),
        ("rules", PlanRule, "piriformis-deep-gluteal"),
        ("contraindications", Contraindication, "radicular-hamstring-stretch"),
    ):
        row = model.objects.get(clinic=plan.episode.patient.clinic, key=key)
        shown[f"library {kind}"] = _page(client, f"/library/{kind}/{row.pk}/")
    login(client, clinician)

    reasons = dict.fromkeys(services.missing_prongs(plan), "Not indicated at this stage.")
    if reasons:
        services.plan_update(actor=clinician, plan=plan, missing_prong_reasons=reasons)
    version = services.plan_sign(actor=clinician, plan=plan)
    shown["signed version"] = _page(client, f"/plans/{plan.pk}/versions/{version.number}/")
    handouts.render(handout_id=version.handout.pk)
    version.handout.refresh_from_db()
    with version.handout.file.open("rb") as pdf:
        shown["handout"] = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
    portal = urlsplit(portal_services.link_issue(patient=plan.episode.patient)).path
    client.logout()
    shown["portal"] = _page(client, f"{portal}programs/{version.pk}/")

    assert {kind: _internal(text) for kind, text in shown.items() if _internal(text)} == {}
