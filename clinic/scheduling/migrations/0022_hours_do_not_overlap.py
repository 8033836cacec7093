"""On PostgreSQL the database itself refuses overlapping hours and time off of one clinician:
two weekly windows of the same weekday, two windows of the same date, two stretches of time off.

Touching is allowed (a window ending at 12:00 and one starting at 12:00), as the forms allow it.
The times of day are placed on one fixed date only to make a range of them. Like migration 0003
this needs btree_gist; SQLite has no such constraint, the forms and services check there.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_workinghours ADD CONSTRAINT working_hours_no_overlap
    EXCLUDE USING gist (clinician_id WITH =, weekday WITH =,
        tsrange(DATE '2000-01-01' + start, DATE '2000-01-01' + "end", '[)') WITH &&);
ALTER TABLE scheduling_hoursexception ADD CONSTRAINT hours_exception_no_overlap
    EXCLUDE USING gist (clinician_id WITH =, day WITH =,
        tsrange(DATE '2000-01-01' + start, DATE '2000-01-01' + "end", '[)') WITH &&)
    WHERE (start IS NOT NULL);
ALTER TABLE scheduling_timeoff ADD CONSTRAINT time_off_no_overlap
    EXCLUDE USING gist (clinician_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&);
"""
DROP = """
ALTER TABLE scheduling_workinghours DROP CONSTRAINT IF EXISTS working_hours_no_overlap;
ALTER TABLE scheduling_hoursexception DROP CONSTRAINT IF EXISTS hours_exception_no_overlap;
ALTER TABLE scheduling_timeoff DROP CONSTRAINT IF EXISTS time_off_no_overlap;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0021_hours_exceptions")]

    operations = [migrations.RunPython(forwards, backwards)]
