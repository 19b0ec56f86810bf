"""Writing many new rows at once: COPY on PostgreSQL, bulk_create elsewhere.

For set-based writers (the customer import) whose rows are plain values: no model instance per row
on PostgreSQL, the fastest way in. Columns left out get the field's default.
"""
from __future__ import annotations

from django.db import connection, models


def _fields(model) -> list:
    return [field for field in model._meta.concrete_fields if not isinstance(field, models.AutoField)]


def rows_insert(model, rows: list[dict], *, batch_size: int = 2000) -> int:
    """INSERT `rows` (dicts keyed by field attname) into `model`'s table; returns how many."""
    if not rows:
        return 0
    fields = _fields(model)
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        return len(rows)
    defaults = {field.attname: field.get_default() for field in fields}
    names = [field.attname for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] if name in row else defaults[name] for name in names])
    return len(rows)
