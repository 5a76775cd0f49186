"""Write every probable and possible duplicate pair in the database to a CSV file."""

import sys
from functools import partial
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from leadflow.core.csv import SafeCsvWriter
from leadflow.quality.audit import duplicate_audit

COLUMNS = ("lead_a", "lead_b", "external_id_a", "external_id_b", "score", "decision", "reasons", "label_a", "label_b")


class Command(BaseCommand):
    help = "Audit the whole database for duplicate leads and write the candidate pairs to a CSV file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", required=True, help="CSV file to write ('-' for standard output).")
        parser.add_argument("--threshold", type=float, help="Auto threshold (default: the match settings).")
        parser.add_argument("--min-score", type=float, help="Lowest score written (default: review threshold).")
        parser.add_argument("--source", help="Only leads from this source (a form, API client or import).")
        parser.add_argument("--quiet", action="store_true", help="No progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("threshold", "min_score"):
            if options[name] is not None and not 0 <= options[name] <= 1:
                raise CommandError(f"--{name.replace('_', '-')} must be between 0 and 1.")
        progress = partial(tqdm, file=sys.stderr, disable=options["quiet"], dynamic_ncols=True)
        pairs = duplicate_audit(
            source=options["source"],
            min_score=options["min_score"],
            auto_threshold=options["threshold"],
            progress=progress,
        )
        if options["output"] == "-":
            written = self._write(pairs, self.stdout)
        else:
            try:
                with Path(options["output"]).open("w", newline="", encoding="utf-8") as out:
                    written = self._write(pairs, out)
            except OSError as exc:
                raise CommandError(f"Cannot write {options['output']}: {exc.strerror}") from exc
        self.stderr.write(f"{written} pair(s) written.")

    def _write(self, pairs: Any, out: Any) -> int:
        writer = SafeCsvWriter(out)
        writer.writerow(COLUMNS)
        written = 0
        for pair in pairs:
            writer.writerow(
                [
                    pair.lead_a,
                    pair.lead_b,
                    pair.external_id_a,
                    pair.external_id_b,
                    f"{pair.score:.4f}",
                    pair.decision,
                    " ".join(pair.reasons),
                    pair.label_a,
                    pair.label_b,
                ]
            )
            written += 1
        return written
