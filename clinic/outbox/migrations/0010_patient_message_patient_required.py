"""Every message names its patient (filled in by the previous migration)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0009_patient_messages_without_episode"),
    ]

    operations = [
        migrations.AlterField(
            model_name="patientmessage",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="patient_messages", to="clinic.patient"
            ),
        ),
    ]
