"""The invite-link report as CSV and XLSX: a header row, numbers as numbers, text cells that a spreadsheet
would read as a formula escaped (CSV) or stored as text (XLSX)."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

COLUMNS = ("code", "name", "channel", "signups", "buyers", "purchases", "revenue", "average_check", "conversion", "cost", "cost_per_buyer")
NUMERIC = {"signups", "buyers", "purchases", "revenue", "average_check", "conversion", "cost", "cost_per_buyer"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_cell(value) -> str:
    """A cell as text; one that starts like a formula is prefixed with a quote so no spreadsheet runs it."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def report_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row[column] if column in NUMERIC and row[column] is not None else csv_cell(row[column]) for column in COLUMNS])
    return out.getvalue()


def report_xlsx(rows: list[dict], *, title: str = "Invite links") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = []
        for column in COLUMNS:
            value = row[column]
            if column in NUMERIC and value is not None:
                number = Decimal(str(value))
                values.append(int(number) if column in ("signups", "buyers", "purchases") else number)
            else:
                values.append("" if value is None else str(value))
        sheet.append(values)
        for cell, column in zip(sheet[sheet.max_row], COLUMNS):
            if column not in NUMERIC:
                cell.data_type = "s"  # text stays text: a value like "=1+1" is never a formula
            elif column == "conversion":
                cell.number_format = "0.0000"
            elif column not in ("signups", "buyers", "purchases"):
                cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJK", (16, 30, 14, 10, 10, 10, 14, 14, 11, 14, 14)):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
