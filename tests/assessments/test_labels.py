"""Every code the assessment pages render has its own words: no code reaches a page as a code."""

from __future__ import annotations

import pytest

from assessments import finding_order, findings, progress, scoring, sections
from intake.instruments import INSTRUMENTS, ITEM_LABELS


def _label_maps() -> dict[str, tuple[tuple[str, ...], dict[str, str]]]:
    """Each rendered code list with the labels the pages show for it."""
    fms_labels = {test.code: test.label for test in scoring.FMS_TESTS}
    running_form = {code: label for code, (_, label) in findings.RUNNING_FORM.items()}
    maps = {
        "hip motions": (scoring.MOTIONS, scoring.MOTION_LABELS),
        "FMS patterns": (tuple(fms_labels), fms_labels),
        "FMS clearing tests": (tuple(dict(scoring.FMS_CLEARING_TESTS)), scoring.FMS_CLEARING_LABELS),
        "special tests": (tuple(code for code, _ in findings.SPECIAL_TESTS), findings.SPECIAL_TEST_LABELS),
        "Thomas structures": (findings.THOMAS_STRUCTURES, findings.THOMAS_STRUCTURE_LABELS),
        "FABER pain locations": (findings.FABER_PAIN_LOCATIONS, findings.FABER_PAIN_LOCATION_LABELS),
        "running-form faults": (tuple(findings.RUNNING_FORM), running_form),
        "leg-length bands": (scoring.LLD_BANDS, scoring.LLD_BAND_LABELS),
        "leg-length interpretations": (scoring.LLD_INTERPRETATIONS, scoring.LLD_INTERPRETATION_LABELS),
        "exam sections": (tuple(code for code, _ in sections.SECTIONS), sections.SECTION_LABELS),
        "progress measures": (tuple(progress.MEASURE_LABELS), progress.MEASURE_LABELS),
        "finding codes": (findings.FINDING_CODES, finding_order.FINDING_CODE_LABELS),
        "finding tiers": (tuple(code for code, _ in finding_order.TIERS), finding_order.TIER_LABELS),
    }
    for code, instrument in INSTRUMENTS.items():
        maps[f"{code} items"] = (tuple(item.code for item in instrument.items), ITEM_LABELS[code])
    return maps


@pytest.mark.parametrize(("codes", "labels"), _label_maps().values(), ids=list(_label_maps()))
def test_every_code_has_a_label_that_is_not_the_code(codes, labels):
    assert codes
    for code in codes:
        label = labels[code]
        assert label.strip(), code
        assert "_" not in label, code
        # A one-word code may be its own word ("iliopsoas"); a code of several words never is.
        assert "_" not in code or label != code, code


def test_progress_measures_cover_every_motion_and_side():
    for motion in scoring.MOTIONS:
        for side in scoring.SIDES:
            assert progress.MEASURE_LABELS[f"hip_{motion}_{side}"].startswith(scoring.MOTION_LABELS[motion])
