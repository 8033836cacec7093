"""The home-program PDF is a tagged PDF that a screen reader can read: structure tree, language,
the handout's title shown as the window title, headings in order and every picture described."""

from __future__ import annotations

import datetime
import itertools

import pikepdf
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from plans import handouts, library
from plans.models import Handout
from tests.plans.handout_helpers import home_item, signed_version

pytestmark = pytest.mark.django_db

# A 1x1 PNG: enough for WeasyPrint to place the clinic's logo.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000"
    "1ff5d0c2a6e0000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _illustrated(key: str) -> dict:
    intervention = library.INTERVENTIONS_BY_KEY[key]
    return home_item(intervention.name, illustration=f"static:plans/exercises/{intervention.illustration}")


@pytest.fixture
def pdf(episode):
    clinic = episode.patient.clinic
    clinic.logo.save("logo.png", ContentFile(PNG))
    version = signed_version(
        episode,
        [_illustrated("glute-bridge"), _illustrated("hip-flexor-stretch")],
        weeks=1,
        handout=False,
        signed_at=timezone.make_aware(datetime.datetime(2026, 3, 2, 10), clinic.zone),
    )
    handout = Handout.objects.create(version=version)
    assert handouts.render(handout_id=handout.pk) is True
    handout.refresh_from_db()
    with handout.file.open("rb") as file, pikepdf.open(file) as document:
        yield document, version


def _elements(node):
    """The structure elements under ``node``, depth first: the tagged reading order."""
    kids = node.get("/K")
    if kids is None:
        return
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from _elements(kid)


def test_the_handout_is_a_tagged_pdf_with_language_and_title(pdf):
    document, version = pdf
    root = document.Root
    assert "/StructTreeRoot" in root
    assert bool(root.MarkInfo.Marked) is True
    assert str(root.Lang) == "en"
    assert str(document.docinfo.Title) == "Home program – " + version.plan.episode.patient.full_name
    assert version.plan.episode.patient.full_name in "Home program – " + version.plan.episode.patient.full_name
    assert bool(root.ViewerPreferences.DisplayDocTitle) is True


def test_every_picture_has_alternative_text(pdf):
    document, _ = pdf
    figures = [element for element in _elements(document.Root.StructTreeRoot) if element.S == "/Figure"]
    # The clinic's logo and one drawing per exercise.
    assert len(figures) == 3
    alternatives = [str(figure.get("/Alt", "")) for figure in figures]
    assert all(alternatives), alternatives
    assert any("Glute bridge".lower() in alt.lower() for alt in alternatives), alternatives


def test_headings_come_in_the_order_of_the_page(pdf):
    document, _ = pdf
    headings = [str(e.S)[1:] for e in _elements(document.Root.StructTreeRoot) if str(e.S) in {"/H1", "/H2", "/H3"}]
    assert headings[0] == "H1"
    assert headings.count("H1") == 1
    levels = [int(heading[1]) for heading in headings]
    # Never a jump down more than one level (H1 then H3).
    assert all(later - earlier <= 1 for earlier, later in itertools.pairwise(levels))
    assert headings[1:4] == ["H2", "H3", "H3"]
