"""Reports as files: one table per report, written as CSV or XLSX by the same code.

A table is a header row and rows of Python values: int and Decimal stay numbers, `date` stays a date
(an XLSX date cell; ISO text in CSV). In CSV, text that begins with = + - @ (or a tab or carriage
return) is prefixed with an apostrophe so a spreadsheet never runs it as a formula; numbers are written
as numbers. XLSX has a bold, frozen header row.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.http import HttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("json", "csv", "xlsx")


@dataclass(frozen=True)
class Table:
    name: str  # the file's name without extension, and the sheet's title
    header: list[str]
    rows: list[list]


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(cell) for cell in table.header])
    for row in table.rows:
        writer.writerow([csv_cell(cell) for cell in row])
    # A byte-order mark lets spreadsheet programs read UTF-8 (Cyrillic names) right.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = table.name[:31]
    sheet.append(list(table.header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_xlsx_value(value) for value in row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.is_date:
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, Decimal):
                cell.number_format = "0.00##"
    for index, title in enumerate(table.header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(str(title)) + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value):
    # openpyxl writes Decimal as a number; text is stored as text (a cell value is never a formula
    # unless it starts with "=", which openpyxl would take as one).
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value


def table_response(table: Table, export: str) -> HttpResponse:
    if export == "csv":
        response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
        extension = "csv"
    else:
        response = HttpResponse(table_xlsx(table), content_type=XLSX_TYPE)
        extension = "xlsx"
    response["Content-Disposition"] = f'attachment; filename="{table.name}.{extension}"'
    return response
