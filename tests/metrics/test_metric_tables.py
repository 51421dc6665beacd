"""Markdown and CSV tables: numbers, undefined values, hostile cell text."""

from gsmile_core.evaluation.metrics.tables import csv_table, markdown_table


def test_markdown_formats_and_escapes():
    rows = [{"w": "a|b\nc", "x": 0.123456, "y": None, "z": ["p", "q"], "b": True}]
    cols = (("w", "W"), ("x", "X"), ("y", "Y"), ("z", "Z"), ("b", "B"))
    text = markdown_table(rows, cols)
    assert text.splitlines()[2] == "| a\\|b c | 0.1235 | — | p, q | yes |"


def test_csv_keeps_full_precision_and_empties_undefined():
    text = csv_table([{"x": 0.123456789, "y": float("nan"), "z": None}], (("x", "X"), ("y", "Y"), ("z", "Z")))
    assert text.splitlines() == ["x,y,z", "0.123456789,,"]
