"""The clinic's wording of its messages moves from scheduling to the outbox, rows untouched.

Only Django's picture of the models changes (the table keeps its name, constraints and
indexes; scheduling's 0018 drops its half). The content type is renamed in place, so what
points at it by id keeps pointing at the wording: the permissions granted to role groups and
people, and the Django admin's history. Audit rows name the model as text, are append-only,
and keep the old name with the same row ids.
"""

import django.db.models.deletion
from django.db import migrations, models

OLD = ("scheduling", "remindertemplate", "reminder template")
NEW = ("outbox", "messagewording", "message wording")
ACTIONS = ("add", "change", "delete", "view")


def _carry(apps, schema_editor, source, target):
    db = schema_editor.connection.alias
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(db)
    permissions = apps.get_model("auth", "Permission").objects.using(db)
    content_type = content_types.filter(app_label=source[0], model=source[1]).first()
    if content_type is None:
        # A new database: its content types and permissions are made after migrating.
        return
    # One made for the new name by a partial migrate holds nothing the old one does not.
    content_types.filter(app_label=target[0], model=target[1]).delete()
    content_type.app_label, content_type.model = target[0], target[1]
    content_type.save(update_fields=["app_label", "model"])
    for action in ACTIONS:
        permissions.filter(content_type=content_type, codename=f"{action}_{source[1]}").update(
            codename=f"{action}_{target[1]}", name=f"Can {action} {target[2]}"
        )


def forwards(apps, schema_editor):
    _carry(apps, schema_editor, OLD, NEW)


def backwards(apps, schema_editor):
    _carry(apps, schema_editor, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("clinic", "0016_clinic_logo_checked_picture"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("outbox", "0004_owed_intake_links"),
        ("scheduling", "0017_wording_for_intake_links"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MessageWording",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("first", "First visit reminder"),
                                    ("second", "Second visit reminder"),
                                    ("intake_nudge", "Intake not finished"),
                                    ("check_in", "Home-program check-in"),
                                    ("reassessment", "Re-assessment due"),
                                    ("visit_booked", "Visit booked"),
                                    ("visit_moved", "Visit moved"),
                                    ("visit_cancelled", "Visit cancelled"),
                                    ("home_program", "Home program ready"),
                                    ("intake_link", "Intake link"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("subject", models.CharField(max_length=150, verbose_name="e-mail subject")),
                        ("body", models.TextField(max_length=2000, verbose_name="e-mail text")),
                        (
                            "sms_body",
                            models.CharField(
                                help_text="Plain and short; no links are added.",
                                max_length=300,
                                verbose_name="text message",
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "appointment_type",
                            models.ForeignKey(
                                blank=True,
                                help_text="Empty: every visit type. Only for visit reminders.",
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="wordings",
                                to="scheduling.appointmenttype",
                            ),
                        ),
                        (
                            "clinic",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="wordings",
                                to="clinic.clinic",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "scheduling_remindertemplate",
                        "ordering": ["kind", "appointment_type"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("appointment_type__isnull", True)),
                                fields=("clinic", "kind"),
                                name="one_template_per_kind",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("appointment_type__isnull", False)),
                                fields=("clinic", "kind", "appointment_type"),
                                name="one_template_per_kind_and_type",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("appointment_type__isnull", True),
                                    ("kind__in", ("first", "second")),
                                    _connector="OR",
                                ),
                                name="template_type_only_for_visit_reminders",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
