"""Spreadsheets (.xlsx, openpyxl) and comma-separated files (.csv): each visible sheet under its name as a heading,
then its rows as table rows (base.table_rows), so a row read alone says what its cells are ("Month: May | Cost: 40").
Values are read as the spreadsheet last showed them (a formula's saved result, not the formula). Rows with one
filled cell above the first wider row are the sheet's title lines ("Budget 2027"): headings, so the table's header
is the row under them. Further down such a row stays a row (a to-do list's "Buy seeds" with its "Done" cell still
empty is no title). Empty rows and columns are dropped."""
from __future__ import annotations

import csv
import datetime
import io
import re
from pathlib import Path

from ...errors import ChatbotError
from .base import Converted, TextBuilder, open_office_file, table_rows
from .plain import decode_text

SUFFIXES = (".xlsx", ".csv")

_DECIMALS = re.compile(r"0\.(0+)")  # "0.00", "#,##0.00", "0.0%": the places a number format shows


def convert(path: Path, data: bytes) -> Converted:
    builder = TextBuilder()
    if path.suffix.lower() == ".csv":
        _add_sheet(builder, "", _csv_rows(path, data))
        return builder.result()
    import openpyxl

    workbook = open_office_file(path, data, lambda stream: openpyxl.load_workbook(stream, read_only=True, data_only=True),
                                (OSError,), "an Excel .xlsx file", "Excel", instead=".csv")
    visible = [sheet for sheet in workbook.worksheets if sheet.sheet_state == "visible"]
    for sheet in visible:
        rows = [[_shown(cell.value, getattr(cell, "number_format", "General")) for cell in row] for row in sheet.iter_rows()]
        _add_sheet(builder, sheet.title if len(visible) > 1 else "", rows)
    title = workbook.properties.title or ""
    workbook.close()
    return builder.result(title)


def _add_sheet(builder: TextBuilder, name: str, rows: list[list[str]]) -> None:
    rows = [row for row in rows if any(row)]
    used = [i for i in range(max(map(len, rows), default=0)) if any(i < len(row) and row[i] for row in rows)]
    rows = [[row[i] if i < len(row) else "" for i in used] for row in rows]
    if name:
        builder.add("heading", name)
    while len(used) > 1 and rows and sum(bool(cell) for cell in rows[0]) == 1:
        builder.add("heading", next(cell for cell in rows.pop(0) if cell))
    for row in table_rows(rows):
        builder.add("table", row)


def _csv_rows(path: Path, data: bytes) -> list[list[str]]:
    text = decode_text(path, data)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel  # one column, or too little to tell: commas
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise ChatbotError(f"{path.name} is not a well-formed comma-separated file ({exc}); save it again from "
                           f"its program.") from None


def _shown(value, number_format: str = "General") -> str:
    """A cell's value as the spreadsheet shows it: a percentage as one (0.15 as "15%"), its decimal places when the
    format fixes them (22.5 as "22.50"), else whole numbers without ".0"; dates in ISO form, without midnight."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        section = number_format.split(";")[0]
        decimals = len(m[1]) if (m := _DECIMALS.search(section)) else None
        if "%" in section:
            value *= 100
        if decimals is not None:
            text = f"{value:,.{decimals}f}" if "," in section else f"{value:.{decimals}f}"
        else:
            text = str(int(value)) if float(value).is_integer() else f"{value:.10g}"
        return text + "%" if "%" in section else text
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value).strip()
