"""A clinic's licensed questionnaire wording replaces the placeholders; scoring is unchanged."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from intake import instruments, steps
from intake.models import Intake, LicensedInstrumentText
from tests.factories import EpisodeFactory


def _odi_wording(prefix: str = "Licensed") -> dict:
    return {
        "item_texts": {item.code: f"{prefix} section {item.code}" for item in instruments.ODI.items},
        "option_labels": {
            item.code: [f"{prefix} statement {value}" for value in range(6)] for item in instruments.ODI.items
        },
    }


def test_questionnaire_step_uses_the_clinics_licensed_wording(clinic, clinician):
    LicensedInstrumentText.objects.create(
        clinic=clinic, instrument="odi", licence_reference="MRT-123", **_odi_wording()
    )
    episode = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    intake = Intake.objects.create(episode=episode, answers={"complaint": {"regions": ["low_back_left"]}})
    (odi,) = steps.chosen_instruments(intake)
    assert odi.text_status == "licensed"
    assert odi.items[0].text == "Licensed section pain_intensity"
    assert instruments.PLACEHOLDER_MARK not in odi.items[0].options[0].label
    # The same structure, so the same scoring.
    assert [item.code for item in odi.items] == [item.code for item in instruments.ODI.items]


def test_other_clinics_keep_the_placeholders(clinic, other_clinic, clinician):
    LicensedInstrumentText.objects.create(
        clinic=other_clinic, instrument="odi", licence_reference="MRT-9", **_odi_wording()
    )
    episode = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    intake = Intake.objects.create(episode=episode, answers={"complaint": {"regions": ["low_back_left"]}})
    (odi,) = steps.chosen_instruments(intake)
    assert odi.text_status == "placeholder"


@pytest.mark.parametrize(
    "broken",
    [
        {"item_texts": {"no_such_item": "x"}},
        {"item_texts": {"pain_intensity": "Only one section"}},
    ],
)
def test_wording_that_does_not_fit_is_refused(clinic, broken):
    row = LicensedInstrumentText(clinic=clinic, instrument="odi", licence_reference="MRT-1", **broken)
    with pytest.raises(ValidationError, match="does not fit"):
        row.full_clean()
