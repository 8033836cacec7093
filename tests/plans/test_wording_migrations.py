"""The data steps that bring clinics seeded earlier up to the shipped wording: sided wording and the heel-lift
advice that names the side, and contraindication reasons without citations; never over a clinic's own edit."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from plans import library, services
from plans.models import Contraindication, Intervention, PlanRule

pytestmark = pytest.mark.django_db

SIDED = importlib.import_module("plans.migrations.0009_sided_wording_for_the_patient")
PLAIN = importlib.import_module("plans.migrations.0010_contraindication_reasons_in_plain_words")


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
