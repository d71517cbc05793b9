"""Cells of the CSV files Inzet hands out (the proof of the information note, the nominative
list of allowances): a spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula, so text a person typed (a name, a description) is written with a leading
apostrophe there."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text
