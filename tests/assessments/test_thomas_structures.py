"""The Thomas test's tight structures as stored: the database refuses one on any row but a positive
Thomas test, and the migration from one structure per side carries each old row to its component."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction

from assessments import findings, selectors
from assessments.models import SpecialTest
from tests import migrating
from tests.factories import AssessmentFactory

MIGRATION = importlib.import_module("assessments.migrations.0006_thomas_components")
BEFORE = ("assessments", "0005_mark_unrecorded_sections_of_completed")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("test", "result"),
    [("thomas", "negative"), ("thomas", "not_tested"), ("ober", "positive")],
)
@pytest.mark.parametrize("structure", findings.THOMAS_STRUCTURES)
def test_the_database_refuses_a_tight_structure_except_on_a_positive_thomas(episode, test, result, structure):
    assessment = AssessmentFactory(episode=episode, complete=False)
    row = assessment.special_tests.get(test=test, side="right")
    SpecialTest.objects.filter(pk=row.pk).update(result=result)

    with pytest.raises(IntegrityError), transaction.atomic():
        SpecialTest.objects.filter(pk=row.pk).update(**{f"{structure}_tight": True})


@pytest.mark.django_db
def test_the_database_takes_every_structure_on_a_positive_thomas(episode):
    assessment = AssessmentFactory(episode=episode, complete=False)

    changed = assessment.special_tests.filter(test="thomas", side="left").update(
        **{f"{structure}_tight": True for structure in findings.THOMAS_STRUCTURES}
    )

    assert changed == 1


def _tight(row: SpecialTest) -> tuple[bool, bool, bool]:
    return (row.iliopsoas_tight, row.rectus_femoris_tight, row.tfl_itb_tight)


def _odd_rows(rows) -> list[int]:
    """Set, on rows of an old exam, structures the screen could not have saved; their ids."""
    odd = []
    for test, side, result, structure in [
        ("thomas", "right", "negative", "iliopsoas"),
        ("faber", "right", "not_tested", "rectus_femoris"),
        ("ober", "left", "positive", "tfl_itb"),
        ("thomas", "left", "positive", "hamstring"),
    ]:
        rows.filter(test=test, side=side).update(result=result, structure=structure)
        odd.append(rows.get(test=test, side=side).pk)
    return odd


@pytest.mark.django_db(transaction=True)
def test_each_old_structure_becomes_its_component_and_back_and_rows_the_screen_could_not_have_saved_stop_it(episode):
    """One trip back through the migration serves both: the exams it carries over, and an exam
    whose rows stop it until they are corrected by hand."""
    # The exam: Thomas positive on the left, iliopsoas; negative on the right.
    mapped = AssessmentFactory(episode=episode)
    unnamed = AssessmentFactory(episode=episode, kind="reassessment", complete=False)
    odd_exam = AssessmentFactory(episode=episode, kind="reassessment", complete=False)

    then = migrating.migrate([BEFORE])  # back: the one component becomes the structure again
    try:
        OldSpecialTest = then.get_model("assessments", "SpecialTest")
        assert OldSpecialTest.objects.get(assessment_id=mapped.pk, test="thomas", side="left").structure == "iliopsoas"
        OldSpecialTest.objects.filter(assessment_id=mapped.pk, test="thomas", side="right").update(
            result="positive", structure="tfl_itb"
        )
        # Saved before a structure had to be named.
        OldSpecialTest.objects.filter(assessment_id=unnamed.pk, test="thomas", side="left").update(structure="")
        OldSpecialTest.objects.filter(assessment_id=unnamed.pk, test="thomas", side="right").update(
            result="positive", structure="rectus_femoris"
        )

        odd_rows = OldSpecialTest.objects.filter(assessment_id=odd_exam.pk)
        expected = ", ".join(map(str, sorted(_odd_rows(odd_rows))))
        with pytest.raises(RuntimeError, match=rf"corrected by hand before migrating: {expected}$"):
            MIGRATION.structure_to_components(then, None)
        odd_rows.update(structure="")
    finally:
        migrating.migrate()

    def thomas(assessment, side) -> SpecialTest:
        return SpecialTest.objects.get(assessment=assessment, test="thomas", side=side)

    assert _tight(thomas(mapped, "left")) == (True, False, False)
    assert _tight(thomas(mapped, "right")) == (False, False, True)
    assert _tight(thomas(unnamed, "right")) == (False, True, False)
    left = thomas(unnamed, "left")
    assert (left.result, _tight(left)) == ("positive", (False, False, False))
    others = SpecialTest.objects.exclude(test="thomas")
    assert not others.filter(iliopsoas_tight=True).exists()
    assert not others.filter(rectus_femoris_tight=True).exists()
    assert not others.filter(tfl_itb_tight=True).exists()
    # The findings read the unnamed positive as they did when it was saved: the one-joint flexors.
    unnamed.refresh_from_db()
    derived = findings.derive_findings(selectors.exam_input(unnamed))
    thomas_findings = [
        (found.code, found.side, found.evidence[0].detail)
        for found in derived
        if found.evidence[0].source == "Thomas test"
    ]
    assert thomas_findings == [
        ("hip_flexor_tightness", "left", "positive"),
        ("rectus_femoris_tightness", "right", "positive, rectus femoris"),
    ]


@pytest.mark.django_db
def test_going_back_refuses_a_side_with_several_structures(episode):
    assessment = AssessmentFactory(episode=episode, exam={"thomas_left_tfl_itb": True})
    row = assessment.special_tests.get(test="thomas", side="left")

    with pytest.raises(RuntimeError, match=rf"cannot be stored as one structure: {row.pk}$"):
        MIGRATION.components_to_structure(django_apps, None)
