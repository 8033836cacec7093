"""The Django admin's log named records by their ``str``: a patient's name, an episode's
complaint. It now names records of patients by kind and id (clinic/admin.py); this renames
the entries written before, so the admin's "recent actions" and history pages show no PHI."""

from django.db import migrations
from django.db.models import CharField, Value
from django.db.models.functions import Concat

# Models whose admin entries named a patient, and the label the admin now uses for them.
RENAMED = {
    ("clinic", "patient"): "Patient #",
    ("clinic", "episodeofcare"): "Episode of care #",
    ("scheduling", "appointment"): "Appointment #",
}


def forwards(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    log_entry = apps.get_model("admin", "LogEntry")
    for (app_label, model), label in RENAMED.items():
        kind = content_type.objects.filter(app_label=app_label, model=model).first()
        if kind is not None:
            log_entry.objects.filter(content_type=kind).update(
                object_repr=Concat(Value(label), "object_id", output_field=CharField())
            )


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0012_audit_refuses_truncate"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # The names are gone for good: going back leaves the entries as they are.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
