"""Assessments completed before each section had to be recorded or marked not tested: a section
they left empty is marked not tested, so that their findings page says what was not examined
instead of reading the empty section as normal. Drafts are left alone: completing them asks."""

from django.db import migrations

REASON = "Not recorded (the assessment was completed before this was asked)."
RUNNING_FORM_FAULTS = (
    "overstriding",
    "forward_lean",
    "hip_drop",
    "overpronation",
    "lumbar_hyperextension",
    "knee_valgus",
)


def _recorded(assessment) -> set[str]:
    """The rule of assessments.sections.recorded, on the stored rows as they were then."""
    found = set()
    if assessment.rom.exclude(left__isnull=True, right__isnull=True).exists():
        found.add("rom")
    fms = assessment.fms.all()
    if fms.exclude(left__isnull=True, right__isnull=True).exists() or fms.filter(clearing_painful=True).exists():
        found.add("fms")
    lengths = ("true_left_mm", "true_right_mm", "apparent_left_mm", "apparent_right_mm")
    if any(getattr(assessment, name) is not None for name in lengths):
        found.add("leg_length")
    if assessment.special_tests.exclude(result="not_tested").exists():
        found.add("special_tests")
    faults = any(getattr(assessment, name) for name in RUNNING_FORM_FAULTS)
    if faults or assessment.cadence is not None or assessment.form_notes:
        found.add("running_form")
    return found


def mark_unrecorded(apps, schema_editor):
    Assessment = apps.get_model("assessments", "Assessment")
    sections = ("rom", "fms", "leg_length", "special_tests", "running_form")
    for assessment in Assessment.objects.filter(status="completed").iterator():
        missing = [section for section in sections if section not in _recorded(assessment)]
        if missing:
            changes = {}
            for section in missing:
                changes[f"{section}_not_tested"] = True
                changes[f"{section}_not_tested_reason"] = REASON
            Assessment.objects.filter(pk=assessment.pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0004_sections_not_tested")]

    operations = [migrations.RunPython(mark_unrecorded, migrations.RunPython.noop)]
