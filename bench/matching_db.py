"""Shared set-up of the quality benchmarks: Django on the benchmark database, migrated and emptied.

DATABASE_URL defaults to the PostgreSQL database lf_quality_bench on 127.0.0.1 (created when missing).
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lf_quality_bench"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if os.environ["DATABASE_URL"].startswith("postgres"):
        _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def empty_leads() -> None:
    from django.db import connection

    from leadflow.leads.models import Lead

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Lead._meta.db_table} RESTART IDENTITY CASCADE")
    else:
        Lead.objects.all().delete()


def store_records(records: list, *, source: str = "bench", batch_size: int = 5000) -> list[int]:
    """bulk_create the generator's records as leads that no check has seen; returns their ids in order."""
    from leadflow.leads.models import Lead, SourceKind

    leads = [
        Lead(
            source_kind=SourceKind.IMPORT,
            source=source,
            external_id=f"rec-{index}",
            custom_fields=record.custom_fields,
            submission={**record.fields, **record.custom_fields},
            **record.fields,
        )
        for index, record in enumerate(records)
    ]
    created = Lead.objects.bulk_create(leads, batch_size=batch_size)
    return [lead.pk for lead in created]


class Timer:
    def __enter__(self) -> "Timer":
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
