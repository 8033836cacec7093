"""The Thomas test records each tight structure on its own (iliopsoas, rectus femoris, TFL / ITB),
since one side may show several, instead of one structure per side. A row's old structure becomes
its one component. A positive test saved without a structure keeps none: the record says what the
clinician wrote, and the findings read it as they did then. A row the screen could not have saved
(a structure on a test that is not a positive Thomas, or an unknown structure) stops the migration
rather than be changed or dropped unseen."""

from django.db import migrations, models

STRUCTURES = ("iliopsoas", "rectus_femoris", "tfl_itb")


def structure_to_components(apps, schema_editor):
    SpecialTest = apps.get_model("assessments", "SpecialTest")
    with_structure = SpecialTest.objects.exclude(structure="")
    unmapped = with_structure.exclude(test="thomas", result="positive", structure__in=STRUCTURES)
    if ids := list(unmapped.order_by("pk").values_list("pk", flat=True)):
        raise RuntimeError(
            "Special test rows whose structure is not one component of a positive Thomas test, to be "
            f"corrected by hand before migrating: {', '.join(map(str, ids))}"
        )
    for structure in STRUCTURES:
        with_structure.filter(structure=structure).update(**{f"{structure}_tight": True})


def components_to_structure(apps, schema_editor):
    SpecialTest = apps.get_model("assessments", "SpecialTest")
    any_tight = models.Q()
    for structure in STRUCTURES:
        any_tight |= models.Q(**{f"{structure}_tight": True})
    several = []
    for row in SpecialTest.objects.filter(any_tight).order_by("pk"):
        tight = [structure for structure in STRUCTURES if getattr(row, f"{structure}_tight")]
        if len(tight) > 1:
            several.append(row.pk)
        else:
            SpecialTest.objects.filter(pk=row.pk).update(structure=tight[0])
    if several:
        raise RuntimeError(
            "Thomas tests with more than one tight structure cannot be stored as one structure: "
            f"{', '.join(map(str, several))}"
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0005_mark_unrecorded_sections_of_completed")]

    operations = [
        migrations.AddField(
            model_name="specialtest",
            name="iliopsoas_tight",
            field=models.BooleanField(default=False, verbose_name="iliopsoas tight"),
        ),
        migrations.AddField(
            model_name="specialtest",
            name="rectus_femoris_tight",
            field=models.BooleanField(default=False, verbose_name="rectus femoris tight"),
        ),
        migrations.AddField(
            model_name="specialtest",
            name="tfl_itb_tight",
            field=models.BooleanField(default=False, verbose_name="TFL / ITB tight"),
        ),
        migrations.RunPython(structure_to_components, components_to_structure),
        migrations.RemoveField(model_name="specialtest", name="structure"),
        migrations.AddConstraint(
            model_name="specialtest",
            constraint=models.CheckConstraint(
                condition=models.Q(("result", "positive"), ("test", "thomas"))
                | models.Q(("iliopsoas_tight", False), ("rectus_femoris_tight", False), ("tfl_itb_tight", False)),
                name="thomas_tight_only_when_positive",
            ),
        ),
    ]
