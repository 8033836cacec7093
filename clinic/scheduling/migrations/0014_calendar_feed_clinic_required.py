import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0013: on PostgreSQL the rows it updated leave deferred foreign-key checks
    # pending, and a table with pending checks cannot be altered in the same transaction.
    dependencies = [("scheduling", "0013_calendar_feed_clinic")]

    operations = [
        migrations.AlterField(
            model_name="calendarfeed",
            name="clinic",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="clinic.clinic"),
        ),
    ]
