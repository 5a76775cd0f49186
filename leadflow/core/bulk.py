"""Bulk loading: many new rows of one model in as few round trips as the database allows, without building a
model instance per row (for a file import the instances cost more CPU than the database does)."""

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, models, router
from django.utils import timezone


def bulk_insert(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert `rows` (field name or attname → value; missing fields get their defaults, `auto_now(_add)` fields
    the current time) and return their new primary keys, in order.

    PostgreSQL: the keys come from the table's sequence in one query, the rows go in with one COPY. Elsewhere:
    `bulk_create`. Constraints apply as for any INSERT (a clash raises IntegrityError). No signals are sent.
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return [obj.pk for obj in model._default_manager.bulk_create([model(**row) for row in rows])]
    meta = model._meta
    columns = [_Column(f, timezone.now(), connection) for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in [meta.pk.column, *(c.field.column for c in columns)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        keys = [key for (key,) in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy:
            for key, row in zip(keys, rows, strict=True):
                copy.write_row([key, *(column.value(row) for column in columns)])
    return keys


class _Column:
    """How one field's value for COPY is found in a row: worked out once per batch, not once per cell."""

    # Values psycopg adapts itself exactly as the field would prepare them.
    PLAIN = (str, int, bool, float, datetime.datetime, datetime.date)

    def __init__(self, field: models.Field, now: datetime.datetime, connection: Any) -> None:
        self.field, self.connection = field, connection
        self.attname, self.name = field.attname, field.name
        self.always_prepare = isinstance(field, models.JSONField)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            self.default = now
        else:
            self.default = self.prepare(field.get_default())

    def value(self, row: Mapping[str, Any]) -> Any:
        if self.attname in row:
            value = row[self.attname]
        elif self.name in row:
            value = row[self.name]
            if isinstance(value, models.Model):  # a related object given by name
                value = value.pk
        else:
            return self.default
        return self.prepare(value)

    def prepare(self, value: Any) -> Any:
        if value is None or (not self.always_prepare and isinstance(value, self.PLAIN)):
            return value
        return self.field.get_db_prep_save(value, self.connection)


def statistics_refresh(*model_classes: type[models.Model]) -> None:
    """After a bulk load, let PostgreSQL's planner see the new rows now instead of at the next autovacuum: right
    after 100,000 imported leads, queries that join the lead table scanned it until ANALYZE ran."""
    connection = connections[router.db_for_write(model_classes[0])]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in model_classes:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
