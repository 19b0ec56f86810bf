"""Each report as a Table for the CSV and XLSX exports: the same figures as the JSON, numbers as numbers, dates as dates."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from analytics.exports import Table


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _month(text: str) -> date:
    return date.fromisoformat(text + "-01")


def _flatten(report: dict, prefix: str = "") -> list[list]:
    rows = []
    for key, value in report.items():
        name = f"{prefix}{key}"
        if key in ("from", "to", "store", "series"):
            continue
        if isinstance(value, dict):
            rows.extend(_flatten(value, name + "."))
        elif isinstance(value, str):
            rows.append([name, Decimal(value)])
        else:
            rows.append([name, value])
    return rows


def _head(report: dict) -> list[list]:
    return [["from", _day(report["from"])], ["to", _day(report["to"])], ["store", report["store"] or ""]]


def economics_table(report: dict) -> Table:
    return Table(name=f"economics-{report['from']}-{report['to']}", header=["figure", "value"], rows=_head(report) + _flatten(report))


def economics_series_table(report: dict) -> Table:
    return Table(name=f"economics-days-{report['from']}-{report['to']}", header=["day", "accrued", "redeemed", "expired", "liability"],
                 rows=[[_day(item["day"]), item["accrued"], item["redeemed"], item["expired"], item["liability"]]
                       for item in report.get("series", [])])


def customers_table(report: dict) -> Table:
    return Table(name=f"customers-{report['from']}-{report['to']}", header=["figure", "value"], rows=_head(report) + _flatten(report))


def cohorts_table(report: dict) -> Table:
    rows = [[_month(cohort["month"]), cohort["members"], cell["offset"], _month(cell["month"]), cell["buyers"], Decimal(cell["share"])]
            for cohort in report["cohorts"] for cell in cohort["retention"]]
    return Table(name=f"cohorts-{report['from']}-{report['to']}", header=["cohort", "members", "offset", "month", "buyers", "share"], rows=rows)


def promotions_table(report: dict) -> Table:
    rows = [[item["code"], item["name"], item["receipts"], item["customers"], Decimal(item["discount"]), item["points"],
             Decimal(item["revenue"])] for item in report["promotions"]]
    return Table(name=f"promotions-{report['from']}-{report['to']}",
                 header=["code", "name", "receipts", "customers", "discount", "points", "revenue"], rows=rows)
