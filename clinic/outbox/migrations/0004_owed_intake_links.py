"""Intake links owed under the old engine (live, never sent) become outbox rows, so none is
lost on deploy. Their hash is made when the outbox sends them."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    PatientMessage = apps.get_model("outbox", "PatientMessage")
    IntakeInvitation = apps.get_model("intake", "IntakeInvitation")
    now = timezone.now()
    owed = IntakeInvitation.objects.filter(sent_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
    PatientMessage.objects.bulk_create(
        [
            PatientMessage(episode_id=episode_id, kind="intake_link", subject_id=pk, due_at=now)
            for pk, episode_id in owed.values_list("pk", "intake__episode_id")
        ],
        batch_size=1000,
    )


def backwards(apps, schema_editor):
    # The old engine finds owed links from the invitations, which this migration left alone.
    apps.get_model("outbox", "PatientMessage").objects.filter(
        kind="intake_link", status__in=["pending", "queued"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0003_intake_link"),
        ("intake", "0004_red_flag_dates_plausible"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
