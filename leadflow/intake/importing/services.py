"""Import leads from a table (CSV/XLSX): map each row, then create leads in batches through the leads services."""

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Q

from leadflow.core.bulk import statistics_refresh
from leadflow.core.exceptions import ApplicationError
from leadflow.intake.importing.columns import CUSTOM_PREFIX, IGNORE, ColumnMapping
from leadflow.intake.importing.tables import Table
from leadflow.leads.models import Lead, LeadEvent, SourceKind
from leadflow.leads.services import Actor, lead_create, lead_create_many

BATCH_SIZE = 500
# Skipped rows are all counted and handed to `on_skip`; this many are kept in the report (a re-run skips every row).
MAX_LISTED = 10_000
SOURCE_MAX_LENGTH = Lead._meta.get_field("source").max_length
MAX_LENGTHS = {f.name: f.max_length for f in Lead._meta.get_fields() if getattr(f, "max_length", None)}


@dataclass
class MappedRow:
    row_number: int
    external_id: str
    item: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass
class SkippedRow:
    row_number: int
    external_id: str
    reason: str


@dataclass
class ImportReport:
    """What an import did. Row numbers count data rows: row 1 is the first row after the header."""

    source: str
    dry_run: bool = False
    rows_read: int = 0
    imported: int = 0
    skipped: int = 0
    skipped_rows: list[SkippedRow] = field(default_factory=list)
    skip_reasons: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    # Called with every skipped row as it happens (the command's --report writes them all to a file).
    on_skip: Callable[[SkippedRow], None] | None = field(default=None, repr=False)

    def skip(self, row_number: int, external_id: str, reason: str, kind: str) -> None:
        self.skipped += 1
        self.skip_reasons[kind] += 1
        skipped = SkippedRow(row_number, external_id, reason)
        if self.on_skip is not None:
            self.on_skip(skipped)
        if len(self.skipped_rows) < MAX_LISTED:
            self.skipped_rows.append(skipped)

    def warn(self, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "rows_read": self.rows_read,
            "imported": self.imported,
            "skipped": self.skipped,
            "skip_reasons": dict(self.skip_reasons),
            "skipped_rows": [vars(s) for s in self.skipped_rows],
            "warning_count": self.warning_count,
            "warnings": self.warnings,
        }


def import_source_name(file_name: str) -> str:
    return file_name[:SOURCE_MAX_LENGTH]


def row_map(mapping: ColumnMapping, cells: list[str], row_number: int) -> MappedRow | None:
    """One row as `lead_create` arguments; None for an empty row.

    The verbatim row is the submission. A value that cannot fill its lead field (too long, not a number)
    is kept as a custom field under its header instead, with a warning: nothing in the file is dropped.
    """
    if not any(cells):
        return None
    headers = mapping.headers
    extra = {f"column_{i + 1}": cell for i, cell in enumerate(cells) if i >= len(headers) and cell}
    cells = cells[: len(headers)] + [""] * (len(headers) - len(cells))
    fields: dict[str, Any] = {}
    custom: dict[str, str] = dict(extra)
    street_parts: list[str] = []
    warnings = []
    external_id = ""
    for target, value in zip(mapping.targets, cells, strict=True):
        if not value or target == IGNORE:
            continue
        if target == "external_id":
            external_id = value
        elif target.startswith(CUSTOM_PREFIX):
            custom[target[len(CUSTOM_PREFIX) :]] = value
        elif target in ("street", "house_number"):
            street_parts.append(value)  # in file order: "12 Main St" and "Hoofdstraat 12" both come out right
        elif target == "name":
            fields.update(split_person_name(value))
        else:
            fields[target] = value
    if street_parts:
        fields["street"] = " ".join(street_parts)
    for name, value in list(fields.items()):
        problem = _field_problem(name, value)
        if problem:
            del fields[name]
            custom[name] = value
            warnings.append(f"Row {row_number}: {name} {problem}; kept as custom field {name!r}.")
        elif name == "company_size":
            fields[name] = int(value.replace(".", "").replace(",", ""))
    if not mapping.has_external_id:
        external_id = str(row_number)
    elif not external_id:
        external_id = f"row-{row_number}"
        warnings.append(f"Row {row_number}: no id; imported with external id {external_id!r}.")
    if len(external_id) > MAX_LENGTHS["external_id"]:
        external_id = f"row-{row_number}"
        warnings.append(f"Row {row_number}: id too long; imported with external id {external_id!r}.")
    submission = dict(zip(headers, cells, strict=True)) | extra
    item = {**fields, "external_id": external_id, "custom_fields": custom, "submission": submission}
    return MappedRow(row_number=row_number, external_id=external_id, item=item, warnings=warnings)


def split_person_name(value: str) -> dict[str, str]:
    """'Jan van der Berg' → Jan / van der Berg; 'Berg, Jan' → Jan / Berg; a single word is the last name."""
    if "," in value:
        last, _, first = value.partition(",")
        return {"first_name": first.strip(), "last_name": last.strip()}
    first, _, last = value.strip().partition(" ")
    if not last:
        return {"last_name": first}
    return {"first_name": first, "last_name": last.strip()}


def _field_problem(name: str, value: str) -> str:
    if name == "company_size" and not value.replace(".", "").replace(",", "").isdigit():
        return "is not a whole number"
    max_length = MAX_LENGTHS.get(name)
    if name != "company_size" and max_length and len(value) > max_length:
        return f"is longer than {max_length} characters"
    return ""


def leads_import(
    *,
    table: Table,
    mapping: ColumnMapping,
    source: str,
    actor: Actor,
    limit: int | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
    on_skip: Callable[[SkippedRow], None] | None = None,
) -> ImportReport:
    """Create a lead per row, `batch_size` rows per transaction. Ids already imported from `source` are skipped,
    so running the same import again creates nothing new. `dry_run` writes nothing and reports what would happen.
    """
    source = import_source_name(source)
    report = ImportReport(source=source, dry_run=dry_run, on_skip=on_skip)
    first_row_of: dict[str, int] = {}  # only the ids, to name the earlier row a repeated id comes from
    rows = islice(enumerate(table.rows, start=1), limit)
    for batch in _batches(rows, batch_size):
        fresh = []
        mapped_rows = [(n, row_map(mapping, cells, n)) for n, cells in batch]
        known = set(
            Lead.objects.filter(
                source=source, external_id__in=[m.external_id for _, m in mapped_rows if m]
            ).values_list("external_id", flat=True)
        )
        for row_number, mapped in mapped_rows:
            report.rows_read += 1
            if mapped is None:
                report.skip(row_number, "", "Empty row.", "empty row")
                continue
            for warning in mapped.warnings:
                report.warn(warning)
            if mapped.external_id in first_row_of:
                first = first_row_of[mapped.external_id]
                reason = f"Id {mapped.external_id!r} appears earlier in the file (row {first}); not imported twice."
                report.skip(row_number, mapped.external_id, reason, "id repeated in file")
            elif mapped.external_id in known:
                reason = f"Id {mapped.external_id!r} was already imported from {source!r}; left unchanged."
                report.skip(row_number, mapped.external_id, reason, "already imported")
            else:
                fresh.append(mapped)
            first_row_of.setdefault(mapped.external_id, row_number)
        if dry_run:
            report.imported += len(fresh)
        else:
            _create_batch(fresh, source=source, actor=actor, report=report)
        if on_progress:
            on_progress(len(batch))
    if report.imported:
        statistics_refresh(Lead, LeadEvent)
    return report


def _create_batch(rows: list[MappedRow], *, source: str, actor: Actor, report: ImportReport) -> None:
    if not rows:
        return
    try:
        lead_create_many(actor=actor, source_kind=SourceKind.IMPORT, source=source, items=[r.item for r in rows])
        report.imported += len(rows)
    except (IntegrityError, ValidationError):
        # Another import of the same source got there first, or one row is invalid: go row by row so
        # every good row still lands and each bad one gets its own reason.
        for row in rows:
            _create_one(row, source=source, actor=actor, report=report)


def _create_one(row: MappedRow, *, source: str, actor: Actor, report: ImportReport) -> None:
    try:
        lead_create(actor=actor, source_kind=SourceKind.IMPORT, source=source, **row.item)
    except ValidationError as exc:
        reason = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
        report.skip(row.row_number, row.external_id, reason, "invalid")
    except IntegrityError:
        reason = f"Id {row.external_id!r} was already imported from {source!r}; left unchanged."
        report.skip(row.row_number, row.external_id, reason, "already imported")
    else:
        report.imported += 1


def _batches(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    while batch := list(islice(rows, size)):
        yield batch


def import_job_run(*, job_id: int) -> None:
    """Run an uploaded import (admin), saving progress as it goes so the page can show a progress bar.

    Claimed with a conditional update, so a redelivered task does not import the file twice at once;
    a re-run after a crash skips the rows that already landed (their ids are known).
    """
    from django.utils import timezone

    from leadflow.intake.importing.columns import column_mapping_guess
    from leadflow.intake.importing.tables import table_open
    from leadflow.intake.models import ImportJob, ImportStatus

    stale = timezone.now() - timezone.timedelta(minutes=5)  # a worker died mid-import: its job may be taken over
    claimed = ImportJob.objects.filter(
        Q(status=ImportStatus.PENDING) | Q(status=ImportStatus.RUNNING, updated_at__lt=stale), pk=job_id
    ).update(status=ImportStatus.RUNNING, processed=0, updated_at=timezone.now())
    if not claimed:
        return
    job = ImportJob.objects.get(pk=job_id)
    processed = 0

    def save_progress(rows: int) -> None:
        nonlocal processed
        processed += rows
        ImportJob.objects.filter(pk=job_id).update(processed=processed, updated_at=timezone.now())

    try:
        with table_open(job.file.path) as table:
            ImportJob.objects.filter(pk=job_id).update(row_count=table.row_count)
            report = leads_import(
                table=table,
                mapping=column_mapping_guess(table.headers, job.mapping),
                source=job.source,
                actor=job.created_by or f"import:{job.source}",
                on_progress=save_progress,
            )
    except ApplicationError as exc:
        ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.FAILED, error=exc.message)
        return
    ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.DONE, report=report.as_dict())
