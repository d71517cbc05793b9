"""ORM queries built and compiled once per process, then run with new values.

Why: building a queryset with subqueries and annotations and compiling it to SQL costs a few
milliseconds of Python, several times what PostgreSQL needs to run it. For the hottest read
(the shift and everything a claim checks, see ``shifts.services``) the ORM builds it once,
with placeholder values, and later calls only substitute the real values into the compiled
SQL's parameters. The query is still written once, in the ORM, with the same expressions the
rest of the code uses; rows come back as model instances through the ORM's own converters,
exactly as ``QuerySet.first()`` would return them.

Placeholders are values that cannot occur in real data (negative ids, a date in 1901, a
string with a NUL in it); the compiled parameters are matched against them, in the form the
database adapter gets them. A placeholder that does not show up exactly where expected is an
error at build time.

:meth:`CompiledQuery.first` runs the query for its first row; :meth:`CompiledQuery.page` for
a page of rows, with the page's size and offset as parameters too (the ORM would write them
into the SQL as literals), so one compiled statement serves every page. :meth:`CompiledQuery.rows`
runs a ``values_list()`` query and returns its rows as tuples, converted as the ORM converts
them.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)


class Placeholder:
    """Marks a parameter of a compiled query; ``value`` stands in for it while building."""

    def __init__(self, name: str, value: int | str | dt.datetime) -> None:
        self.name = name
        self.value = value


class CompiledQuery(Generic[M]):
    """``build(**placeholder_values)`` returns the queryset; :meth:`first` runs it with real
    values and returns its first row as a model instance (or None)."""

    def __init__(self, build: Callable[..., QuerySet[M]], *placeholders: Placeholder) -> None:
        self.build = build
        self.placeholders = placeholders
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def first(self, using: str = "default", **values: Any) -> M | None:
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql + " LIMIT 1", compiled.parameters(connection, values))
            row = cursor.fetchone()
        if row is None:
            return None
        return compiled.instance(row)  # type: ignore[return-value]

    def page(
        self, *, limit: int, offset: int = 0, using: str = "default", **values: Any
    ) -> list[M]:
        """Up to ``limit`` rows after the first ``offset``, in the query's order."""
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        params = [*compiled.parameters(connection, values), limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql + " LIMIT %s OFFSET %s", params)
            rows = cursor.fetchall()
        return [compiled.instance(row) for row in rows]  # type: ignore[misc]

    def rows(self, using: str = "default", **values: Any) -> list[tuple[Any, ...]]:
        """Every row of a ``values_list()`` query, as tuples in its fields' order."""
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, compiled.parameters(connection, values))
            found = cursor.fetchall()
        if compiled.converters:
            converted = compiled.compiler.apply_converters(found, compiled.converters)
            found = [tuple(row) for row in converted]
        return found

    def prepare(self, using: str = "default") -> None:
        """Build and compile now (no database connection needed), not on the first call."""
        self._compiled.get(using) or self._compile(using)

    def _compile(self, using: str) -> _Compiled:
        with self._lock:
            if using not in self._compiled:
                queryset = self.build(**{p.name: p.value for p in self.placeholders}).using(using)
                self._compiled[using] = _Compiled(queryset, self.placeholders)
            return self._compiled[using]


Slot = Callable[[Any, Any], Any]


class _Compiled:
    def __init__(self, queryset: QuerySet[Any], placeholders: tuple[Placeholder, ...]) -> None:
        db = queryset.db
        connection = connections[db]
        if queryset.query.is_sliced:
            raise ValueError("a compiled query is built unsliced; first() and page() slice it")
        compiler = queryset.query.get_compiler(using=db)
        self.sql, raw_params = compiler.as_sql()
        ops = connection.ops

        def as_is(_connection: Any, value: Any) -> Any:
            return value

        def adapted_datetime(connection: Any, value: Any) -> Any:
            return connection.ops.adapt_datetimefield_value(value)

        # The forms a placeholder's value may take among the compiled parameters.
        forms: list[tuple[Any, str, Slot]] = []
        for placeholder in placeholders:
            forms.append((placeholder.value, placeholder.name, as_is))
            if isinstance(placeholder.value, dt.datetime):
                adapted = ops.adapt_datetimefield_value(placeholder.value)
                if adapted != placeholder.value:
                    forms.append((adapted, placeholder.name, adapted_datetime))
        self.params: list[tuple[str, Slot | None, Any]] = []
        found: set[str] = set()
        for value in raw_params:
            match = next((f for f in forms if type(f[0]) is type(value) and f[0] == value), None)
            if match is None:
                self.params.append(("", None, value))
            else:
                self.params.append((match[1], match[2], None))
                found.add(match[1])
        missing = {p.name for p in placeholders} - found
        if missing:
            raise ValueError(f"placeholders not found in the compiled query: {sorted(missing)}")
        for placeholder in placeholders:
            if str(placeholder.value) in self.sql:
                raise ValueError(f"placeholder {placeholder.name} was inlined into the SQL")

        # What ModelIterable does with a row: converters, the model, select_related, annotations.
        self.db = db
        select = compiler.select
        self.converters = compiler.get_converters([col for col, _, _ in select])
        self.compiler = compiler
        klass_info = compiler.klass_info
        if klass_info is None:
            # A values_list() query: rows() returns its rows as they are, converted.
            fields_in_order = list(queryset._fields or ())  # type: ignore[attr-defined]
            names = [
                *queryset.query.extra_select,
                *queryset.query.values_select,
                *queryset.query.annotation_select,
            ]
            if fields_in_order and fields_in_order != names:
                raise ValueError("a compiled values_list() must name its fields in select order")
            self.is_values = True
            return
        self.is_values = False
        self.model: type[Model] = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        # django-stubs describe a later Django (a fetch_mode argument); 5.2 takes three.
        self.related_populators = get_related_populators(klass_info, select, db)  # type: ignore[call-arg]
        self.annotations = dict(compiler.annotation_col_map or {})

    def parameters(self, connection: Any, values: dict[str, Any]) -> list[Any]:
        return [
            value if slot is None else slot(connection, values[name])
            for name, slot, value in self.params
        ]

    def instance(self, row: tuple[Any, ...]) -> Model:
        if self.is_values:
            raise TypeError("a compiled values_list() query is run with rows()")
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        obj = self.model.from_db(self.db, self.init_list, row[self.start : self.end])
        for populator in self.related_populators:
            populator.populate(row, obj)
        for name, position in self.annotations.items():
            setattr(obj, name, row[position])
        return obj
