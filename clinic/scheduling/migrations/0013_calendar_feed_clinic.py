import django.db.models.deletion
from django.db import migrations, models


def feeds_belong_to_their_clinicians_clinic(apps, schema_editor):
    CalendarFeed = apps.get_model("scheduling", "CalendarFeed")
    # A feed whose owner has no clinic could never serve: it has nothing to keep.
    CalendarFeed.objects.filter(clinician__clinic__isnull=True).delete()
    for feed in CalendarFeed.objects.select_related("clinician"):
        feed.clinic_id = feed.clinician.clinic_id
        feed.save(update_fields=["clinic"])


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0008_open_episode_index"),
        ("scheduling", "0012_start_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarfeed",
            name="clinic",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="clinic.clinic"
            ),
        ),
        migrations.RunPython(feeds_belong_to_their_clinicians_clinic, migrations.RunPython.noop),
    ]
