"""CSV output that spreadsheet programs will not execute."""

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(value: Any) -> Any:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe (OWASP CSV injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


def csv_safe_row(row: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [csv_safe_cell(value) for value in row]


class SafeCsvWriter:
    """The one way the app writes CSV: every cell quoted, so a `;` or `,` inside a value never starts a new cell
    in a spreadsheet set to either separator (NL/DE use `;`), and formula-like text defused as above."""

    def __init__(self, out: Any) -> None:
        self._writer = csv.writer(out, quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(csv_safe_row(list(row)))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
