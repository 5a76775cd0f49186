from leadflow.core.csv import csv_safe_cell, csv_safe_row


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
