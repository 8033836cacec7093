"""A statement-level trigger that refuses TRUNCATE of the audit table (PostgreSQL).

Row triggers (0002) refuse UPDATE and DELETE, but TRUNCATE fires none of them, and a
``TRUNCATE clinic_user CASCADE`` would empty the trail along with the table it points at.
Emptying the trail for retention is a deliberate act of the table's owner: disable this
trigger (``ALTER TABLE clinic_auditevent DISABLE TRIGGER clinic_auditevent_no_truncate``)
in the same transaction. The test suite's flushes do so (tests/conftest.py).
SQLite has no TRUNCATE.
"""

from django.db import migrations

POSTGRES = """
CREATE TRIGGER clinic_auditevent_no_truncate BEFORE TRUNCATE ON clinic_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION clinic_audit_append_only();
"""
POSTGRES_REVERSE = "DROP TRIGGER IF EXISTS clinic_auditevent_no_truncate ON clinic_auditevent;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0011_clinic_front_desk_two_factor")]

    operations = [migrations.RunPython(forwards, backwards)]
