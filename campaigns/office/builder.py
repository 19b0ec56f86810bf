"""The segment builder's form: groups of condition rows <-> rules.

The screen shows the rules as a root mode ("all" or "any" of the groups) and groups, each "all" or "any"
of its condition rows. Posted names: `root`, `groups` (how many), `g-<i>-mode`, `g-<i>-rows`,
`g-<i>-<j>-field|op|value|days`. Lists (for "is one of" and "between") are typed comma-separated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field

from django.utils.translation import gettext_lazy as _

from campaigns.rules import FIELDS

MAX_GROUPS = 20
MAX_ROWS = 30

FIELD_LABELS = {
    "gender": _("Gender (m or f)"),
    "age": _("Age, years"),
    "birthday_in_days": _("Birthday within, days"),
    "tier": _("Tier (code)"),
    "invite_link": _("Invite link (code)"),
    "channel": _("Invite link channel"),
    "joined_days_ago": _("Joined, days ago"),
    "days_since_purchase": _("Days since last purchase"),
    "purchases": _("Purchases"),
    "spend": _("Spend"),
    "average_check": _("Average check"),
    "bought_sku": _("Bought SKU"),
    "bought_category": _("Bought in category"),
    "balance": _("Points balance"),
    "consent": _("Consent (email, sms, push)"),
}
OP_LABELS = {"eq": _("is"), "in": _("is one of"), "gte": _("at least"), "lte": _("at most"), "between": _("between")}
PATH_RE = re.compile(r"^rules\.(?:all|any)\[(\d+)\]\.(?:all|any)\[(\d+)\](?:\.(\w+))?")


@dataclass
class Row:
    field: str = "days_since_purchase"
    op: str = "gte"
    value: str = ""
    days: str = ""
    errors: list = dc_field(default_factory=list)
    rid: str = ""  # "<group>-<row>", set by builder_index for the template


@dataclass
class Group:
    mode: str = "all"
    rows: list[Row] = dc_field(default_factory=list)


@dataclass
class Builder:
    root: str = "all"
    groups: list[Group] = dc_field(default_factory=list)
    errors: list = dc_field(default_factory=list)  # not tied to a row
    summary: list = dc_field(default_factory=list)  # every error as (where, message), for the live preview
    nested: bool = False  # the stored rules nest deeper than the builder shows

    @property
    def fields(self):
        return [(name, FIELD_LABELS[name]) for name in FIELDS]

    @property
    def ops(self):
        return list(OP_LABELS.items())


def builder_index(builder: Builder) -> Builder:
    for i, group in enumerate(builder.groups):
        for j, row in enumerate(group.rows):
            row.rid = f"{i}-{j}"
    return builder


def _int(text: str, lo: int, hi: int, default: int) -> int:
    try:
        return max(lo, min(hi, int(text)))
    except (TypeError, ValueError):
        return default


def builder_from_post(post) -> Builder:
    builder = Builder(root="any" if post.get("root") == "any" else "all")
    for i in range(_int(post.get("groups"), 0, MAX_GROUPS, 0)):
        group = Group(mode="any" if post.get(f"g-{i}-mode") == "any" else "all")
        for j in range(_int(post.get(f"g-{i}-rows"), 0, MAX_ROWS, 0)):
            prefix = f"g-{i}-{j}-"
            if f"{prefix}field" not in post:
                continue
            group.rows.append(Row(field=post.get(f"{prefix}field", "")[:40], op=post.get(f"{prefix}op", "")[:10],
                                  value=post.get(f"{prefix}value", "")[:2000], days=post.get(f"{prefix}days", "")[:10]))
        builder.groups.append(group)
    return builder


def builder_apply(builder: Builder, action: str) -> None:
    """add-group, add-row-<i>, remove-<i>-<j>: change the rows shown (nothing is saved)."""
    if action == "add-group" and len(builder.groups) < MAX_GROUPS:
        builder.groups.append(Group(rows=[Row()]))
    elif action.startswith("add-row-"):
        index = _int(action.rsplit("-", 1)[1], -1, MAX_GROUPS, -1)
        if 0 <= index < len(builder.groups) and len(builder.groups[index].rows) < MAX_ROWS:
            builder.groups[index].rows.append(Row())
    elif action.startswith("remove-"):
        parts = action.split("-")
        if len(parts) == 3:
            i, j = _int(parts[1], -1, MAX_GROUPS, -1), _int(parts[2], -1, MAX_ROWS, -1)
            if 0 <= i < len(builder.groups) and 0 <= j < len(builder.groups[i].rows):
                del builder.groups[i].rows[j]
                if not builder.groups[i].rows:
                    del builder.groups[i]


def _typed(name: str, text: str):
    spec = FIELDS.get(name)
    text = text.strip()
    if spec is not None and spec.kind == "number" and re.fullmatch(r"-?\d{1,10}", text):
        return int(text)
    return text


def rules_from_builder(builder: Builder) -> dict:
    groups = []
    for group in builder.groups:
        conditions = []
        for row in group.rows:
            if row.op in ("in", "between"):
                value = [_typed(row.field, item) for item in row.value.split(",") if item.strip()]
            else:
                value = _typed(row.field, row.value)
            condition = {"field": row.field, "op": row.op, "value": value}
            if row.days.strip():
                condition["days"] = _typed("purchases", row.days)
            conditions.append(condition)
        groups.append({group.mode: conditions})
    return {builder.root: groups}


def builder_from_rules(rules: dict) -> Builder:
    """The stored rules as the builder shows them; a condition at the root becomes a group of one."""
    if not isinstance(rules, dict) or len(rules) != 1:
        return Builder(groups=[Group(rows=[Row()])])
    root = next(iter(rules))
    builder = Builder(root=root)
    for item in rules[root]:
        if "field" in item:
            items, mode = [item], "all"
        else:
            mode = next(iter(item))
            items = item[mode]
        group = Group(mode=mode)
        for condition in items:
            if "field" not in condition:
                builder.nested = True
                continue
            value = condition.get("value")
            text = ", ".join(str(part) for part in value) if isinstance(value, list) else str(value)
            group.rows.append(Row(field=condition["field"], op=condition["op"], value=text,
                                  days=str(condition["days"]) if condition.get("days") else ""))
        builder.groups.append(group)
    return builder


def builder_errors(builder: Builder, errors: dict) -> None:
    """Put rule errors (keyed by path) on their rows; the rest on the builder."""
    for path, messages in errors.items():
        match = PATH_RE.match(path)
        if match:
            i, j = int(match.group(1)), int(match.group(2))
            if i < len(builder.groups) and j < len(builder.groups[i].rows):
                builder.groups[i].rows[j].errors.extend(messages)
                builder.summary.extend((f"{i + 1}.{j + 1}", message) for message in messages)
                continue
        builder.errors.extend(messages)
        builder.summary.extend(("", message) for message in messages)
