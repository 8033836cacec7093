"""Messages owed under the engines the outbox replaces become outbox rows, so nothing owed is
lost on deploy: handouts whose message was owed, and visits whose latest change was not told.
The next dispatch sends them; the subjects' own markers stay as they are, and each kind's
``prepare`` reads them."""

from django.db import migrations
from django.db.models import F
from django.utils import timezone


def forwards(apps, schema_editor):
    PatientMessage = apps.get_model("outbox", "PatientMessage")
    Handout = apps.get_model("plans", "Handout")
    Appointment = apps.get_model("scheduling", "Appointment")
    now = timezone.now()
    owed = [
        PatientMessage(episode_id=episode_id, kind="handout_ready", subject_id=pk, due_at=now)
        for pk, episode_id in Handout.objects.filter(delivery="owed").values_list("pk", "version__plan__episode_id")
    ]
    owed += [
        PatientMessage(episode_id=episode_id, kind="visit_notice", subject_id=pk, due_at=now)
        for pk, episode_id in Appointment.objects.filter(notified_sequence__lt=F("sequence")).values_list(
            "pk", "episode_id"
        )
    ]
    PatientMessage.objects.bulk_create(owed, batch_size=1000)


def backwards(apps, schema_editor):
    # The old engines find what is owed from the subjects' markers, which this migration left alone.
    apps.get_model("outbox", "PatientMessage").objects.filter(status__in=["pending", "queued"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
        ("plans", "0007_sanitise_stored_illustrations"),
        ("scheduling", "0015_visit_and_time_off_dates_plausible"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
