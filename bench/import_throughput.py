"""`manage.py import_leads` on PostgreSQL: rows per second and peak memory for growing files of lead-shaped rows.

    .venv/bin/python bench/import_throughput.py [--rows 20000 100000] [--database lf_import_bench]

For each size, writes a CSV (id, names, email, phone, company, street + house number, postcode, city, country,
a free-text note), 1 % of ids repeated and 0.5 % empty rows, so that skipped rows are reported; recreates the
database, migrates, and runs the import with `--report` in a fresh process, timing it and reading its peak
RSS and CPU time from the kernel (`wait4`). The same is measured for `manage.py check` (Django's start-up, the
floor of any command) and subtracted: rows per CPU-second of the importer does not move with other load on the
machine, rows per second does (PostgreSQL's own work is in the wall time only). Memory flat in the file size shows
as the same peak RSS for every size; the report must list every skipped row.
"""

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432/"
FIRST = ["Anna", "Bram", "Chris", "Daan", "Eva", "Femke", "Gert", "Hanna", "Ivo", "Julia", "Karel", "Lotte"]
LAST = ["de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos"]
COMPANY = ["Acme", "Voorbeeld", "Noorderlicht", "Polder", "Dijkstra", "Tulp", "Molen", "Haven"]
STREETS = ["Hoofdstraat", "Kerkstraat", "Stationsweg", "Dorpsstraat", "Schoolstraat", "Molenweg"]
CITIES = [("Amsterdam", "1012"), ("Utrecht", "3511"), ("Rotterdam", "3011"), ("Groningen", "9711")]


def write_file(path: Path, rows: int, seed: int = 7) -> tuple[int, int]:
    """Returns (repeated ids, empty rows) written."""
    rng = random.Random(seed)
    repeated = empty = 0
    written: list[str] = []
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["id", "first_name", "last_name", "email", "phone", "company", "street", "house_number", "postcode"]
            + ["city", "country", "note"]
        )
        for n in range(1, rows + 1):
            if rng.random() < 0.005:
                writer.writerow([""] * 12)
                empty += 1
                continue
            ident = f"crm-{n}"
            if written and rng.random() < 0.01:
                ident = rng.choice(written)
                repeated += 1
            else:
                written.append(ident)
            first, last, company = rng.choice(FIRST), rng.choice(LAST), f"{rng.choice(COMPANY)} {n} B.V."
            city, postcode = rng.choice(CITIES)
            writer.writerow(
                [
                    ident,
                    first,
                    last,
                    f"{first.lower()}.{n}@{company.split()[0].lower()}{n % 997}.nl",
                    f"+31 20 {n % 10_000_000:07d}",
                    company,
                    rng.choice(STREETS),
                    str(rng.randrange(1, 300)),
                    f"{postcode} {rng.choice('ABCDEFGH')}{rng.choice('KLMNPRST')}",
                    city,
                    "NL",
                    "Asked for a quote at the fair." if n % 3 else "",
                ]
            )
    return repeated, empty


def run_command(env: dict[str, str], *arguments: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the process, its peak RSS in MB) of one `manage.py` command."""
    started = time.perf_counter()
    command = [sys.executable, "manage.py", *arguments]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise RuntimeError(output)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--database", default=os.environ.get("LEADFLOW_BENCH_DATABASE", "lf_import_bench"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lf-import-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": PG + args.database,
        "LEADFLOW_DATA_DIR": str(work),
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "LOG_LEVEL": "WARNING",
    }
    print(f"machine: {os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    start_up = None
    for rows in args.rows:
        path = work / f"leads-{rows}.csv"
        repeated, empty = write_file(path, rows)
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", args.database], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database], check=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        report = work / f"skipped-{rows}.csv"
        if start_up is None:
            start_up = run_command(env, "check")
            print(f"manage.py check (start-up): {start_up[1]:.1f} s CPU, peak RSS {start_up[2]:.0f} MB")
        seconds, cpu, peak_mb = run_command(env, "import_leads", str(path), "--report", str(report), "-v", "0")
        with report.open(encoding="utf-8") as listed:
            listed_rows = sum(1 for _ in listed) - 1
        net_cpu = cpu - start_up[1]
        print(
            f"{rows:>8} rows ({path.stat().st_size / 1e6:5.1f} MB): {seconds:6.1f} s = {rows / seconds:6.0f} rows/s; "
            f"importer CPU beyond start-up {net_cpu:5.1f} s = {rows / net_cpu:6.0f} rows/CPU-s; peak RSS "
            f"{peak_mb:5.0f} MB; skipped {repeated + empty}, {listed_rows} listed in --report"
        )


if __name__ == "__main__":
    main()
