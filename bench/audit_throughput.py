"""Whole-database duplicate audit throughput (leads per second) at 100k leads, on PostgreSQL.

    /work/main/.venv/bin/python bench/audit_throughput.py [leads=100000]

Stores generated leads (with about 40% corrupted copies, so there is something to find) without running the
checks, then times the same audit as `manage.py find_duplicates`: first run computes every lead's keys, the
second finds them fresh and only groups and scores.
"""

import sys

from accuracy_data import Generator
from matching_db import Timer, empty_leads, setup_django, store_records


def main() -> None:
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    setup_django()
    from leadflow.quality.audit import duplicate_audit

    empty_leads()
    generator = Generator(seed=3)
    records = []
    while len(records) < target:
        records += generator.dataset(2000)
    records = records[:target]
    with Timer() as storing:
        store_records(records)
    print(f"{len(records):,} leads stored in {storing.seconds:.0f}s")
    for label in ("first run (computes every lead's keys)", "second run (keys fresh)"):
        with Timer() as timer:
            pairs = sum(1 for _ in duplicate_audit())
        print(f"{label}: {timer.seconds:.1f}s, {len(records) / timer.seconds:,.0f} leads/s, {pairs:,} pairs")


if __name__ == "__main__":
    main()
