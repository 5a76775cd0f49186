"""CSV output that spreadsheet programs will not execute."""

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(value: Any) -> Any:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe (OWASP CSV injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


def csv_safe_row(row: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [csv_safe_cell(value) for value in row]
