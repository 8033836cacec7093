"""Moving the test database between migrations, for the tests of a migration's data step."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets=None):
    """The database migrated to ``targets`` (every app's latest when None), and the models as they
    stood there (None at the latest: the code's own models are those)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    # Content types cached while the tables stood elsewhere name rows that may be gone.
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection).loader.project_state(targets).apps if targets else None


def latest_of(app: str) -> list[tuple[str, str]]:
    """The app's newest migration, as a target."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes(app)
