"""On PostgreSQL the database itself refuses a clinician's overlapping visits.

An exclusion constraint over (clinician, time range), ignoring cancelled visits. It needs
the btree_gist extension for the equality on the clinician column; creating an extension
needs a role allowed to, which CI's postgres user is (production: ask the DBA once).
SQLite has no such constraint; the booking service serialises writers there instead.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_double_booking
    EXCLUDE USING gist (clinician_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status <> 'cancelled');
"""
DROP = "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_no_double_booking;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_booking")]

    operations = [migrations.RunPython(forwards, backwards)]
