"""Each ROM reading keeps its position and device, so that progress compares only like with like.

Readings stored before this kept neither. Their device was the visit's (Assessment.rom_device), so it is
copied. Their position was never asked: it is left empty, "not recorded", rather than guessed from the
motion's typical position, and progress does not compare such a reading with any other."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def device_from_visit(apps, schema_editor):
    Assessment = apps.get_model("assessments", "Assessment")
    RomMeasurement = apps.get_model("assessments", "RomMeasurement")
    RomMeasurement.objects.update(
        device=Subquery(Assessment.objects.filter(pk=OuterRef("assessment_id")).values("rom_device")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0006_thomas_components"),
    ]

    operations = [
        migrations.AddField(
            model_name="rommeasurement",
            name="device",
            field=models.CharField(
                choices=[("goniometer", "Goniometer"), ("inclinometer", "Inclinometer")],
                default="goniometer",
                max_length=12,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="rommeasurement",
            name="position",
            field=models.CharField(
                blank=True,
                choices=[("seated", "Seated"), ("supine", "Supine"), ("prone", "Prone"), ("side_lying", "Side-lying")],
                max_length=10,
            ),
        ),
        migrations.RunPython(device_from_visit, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="rommeasurement",
            constraint=models.CheckConstraint(
                condition=models.Q(("position__in", ["", "seated", "supine", "prone", "side_lying"])),
                name="rom_position_known_or_not_recorded",
            ),
        ),
        migrations.AddConstraint(
            model_name="rommeasurement",
            constraint=models.CheckConstraint(
                condition=models.Q(("device__in", ["goniometer", "inclinometer"])), name="rom_device_known"
            ),
        ),
    ]
