"""Every reminder row, sent or still owed, becomes an outbox message with its links, so the day
view keeps its history and the links in messages patients already have keep working.

A reminder queued under the old engine goes back to pending: its task named the old engine,
so the new dispatcher claims it. One left sending stays so: it is failed for the front desk
after the usual wait, never sent again.
"""

from django.db import migrations

REMINDER_KINDS = ["first", "second", "intake_nudge", "check_in", "reassessment"]


def forwards(apps, schema_editor):
    Reminder = apps.get_model("scheduling", "Reminder")
    ReminderLink = apps.get_model("scheduling", "ReminderLink")
    PatientMessage = apps.get_model("outbox", "PatientMessage")
    MessageLink = apps.get_model("outbox", "MessageLink")
    message_of = {}
    for reminder in Reminder.objects.order_by("pk").iterator(chunk_size=1000):
        queued = reminder.status == "queued"
        message = PatientMessage.objects.create(
            episode_id=reminder.episode_id,
            kind=reminder.kind,
            subject_id=reminder.appointment_id or reminder.invitation_id or reminder.plan_version_id,
            status="pending" if queued else reminder.status,
            due_at=reminder.due_at,
            attempts=reminder.attempts,
            queued_at=None if queued else reminder.queued_at,
            sending_at=reminder.sending_at,
            sent_at=reminder.sent_at,
            channel=reminder.channel,
            reason=reminder.error or reminder.skip_reason,
        )
        message_of[reminder.pk] = message.pk
    MessageLink.objects.bulk_create(
        [
            MessageLink(
                message_id=message_of[link.reminder_id],
                action=link.action,
                token_hash=link.token_hash,
                expires_at=link.expires_at,
                used_at=link.used_at,
            )
            for link in ReminderLink.objects.iterator(chunk_size=1000)
        ],
        batch_size=1000,
    )


def backwards(apps, schema_editor):
    # Going back recreates the reminder tables empty; the moved rows go so a second forward
    # run does not copy them twice.
    apps.get_model("outbox", "PatientMessage").objects.filter(kind__in=REMINDER_KINDS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0007_reminders_join_the_outbox"),
        ("scheduling", "0017_wording_for_intake_links"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
