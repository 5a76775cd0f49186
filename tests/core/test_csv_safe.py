import csv
import io

from leadflow.core.csv import SafeCsvWriter, csv_safe_cell, csv_safe_row


def test_cells_a_spreadsheet_would_run_as_formulas_are_defused():
    assert [csv_safe_cell(v) for v in ("=1+1", "+31 20", "-2", "@SUM(A1)", "\tx")] == [
        "'=1+1",
        "'+31 20",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
    ]


def test_ordinary_values_and_non_text_pass_unchanged():
    assert csv_safe_row(["Anna", 42, None, "a=b"]) == ["Anna", 42, None, "a=b"]


def test_every_cell_is_quoted_so_a_semicolon_locale_keeps_one_value_in_one_cell():
    out = io.StringIO()
    SafeCsvWriter(out).writerows([["company", "rank"], ["Acme;=cmd|' /C calc'!A0", 3]])
    assert out.getvalue().splitlines() == ['"company","rank"', '"Acme;=cmd|\' /C calc\'!A0","3"']
    # Read back with `;` as a Dutch or German spreadsheet would: still one cell, never a formula cell.
    rows = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    assert all(not cell.startswith("=") for row in rows for cell in row)
