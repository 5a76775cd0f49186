"""The worker after a file import: imported leads validated and matched, per second, with CPU and SQL per lead.

    .venv/bin/python bench/pipeline_throughput.py [--leads 100000] [--databases postgresql sqlite]

For each database: a fresh one (PostgreSQL `lf_pipeline_bench` or $LEADFLOW_BENCH_DATABASE; SQLite in a temp
file), `manage.py import_leads` of lead-shaped rows (`import_throughput.write_file`: Dutch names, companies,
emails, phones, addresses; repeated ids are skipped by the import), then in a fresh process the pending leads are
processed batch by batch by `leads.tasks.process_leads`, the task the worker runs for an import's batches,
called in-process (no broker). Printed: progress per batch, then leads/s (wall), CPU ms per lead (this process,
`time.process_time`) and SQL statements per lead (counted at the cursor), and the states the leads ended in.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_throughput import write_file  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432/"
WORKER = """
import collections, sys, time
import django
django.setup()
from django.db import connection
from leadflow.leads.models import Lead
from leadflow.leads.tasks import process_leads

pending = list(Lead.objects.filter(checks_due_at__isnull=False).order_by("pk").values_list("pk", flat=True))
statements = 0
def count(execute, sql, params, many, context):
    global statements
    statements += 1
    return execute(sql, params, many, context)
started_wall, started_cpu = time.perf_counter(), time.process_time()
with connection.execute_wrapper(count):
    for start in range(0, len(pending), 500):
        process_leads.run(pending[start:start + 500])
        done = min(start + 500, len(pending))
        if done % 5000 == 0 or done == len(pending) or len(pending) < 5000:
            rate = done / (time.perf_counter() - started_wall)
            print(f"  {done:>7} of {len(pending)} processed, {rate:5.0f} leads/s", flush=True)
wall, cpu = time.perf_counter() - started_wall, time.process_time() - started_cpu
states = collections.Counter(Lead.objects.values_list("state", flat=True))
print(f"  {len(pending) / wall:.0f} leads/s, {1000 * cpu / len(pending):.1f} ms CPU and "
      f"{statements / len(pending):.1f} SQL statements per lead; states {dict(states)}")
"""


def run(database_url: str, leads: int, work: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LEADFLOW_DATA_DIR": str(work),
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "leadflow.settings",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    path = work / "leads.csv"
    write_file(path, leads)
    subprocess.run([sys.executable, "manage.py", "import_leads", str(path), "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "-c", WORKER], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--databases", nargs="+", default=["postgresql", "sqlite"])
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for vendor in args.databases:
        work = Path(tempfile.mkdtemp(prefix="lf-pipeline-bench-"))
        if vendor == "postgresql":
            name = os.environ.get("LEADFLOW_BENCH_DATABASE", "lf_pipeline_bench")
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
            url = PG + name
        else:
            url = f"sqlite:///{work / 'pipeline.sqlite3'}"
        print(f"{vendor}, {args.leads} imported leads:", flush=True)
        run(url, args.leads, work)


if __name__ == "__main__":
    main()
