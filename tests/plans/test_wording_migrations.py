"""The data steps that bring clinics seeded earlier up to the shipped wording: sided wording and the heel-lift
advice that names the side, and contraindication reasons without citations; never over a clinic's own edit."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from assessments.models import Finding
from plans import library, services
from plans.models import Contraindication, Intervention, PlanRule
from tests.factories import AssessmentFactory, PlanFactory

pytestmark = pytest.mark.django_db

SIDED = importlib.import_module("plans.migrations.0009_sided_wording_for_the_patient")
PLAIN = importlib.import_module("plans.migrations.0010_contraindication_reasons_in_plain_words")
CITING = importlib.import_module("plans.migrations.0011_library_texts_cite_the_literature")
NORMS = importlib.import_module("assessments.migrations.0008_norm_source_cites_the_literature")


def test_sided_wording_reaches_rows_seeded_before_it(clinic):
    services.library_seed(clinic=clinic)
    Intervention.objects.filter(clinic=clinic).update(patient_side="")
    Intervention.objects.filter(clinic=clinic, key="clamshell").update(patient_side="Our own words for the {side}.")
    rule = PlanRule.objects.get(clinic=clinic, key="structural-leg-length")
    rule.running_advice = [SIDED.UNSIDED_HEEL_LIFT, "Clinic advice."]
    rule.save()

    SIDED.fill_sided_wording(apps, None)

    stretch = Intervention.objects.get(clinic=clinic, key="hip-flexor-stretch")
    assert stretch.patient_side == library.INTERVENTIONS_BY_KEY["hip-flexor-stretch"].patient_side
    assert Intervention.objects.get(clinic=clinic, key="clamshell").patient_side == "Our own words for the {side}."
    assert Intervention.objects.get(clinic=clinic, key="glute-bridge").patient_side == ""
    rule.refresh_from_db()
    assert rule.running_advice == [
        library.PLAN_RULES_BY_KEY["structural-leg-length"].running_advice[0],
        "Clinic advice.",
    ]


def test_cited_reasons_become_plain_unless_the_clinic_edited_them(clinic):
    services.library_seed(clinic=clinic)
    for key, cited in PLAIN.CITED_REASONS.items():
        Contraindication.objects.filter(clinic=clinic, key=key).update(reason=cited)
    Contraindication.objects.filter(clinic=clinic, key="fai-deep-flexion-adduction").update(reason="Our policy.")

    PLAIN.plain_reasons(apps, None)

    reasons = dict(Contraindication.objects.filter(clinic=clinic).values_list("key", "reason"))
    expected = {key: library.CONTRAINDICATIONS_BY_KEY[key].reason for key in PLAIN.CITED_REASONS}
    assert reasons == {**expected, "fai-deep-flexion-adduction": "Our policy."}


def test_texts_seeded_with_the_references_codes_cite_the_literature_unless_the_clinic_edited_them(clinic):
    services.library_seed(clinic=clinic)
    # As seeded before the shipped texts were put in the reader's words.
    for cited in library.CITED_INTERVENTIONS:
        Intervention.objects.filter(clinic=clinic, key=cited.key).update(source=cited.source, cautions=cited.cautions)
    for cited in library.CITED_PLAN_RULES:
        PlanRule.objects.filter(clinic=clinic, key=cited.key).update(source=cited.source, notes=list(cited.notes))
    for cited in library.CITED_CONTRAINDICATIONS:
        Contraindication.objects.filter(clinic=clinic, key=cited.key).update(source=cited.source)
    Intervention.objects.filter(clinic=clinic, key="plank").update(source="Our own reading (B7.4).")

    CITING.readable_library(apps, None)

    sources = dict(Intervention.objects.filter(clinic=clinic).values_list("key", "source"))
    expected = {item.key: item.source for item in library.INTERVENTIONS}
    assert sources == {**expected, "plank": "Our own reading (B7.4)."}
    thrust = Intervention.objects.get(clinic=clinic, key="lumbar-hvla-thrust")
    assert thrust.cautions == library.INTERVENTIONS_BY_KEY["lumbar-hvla-thrust"].cautions
    assert "S121" not in thrust.cautions
    for rule in PlanRule.objects.filter(clinic=clinic):
        shipped = library.PLAN_RULES_BY_KEY[rule.key]
        assert (rule.source, rule.notes) == (shipped.source, list(shipped.notes))
    for row in Contraindication.objects.filter(clinic=clinic):
        assert row.source == library.CONTRAINDICATIONS_BY_KEY[row.key].source


def test_a_drafts_copied_notes_cite_the_literature_and_the_clinicians_own_are_left_alone(episode):
    plan = PlanFactory(assessment__episode=episode)
    cited_note = library.CITED_PLAN_RULES[[rule.key for rule in library.CITED_PLAN_RULES].index("running-form")].notes[
        0
    ]
    plan.clinician_notes = [cited_note, "The clinician's own note (B7.4)."]
    plan.save()

    CITING.readable_library(apps, None)

    plan.refresh_from_db()
    assert plan.clinician_notes == [
        library.PLAN_RULES_BY_KEY["running-form"].notes[0],
        "The clinician's own note (B7.4).",
    ]
    assert "Part A" not in plan.clinician_notes[0]


def test_findings_evidence_names_the_norm_by_its_citation():
    assessment = AssessmentFactory()
    finding = Finding.objects.create(
        assessment=assessment,
        code="reduced_hip_extension",
        label="Reduced hip extension",
        evidence=[
            {"source": "Hip extension", "detail": "12° (norm 30°, AAOS normal hip ROM (Goniometer.io))"},
            {"source": "Clinician"},
        ],
    )

    NORMS.readable_norm_source(apps, None)

    finding.refresh_from_db()
    assert finding.evidence == [
        {"source": "Hip extension", "detail": "12° (norm 30°, AAOS normal hip ROM (Goniometer.io))"},
        {"source": "Clinician"},
    ]
