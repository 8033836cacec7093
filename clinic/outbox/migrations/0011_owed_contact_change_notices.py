"""Contact-change notices owed under the old task become outbox rows, one per address still to
be told, so none is lost on deploy. The change keeps its ``notice`` as the copy of the outcome."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    PatientMessage = apps.get_model("outbox", "PatientMessage")
    ContactChange = apps.get_model("clinic", "ContactChange")
    now = timezone.now()
    owed = ContactChange.objects.filter(notice="owed")
    PatientMessage.objects.bulk_create(
        [
            PatientMessage(
                patient_id=patient_id, kind="contact_change", subject_id=pk, channel=channel, due_at=now
            )
            for pk, patient_id, channels in owed.values_list("pk", "patient_id", "notice_channels")
            for channel in channels
        ],
        batch_size=1000,
    )
    # The old task sent the addresses one by one, taking each off the list once it went: an
    # empty list means every address was told, by a worker that stopped before saying so.
    owed.filter(notice_channels=[]).update(notice="sent")


def backwards(apps, schema_editor):
    # The old task sends what the change's list still names: the addresses not told yet.
    PatientMessage = apps.get_model("outbox", "PatientMessage")
    ContactChange = apps.get_model("clinic", "ContactChange")
    unsent = PatientMessage.objects.filter(kind="contact_change", status__in=["pending", "queued"])
    for change in ContactChange.objects.filter(notice="owed"):
        change.notice_channels = list(unsent.filter(subject_id=change.pk).values_list("channel", flat=True))
        change.save(update_fields=["notice_channels"])
    unsent.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0010_patient_message_patient_required"),
        ("clinic", "0016_clinic_logo_checked_picture"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
