"""Each episode's latest attended visit, stored for the front desk's lapsed list, filled from the
visits already booked, and the index the list reads it through.

The fill is one UPDATE with a subquery (PostgreSQL and SQLite alike). The index is built as
``episode_open_oldest`` was (0008): in the migration's transaction, not CONCURRENTLY, which only
PostgreSQL has; with 100,000 episodes (bench/data_growth.py) it takes well under a second.
"""

from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery

# The attended statuses when this migration was written (clinic.scheduling.models.ATTENDED_STATUSES).
ATTENDED = ("checked_in", "completed")


def fill(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    EpisodeOfCare = apps.get_model("clinic", "EpisodeOfCare")
    latest = (
        Appointment.objects.filter(episode=OuterRef("pk"), status__in=ATTENDED)
        .order_by()
        .values("episode")
        .annotate(latest=Max("starts_at"))
        .values("latest")
    )
    EpisodeOfCare.objects.update(last_attended_at=Subquery(latest))


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0023_recert_progress_reports_help"),
        ("scheduling", "0023_patient_visit_change"),
    ]

    operations = [
        migrations.AddField(
            model_name="episodeofcare",
            name="last_attended_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="episodeofcare",
            index=models.Index(
                condition=models.Q(("status", "open")),
                fields=["last_attended_at", "opened_on", "id"],
                name="episode_open_last_attended",
            ),
        ),
    ]
