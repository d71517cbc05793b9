"""SQL the ORM cannot write: an ``INSERT ... SELECT`` of one model row over a CTE's output.

The claim path writes its seat, its claim and its notification in one statement on
PostgreSQL (``backend/shifts/services/seats.py``). The columns and values come from a model
instance, exactly as ``Model.save()`` would send them (``pre_save`` for ``auto_now`` fields,
``get_db_prep_save`` for the adapter), so a new field on the model needs no change here; only
the columns named in ``expressions`` are SQL over the CTE (for example the new claim's id).
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model


def insert_select(
    obj: Model,
    *,
    source: str,
    expressions: dict[str, str | tuple[str, list[Any]]],
    connection: BaseDatabaseWrapper,
    returning: str = "",
    on_conflict_do_nothing: bool = False,
) -> tuple[str, list[Any]]:
    """``INSERT INTO <obj's table> (<every column>) SELECT <values> FROM <source>``.

    Values are ``obj``'s field values as parameters, each cast to its column's type (a
    ``SELECT`` list does not take the target's types), except the attnames in ``expressions``,
    which are SQL over ``source`` (or ``(sql, params)``). The auto primary key is left to the
    database unless named. The statement's text is built once per shape (it is on the claim
    path); only the parameters are computed each time.
    """
    # The wrapper itself, not django.db.connection's proxy: each field's preparation asks it
    # for ops and features, and through the proxy every such lookup reads a context-local
    # (a tenth of a claim's instructions, bench/claim_instructions.py).
    connection = connections[connection.alias]
    shape = (
        type(obj),
        connection.alias,
        source,
        tuple((name, e if isinstance(e, str) else e[0]) for name, e in expressions.items()),
        returning,
        on_conflict_do_nothing,
    )
    if (template := _templates.get(shape)) is None:
        template = _templates[shape] = _template(obj, connection, shape)
    sql, fields = template
    params: list[Any] = []
    for field in fields:
        if isinstance(field, str):
            expression = expressions[field]
            if not isinstance(expression, str):
                params.extend(expression[1])
            continue
        params.append(field.get_db_prep_save(field.pre_save(obj, add=True), connection))
    return sql, params


_Shape = tuple[type[Model], str, str, tuple[tuple[str, str], ...], str, bool]
# Per shape: the SQL text, and per value either the field (a parameter) or the attname of an
# expression (whose parameters, if any, go in its place).
_templates: dict[_Shape, tuple[str, list[Field[Any, Any] | str]]] = {}


def _template(
    obj: Model, connection: BaseDatabaseWrapper, shape: _Shape
) -> tuple[str, list[Field[Any, Any] | str]]:
    _, _, source, expressions, returning, on_conflict_do_nothing = shape
    texts = dict(expressions)
    meta = obj._meta
    quote = connection.ops.quote_name
    columns: list[str] = []
    values: list[str] = []
    fields: list[Field[Any, Any] | str] = []
    for field in meta.concrete_fields:
        assert field.column is not None  # concrete fields have one
        if field.attname in texts:
            columns.append(quote(field.column))
            values.append(texts[field.attname])
            fields.append(field.attname)
        elif not field.primary_key:
            columns.append(quote(field.column))
            values.append(f"CAST(%s AS {field.cast_db_type(connection)})")
            fields.append(field)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {source}"
    )
    if on_conflict_do_nothing:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += f" RETURNING {returning}"
    return sql, fields
