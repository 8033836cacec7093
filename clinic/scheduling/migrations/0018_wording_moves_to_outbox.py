"""The clinic's wording of its messages is the outbox's now (outbox 0005 takes over the table
as it is): scheduling forgets the model without dropping the table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0005_message_wording"),
        ("scheduling", "0017_wording_for_intake_links"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ReminderTemplate")],
            database_operations=[],
        ),
    ]
