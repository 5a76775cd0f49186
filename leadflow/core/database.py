"""Facts about the database itself, for clear messages before anything else goes wrong."""

import sys

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

NOT_MIGRATED = "The database has no tables yet, or is behind the code: run `manage.py migrate` first."


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Migrations the code has and the database has not run (all of them on a fresh database)."""
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def exit_if_not_migrated() -> None:
    """After a database error in a management command: if migrations are missing, say so in one line and exit 1."""
    try:
        missing = unapplied_migrations()
    except DatabaseError:
        return  # the database itself is unreachable: the original error says more
    if missing:
        sys.stderr.write(f"{NOT_MIGRATED}\n")
        sys.exit(1)
