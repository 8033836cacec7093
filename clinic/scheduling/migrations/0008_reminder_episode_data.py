from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill_episode(apps, schema_editor):
    """Rows made before reminders had kinds beyond visits belong to their visit's episode."""
    Reminder = apps.get_model("scheduling", "Reminder")
    Appointment = apps.get_model("scheduling", "Appointment")
    Reminder.objects.filter(episode__isnull=True).update(
        episode=Subquery(Appointment.objects.filter(pk=OuterRef("appointment_id")).values("episode_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0007_reminder_kinds")]

    operations = [migrations.RunPython(fill_episode, migrations.RunPython.noop)]
