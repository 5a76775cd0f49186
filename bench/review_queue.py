"""Server time of the sales queue at 100,000 leads, against the same pages at 1,000 (the baseline).

    /work/main/.venv/bin/python bench/review_queue.py                  # SQLite in a temp directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lf_review \\
        /work/main/.venv/bin/python bench/review_queue.py              # PostgreSQL

On PostgreSQL the script creates and drops its own database (`<name>_queue_bench`); it never touches the
one DATABASE_URL names. Prints, per page: median milliseconds over several requests, SQL queries, and the
ratio to the 1,000-lead baseline.
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASELINE, FULL = 1_000, 100_000
DAY = timedelta(days=1)
REPEATS = 7
PAGES = {
    "first page (newest)": {},
    "state=validated": {"state": "validated"},
    "search 'jansen'": {"q": "jansen"},
    "search 'acme jans'": {"q": "acme jans"},
    "has duplicates": {"has_duplicates": "on"},
    "country + source + sort by name": {"country": "NL", "source": "webinar", "sort": "name"},
    "past SLA": {"overdue": "on"},
    "sort by score": {"sort": "score"},
    "page 500": {"page": "500"},
}


def bench_database() -> tuple[str, object]:
    """A database of our own: a temp SQLite file, or a fresh PostgreSQL database dropped at the end."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        tmp = tempfile.mkdtemp(prefix="leadflow-bench-")
        os.environ["LEADFLOW_DATA_DIR"] = tmp
        return f"sqlite:///{tmp}/bench.sqlite3", lambda: None
    import psycopg

    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/')}_queue_bench"
    admin = parsed._replace(path="/postgres").geturl()

    def run(sql: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)

    run(f'DROP DATABASE IF EXISTS "{name}"')
    run(f'CREATE DATABASE "{name}"')
    return parsed._replace(path=f"/{name}").geturl(), lambda: run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)


def add_leads(start: int, stop: int, owners: list) -> None:
    """Plain rows in bulk (the pipeline would take hours at this size), with the related rows the queue shows."""
    import random

    from django.utils import timezone
    from tqdm import tqdm

    from leadflow.leads.models import Lead, LeadEvent
    from leadflow.qualification.models import LeadAssessment
    from leadflow.quality.models import DuplicateCandidate

    rng = random.Random(start)
    # Spread the leads over three months: the creation time is set here instead of by auto_now_add.
    Lead._meta.get_field("created_at").auto_now_add = False
    first = ["Anna", "Daan", "Sophie", "Lucas", "Emma", "Milan", "Julia", "Noah", "Lotte", "Finn"]
    last = ["Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Peeters", "Maes", "Müller", "Schmidt"]
    companies = ["Acme", "Brightwave", "Noordzee Foods", "Kraftwerk Solar", "Delta Retail", "Tulip Fintech"]
    now = timezone.now()
    batch = 5_000
    for offset in tqdm(range(start, stop, batch), desc=f"Leads {start:,}-{stop:,}", unit="batch"):
        rows = []
        for i in range(offset, min(offset + batch, stop)):
            company = rng.choice(companies)
            rows.append(
                Lead(
                    first_name=rng.choice(first),
                    last_name=rng.choice(last),
                    email=f"person{i}@{company.split()[0].lower()}{i % 997}.example",
                    company=f"{company} {i % 5000}",
                    country=rng.choice(["NL", "BE", "DE"]),
                    source=rng.choice(["website", "webinar", "partner-api", "import"]),
                    state=rng.choice(["new", "validated", "qualified", "converted", "rejected"]),
                    owner=rng.choice(owners),
                    created_at=now - rng.uniform(0, 90) * DAY,
                )
            )
        created = Lead.objects.bulk_create(rows)
        LeadEvent.objects.bulk_create(
            LeadEvent(lead=lead, kind="created", actor_label="bench", created_at=lead.created_at) for lead in created
        )
        LeadAssessment.objects.bulk_create(
            LeadAssessment(
                lead=lead,
                score=rng.randint(0, 100),
                verdict="review",
                hard_requirements_met=True,
                results=[],
                assessed_at=now,
            )
            for lead in created
        )
        DuplicateCandidate.objects.bulk_create(
            DuplicateCandidate(lead=lead, other_lead=created[0], matcher="bench", score=0.95, decision="auto")
            for lead in created[1::50]
        )


def measure(client, params: dict) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/", params)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings), len(queries.captured_queries)


def main() -> None:
    url, drop = bench_database()
    try:
        setup_django(url)
        from django.contrib.auth.models import Group
        from django.db import connection
        from django.test import Client

        from tests.factories import UserFactory

        manager = UserFactory(username="bench-manager")
        manager.groups.add(Group.objects.get(name="Sales manager"))
        owners = [None, *(UserFactory(username=f"rep{i}") for i in range(8))]
        client = Client()
        client.force_login(manager)

        add_leads(0, BASELINE, owners)
        baseline = {name: measure(client, params) for name, params in PAGES.items()}
        add_leads(BASELINE, FULL, owners)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"\nQueue page server time on {connection.vendor}, median of {REPEATS} requests (ms)")
        print(f"{'page':34} {BASELINE:>9,} {FULL:>9,}  ratio  queries")
        for name, params in PAGES.items():
            full_ms, queries = measure(client, params)
            base_ms = baseline[name][0]
            print(f"{name:34} {base_ms:9.1f} {full_ms:9.1f}  {full_ms / base_ms:5.1f}x  {queries:>4}")
    finally:
        from django.db import connections

        connections.close_all()
        drop()


if __name__ == "__main__":
    main()
