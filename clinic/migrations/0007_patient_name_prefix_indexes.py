"""Patient search by name on PostgreSQL: an index per name for "starts with" matching.

The search (``clinic.selectors.patient_search``) matches each word against the start of the
first or last name, case-insensitively: Django writes ``UPPER(name::text) LIKE 'WORD%'``.
A btree index on that expression with ``text_pattern_ops`` answers such prefixes whatever
the database's collation. With 100,000 patients, a one-letter search finds its 15,000
matches through these indexes in about 1 ms of index reads (bench/data_growth.py).

PostgreSQL only, and built CONCURRENTLY (so the migration is not atomic): a clinic's
patient table stays writable while the index builds. SQLite compares LIKE case-insensitively
already and has no such operator class; the model's (clinic, last_name, first_name) index
serves it.
"""

from django.db import migrations

INDEXES = {
    "patient_first_name_prefix": "first_name",
    "patient_last_name_prefix": "last_name",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
            f"ON clinic_patient (clinic_id, (UPPER({column}::text)) text_pattern_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("clinic", "0006_api_token_clinical_scope")]

    operations = [migrations.RunPython(forwards, backwards)]
