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


def _money_or_none(value):
    return None if value is None else Decimal(value)


def invite_links_table(report: dict) -> Table:
    rows = [[row["code"], row["name"], row["channel"], row["signups"], row["buyers"], row["purchases"], Decimal(row["revenue"]),
             _money_or_none(row["average_check"]), Decimal(row["conversion"]), _money_or_none(row["cost"]), _money_or_none(row["cost_per_buyer"])]
            for row in report["links"]]
    return Table(name=f"invite-links-{report['from']}-{report['to']}",
                 header=["code", "name", "channel", "signups", "buyers", "purchases", "revenue", "average_check", "conversion", "cost",
                         "cost_per_buyer"], rows=rows)


def campaigns_table(report: dict) -> Table:
    rows = []
    for row in report["campaigns"]:
        ci = row["uplift"]["ci95"] or [None, None]
        rows.append([row["code"], row["name"], _day(row["started_at"][:10]), row["days"], row["recipients"], row["control"],
                     row["buyers"]["mailed"], row["buyers"]["control"], Decimal(row["revenue_per_customer"]["mailed"]),
                     Decimal(row["revenue_per_customer"]["control"]), Decimal(row["uplift"]["revenue_per_customer"]),
                     _money_or_none(ci[0]), _money_or_none(ci[1]), row["offers_used"], row["unsubscribed"]])
    return Table(name=f"campaigns-{report['from']}-{report['to']}",
                 header=["code", "name", "started", "days", "recipients", "control", "buyers_mailed", "buyers_control",
                         "revenue_per_customer_mailed", "revenue_per_customer_control", "uplift", "ci95_low", "ci95_high", "offers_used",
                         "unsubscribed"], rows=rows)


def funds_table(report: dict) -> Table:
    rows = [[row["code"], row["name"], row["points"], Decimal(row["amount"]), row["donors"], row["donations"]] for row in report["funds"]]
    return Table(name=f"funds-{report['from']}-{report['to']}", header=["code", "name", "points", "amount", "donors", "donations"], rows=rows)


def nps_table(report: dict) -> Table:
    rows = [["from", _day(report["from"])], ["to", _day(report["to"])]]
    rows += [[name, report[name]] for name in ("responses", "promoters", "passives", "detractors", "nps")]
    return Table(name=f"nps-{report['from']}-{report['to']}", header=["figure", "value"], rows=rows)
