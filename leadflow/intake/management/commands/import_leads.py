"""manage.py import_leads FILE: create a lead per row of a CSV or XLSX file (see docs/intake.md)."""

from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from leadflow.core.csv import SafeCsvWriter
from leadflow.core.exceptions import ApplicationError
from leadflow.intake.importing.columns import column_mapping_guess, parse_map_options
from leadflow.intake.importing.services import BATCH_SIZE, ImportReport, SkippedRow, leads_import, row_map
from leadflow.intake.importing.tables import table_open

PREVIEW_ROWS = 5
LISTED_SKIPS = 20


class Command(BaseCommand):
    help = (
        "Import leads from a CSV (delimiter and encoding detected) or XLSX file. Columns are mapped by header "
        "name; unmapped columns are kept as custom fields. Ids already imported from the same source are skipped."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="CSV or XLSX file with a header row.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="Override a column's field (repeatable): a lead field, external_id, name, house_number, "
            "custom:KEY, or nothing/ignore to leave it out.",
        )
        parser.add_argument("--source", help="Source tag on the leads (default: the file name).")
        parser.add_argument("--dry-run", action="store_true", help="Show the mapping and a preview; write nothing.")
        parser.add_argument("--limit", type=int, help="Import at most this many data rows.")
        parser.add_argument("--encoding", help="File encoding (default: detected; utf-8, cp1252 or latin-1).")
        parser.add_argument("--delimiter", help="CSV delimiter (default: sniffed from , ; tab |).")
        parser.add_argument("--sheet", help="XLSX sheet name (default: the active sheet).")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Rows per transaction.")
        parser.add_argument("--report", help="Also write every skipped row and its reason to this CSV file.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        source = options["source"] or path.name
        with ExitStack() as files:
            on_skip = None
            if options["report"]:
                writer = SafeCsvWriter(files.enter_context(open(options["report"], "w", newline="", encoding="utf-8")))
                writer.writerow(["row", "external_id", "reason"])
                on_skip = partial(_write_skipped, writer)
            report = self._import(path, source, options, on_skip)
        self._report(report, options["report"])

    def _import(self, path: Path, source: str, options: dict[str, Any], on_skip: Any) -> ImportReport:
        """Every skipped row goes to `on_skip` as it happens, so the report file holds them all."""
        try:
            overrides = parse_map_options(options["map"])
            with table_open(
                path, encoding=options["encoding"], delimiter=_delimiter(options["delimiter"]), sheet=options["sheet"]
            ) as table:
                mapping = column_mapping_guess(table.headers, overrides)
                if options["verbosity"] or options["dry_run"]:
                    self._describe(table, mapping, source)
                if options["dry_run"]:
                    self._preview(path, options, mapping)
                total = min(table.row_count, options["limit"] or table.row_count)
                with tqdm(total=total, unit="row", disable=options["verbosity"] == 0) as bar:
                    report = leads_import(
                        table=table,
                        mapping=mapping,
                        source=source,
                        actor=f"import:{source}",
                        limit=options["limit"],
                        dry_run=options["dry_run"],
                        batch_size=options["batch_size"],
                        on_progress=bar.update,
                        on_skip=on_skip,
                    )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        return report

    def _describe(self, table: Any, mapping: Any, source: str) -> None:
        detected = f"{table.file_format}"
        if table.file_format == "csv":
            detected += f", encoding {table.encoding}, delimiter {table.delimiter!r}"
        self.stdout.write(f"{table.row_count} data rows ({detected}); source {source!r}.")
        self.stdout.write("Columns:")
        for header, target in mapping.describe():
            self.stdout.write(f"  {header!r:30} → {target}")
        if not mapping.has_external_id:
            self.stdout.write("No id column: the row number (1 = first row after the header) is the external id.")
        for note in mapping.notes:
            self.stdout.write(f"  note: {note}")

    def _preview(self, path: Path, options: dict[str, Any], mapping: Any) -> None:
        with table_open(
            path, encoding=options["encoding"], delimiter=_delimiter(options["delimiter"]), sheet=options["sheet"]
        ) as table:
            self.stdout.write("Preview:")
            for row_number, cells in enumerate(table.rows, start=1):
                if row_number > PREVIEW_ROWS:
                    break
                mapped = row_map(mapping, cells, row_number)
                shown = {k: v for k, v in mapped.item.items() if k != "submission"} if mapped else "(empty row)"
                self.stdout.write(f"  row {row_number}: {shown}")

    def _report(self, report: ImportReport, report_path: str | None) -> None:
        verb = "Would import" if report.dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {report.imported} of {report.rows_read} rows into source {report.source!r}; "
                f"skipped {report.skipped}."
            )
        )
        for kind, count in report.skip_reasons.most_common():
            self.stdout.write(f"  skipped ({kind}): {count}")
        for skipped in report.skipped_rows[:LISTED_SKIPS]:
            self.stdout.write(f"  row {skipped.row_number}: {skipped.reason}")
        if report.skipped > LISTED_SKIPS:
            self.stdout.write(f"  … {report.skipped - LISTED_SKIPS} more (use --report FILE for all).")
        if report.warning_count:
            self.stdout.write(f"Warnings: {report.warning_count}")
            for warning in report.warnings[:LISTED_SKIPS]:
                self.stdout.write(f"  {warning}")
        if report_path:
            self.stdout.write(f"All {report.skipped} skipped rows written to {report_path}.")


def _write_skipped(writer: SafeCsvWriter, skipped: SkippedRow) -> None:
    writer.writerow((skipped.row_number, skipped.external_id, skipped.reason))


def _delimiter(value: str | None) -> str | None:
    return "\t" if value in ("\\t", "tab") else value
