"""Trigram indexes for the queue's search on PostgreSQL (no-op elsewhere).

The queue searches with `icontains`, which PostgreSQL runs as UPPER(column::text) LIKE UPPER('%term%');
GIN trigram indexes on exactly those expressions let it answer without scanning every lead.
"""

from django.db import migrations

SEARCHED_COLUMNS = ("first_name", "last_name", "email", "company")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS review_lead_{column}_trgm "
            f"ON leads_lead USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS review_lead_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("review", "0002_roles"), ("leads", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
