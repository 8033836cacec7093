"""A message names its patient: a contact change belongs to a patient, not an episode, so the
episode becomes optional. Existing rows take their episode's patient; the next migration makes
the patient required, in a transaction of its own (PostgreSQL refuses to alter a table with
the updates of this one's still to check)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    PatientMessage = apps.get_model("outbox", "PatientMessage")
    EpisodeOfCare = apps.get_model("clinic", "EpisodeOfCare")
    PatientMessage.objects.filter(patient__isnull=True).update(
        patient_id=Subquery(EpisodeOfCare.objects.filter(pk=OuterRef("episode_id")).values("patient_id")[:1])
    )


def backwards(apps, schema_editor):
    # The older schema needs an episode: messages without one (contact changes) cannot stay.
    apps.get_model("outbox", "PatientMessage").objects.filter(episode__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0016_clinic_logo_checked_picture"),
        ("outbox", "0008_reminders_moved"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="patientmessage",
            name="patient_message_kind_known",
        ),
        migrations.AddField(
            model_name="patientmessage",
            name="patient",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="patient_messages",
                to="clinic.patient",
            ),
        ),
        migrations.AlterField(
            model_name="patientmessage",
            name="episode",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="patient_messages",
                to="clinic.episodeofcare",
            ),
        ),
        migrations.AlterField(
            model_name="patientmessage",
            name="kind",
            field=models.CharField(
                choices=[
                    ("handout_ready", "Home program ready"),
                    ("visit_notice", "Visit booked, moved or cancelled"),
                    ("intake_link", "Intake link"),
                    ("contact_change", "Contact details change asked for"),
                    ("first", "First visit reminder"),
                    ("second", "Second visit reminder"),
                    ("intake_nudge", "Intake not finished"),
                    ("check_in", "Home-program check-in"),
                    ("reassessment", "Re-assessment due"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="patientmessage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        [
                            "handout_ready",
                            "visit_notice",
                            "intake_link",
                            "contact_change",
                            "first",
                            "second",
                            "intake_nudge",
                            "check_in",
                            "reassessment",
                        ],
                    )
                ),
                name="patient_message_kind_known",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
