"""Read CSV and XLSX files as a header plus a stream of rows of strings, never the whole file at once."""

import codecs
import csv
import datetime
import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from leadflow.core.exceptions import ApplicationError

SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
XLSX_MAGIC = b"PK\x03\x04"
MAX_CELL_CHARACTERS = 16 * 1024 * 1024


class UnreadableFile(ApplicationError):
    code = "unreadable_file"


@dataclass
class Table:
    """A file's header and its data rows. `rows` is a one-pass iterator; `row_count` is known up front."""

    headers: list[str]
    rows: Iterator[list[str]]
    row_count: int
    file_format: str
    encoding: str = ""
    delimiter: str = ""


@contextmanager
def table_open(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None, sheet: str | None = None
) -> Iterator[Table]:
    """Open a CSV (any common delimiter and encoding, sniffed) or XLSX file as a `Table`."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"No such file: {path}.")
    with path.open("rb") as raw:
        magic = raw.read(4)
    if path.suffix.lower() in (".xlsx", ".xlsm") or magic == XLSX_MAGIC:
        with _xlsx_open(path, sheet=sheet) as table:
            yield table
    elif path.suffix.lower() == ".xls":
        raise UnreadableFile("Old Excel (.xls) files cannot be read: save the sheet as .xlsx or CSV.")
    else:
        with _csv_open(path, encoding=encoding, delimiter=delimiter) as table:
            yield table


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or UTF-16 when the bytes say so; Windows-1252, then Latin-1, otherwise."""
    with path.open("rb") as raw:
        start = raw.read(4)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for candidate in ("utf-8", "cp1252"):
        if _decodes_completely(path, candidate):
            return candidate
    return "latin-1"  # decodes any byte sequence


def _decodes_completely(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as raw:
            while chunk := raw.read(1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(sample: str) -> str:
    """The delimiter csv.Sniffer sees; else the candidate most frequent on the header line; else a comma."""
    complete_lines = sample[: sample.rfind("\n") + 1] or sample
    try:
        return csv.Sniffer().sniff(complete_lines, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = complete_lines.splitlines()[0] if complete_lines else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


@contextmanager
def _csv_open(path: Path, *, encoding: str | None, delimiter: str | None) -> Iterator[Table]:
    encoding = encoding or detect_encoding(path)
    try:
        with path.open(encoding=encoding, newline="") as text:
            delimiter = delimiter or sniff_delimiter(text.read(SNIFF_BYTES))
            text.seek(0)
            row_count = max(sum(1 for _ in _csv_reader(text, delimiter)) - 1, 0)
            text.seek(0)
            reader = _csv_reader(text, delimiter)
            header = next(reader, None)
            if header is None:
                raise UnreadableFile("The file is empty: it needs a header row naming the columns.")
            yield Table(
                headers=clean_headers(header),
                rows=(_clean_cells(row) for row in reader),
                row_count=row_count,
                file_format="csv",
                encoding=encoding,
                delimiter=delimiter,
            )
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UnreadableFile(f"The file could not be read as CSV ({encoding}): {exc}.") from exc


def _csv_reader(text: IO[str], delimiter: str) -> Iterator[list[str]]:
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARACTERS))  # long notes are data, not an error
    # skipinitialspace: many exports (FEBRL among them) write "a, b, c".
    return csv.reader(text, delimiter=delimiter, skipinitialspace=True)


@contextmanager
def _xlsx_open(path: Path, *, sheet: str | None) -> Iterator[Table]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise UnreadableFile(f"The file could not be read as an Excel workbook: {exc}.") from exc
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise UnreadableFile(f"No sheet named {sheet!r}; the workbook has {', '.join(workbook.sheetnames)}.")
        worksheet = workbook[sheet] if sheet else workbook.active
        rows = (_clean_cells([cell_text(v) for v in row]) for row in worksheet.iter_rows(values_only=True))
        header = next((row for row in rows if any(row)), None)
        if header is None:
            raise UnreadableFile("The sheet is empty: it needs a header row naming the columns.")
        yield Table(
            headers=clean_headers(header),
            rows=rows,
            row_count=max((worksheet.max_row or 1) - 1, 0),
            file_format="xlsx",
        )
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """A spreadsheet value as the text a person sees: 1234 not 1234.0, dates without a midnight time."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _clean_cells(row: list[str]) -> list[str]:
    # NUL cannot be stored in PostgreSQL text; U+FFFD marks where it was.
    return [cell.replace("\x00", "\ufffd").strip() for cell in row]


def clean_headers(header: list[str]) -> list[str]:
    """Header names stripped; blanks named after their position; repeats numbered, so every column has a key."""
    seen: dict[str, int] = {}
    cleaned = []
    for index, name in enumerate(header, start=1):
        name = name.strip().lstrip("\ufeff") or f"column_{index}"
        seen[name] = seen.get(name, 0) + 1
        cleaned.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return cleaned
