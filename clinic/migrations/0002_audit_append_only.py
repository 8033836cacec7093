"""Database triggers that refuse changes to audit rows, whatever client connects.

UPDATE is refused on every backend. DELETE is refused on PostgreSQL; TRUNCATE, which an
operator with table rights needs for retention, does not fire row triggers. SQLite gets
no DELETE trigger because its test-database flush deletes rows one table at a time.
"""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION clinic_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER clinic_auditevent_no_update BEFORE UPDATE OR DELETE ON clinic_auditevent
    FOR EACH ROW EXECUTE FUNCTION clinic_audit_append_only();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS clinic_auditevent_no_update ON clinic_auditevent;
DROP FUNCTION IF EXISTS clinic_audit_append_only();
"""
SQLITE = """
CREATE TRIGGER clinic_auditevent_no_update BEFORE UPDATE ON clinic_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS clinic_auditevent_no_update;"


def forwards(apps, schema_editor):
    sql = {"postgresql": POSTGRES, "sqlite": SQLITE}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    sql = {"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
