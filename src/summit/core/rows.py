"""Model instances from one hand-written query, for the few hot paths where building the ORM query costs
more than running it (an API request's token, its participant, the session of a booking).

``fetch(sql, params, Model, "alias", OtherModel, "alias2", ...)`` runs ``sql``, in which ``{columns}``
stands for every concrete column of each model under its alias, and returns one tuple of instances per row,
converted exactly as the ORM converts them (the backend's and the fields' converters). Columns named after
``{columns}`` in the query come back as extra trailing values of each tuple. The column list and the
converters are worked out once per set of models and database. ``insert(Model, {...})`` stores one row and
returns its primary key, with each value prepared by its field.

On PostgreSQL both run as prepared statements (:func:`cursor`): these queries join several tables and the
server spends longer planning them than running them, so each connection plans each of them once. Set
``SUMMIT_DB_PREPARED=0`` behind a pooler that cannot keep prepared statements (PgBouncer in transaction
mode before 1.21).

Everything else uses the ORM; keep this for paths measured by ``benchmarks/``.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.db import connections
from django.db.models import Model

_plans: dict[tuple, tuple[str, list]] = {}
_prepared_classes: tuple | None = None


def _prepared_classes_once() -> tuple:
    """(the psycopg cursor that prepares every statement, the debug wrapper that logs its SQL)."""
    global _prepared_classes
    if _prepared_classes is None:
        from django.db.backends.postgresql.base import ServerBindingCursor
        from django.db.backends.utils import CursorDebugWrapper

        class PreparedCursor(ServerBindingCursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

        class PreparedDebugWrapper(CursorDebugWrapper):
            # A prepared execution keeps no query text for Django to log: log the statement with its values.
            def execute(self, sql, params=None):
                with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
                    return super(CursorDebugWrapper, self).execute(sql, params)

        _prepared_classes = (PreparedCursor, PreparedDebugWrapper)
    return _prepared_classes


@contextmanager
def cursor(using: str = "default"):
    """A cursor for one of these hot statements: prepared on PostgreSQL (unless ``DB_PREPARED`` is off),
    Django's own elsewhere. Queries are logged, and errors wrapped, as through any Django cursor."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not settings.DB_PREPARED:
        with connection.cursor() as plain:
            yield plain
        return
    prepared, debug = _prepared_classes_once()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    if raw.prepare_threshold is None:  # Django turns automatic preparing off; explicit preparing needs it on
        raw.prepare_threshold = 2**31 - 1  # never automatic: only what is prepared here
    with connection.wrap_database_errors:
        made = prepared(raw)
    wrapped = debug(made, connection) if connection.queries_logged else connection.make_cursor(made)
    with wrapped:
        yield wrapped


def _plan(specs: tuple, connection) -> tuple[str, list]:
    key = (specs, connection.alias, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        quote = connection.ops.quote_name
        columns, models = [], []
        for model, alias in zip(specs[::2], specs[1::2], strict=True):
            fields = model._meta.concrete_fields
            converters = []
            for index, field in enumerate(fields):
                column = field.get_col(alias)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if found:
                    converters.append((index, column, found))
            columns += [f"{alias}.{quote(field.column)}" for field in fields]
            models.append((model, [field.attname for field in fields], converters))
        plan = (", ".join(columns), models)
        _plans[key] = plan
    return plan


def fetch(sql: str, params, *specs: type[Model] | str, using: str = "default") -> list[tuple]:
    """Rows of ``sql`` as tuples of model instances (then any extra columns); see the module docstring."""
    connection = connections[using]
    columns, models = _plan(tuple(specs), connection)
    with cursor(using) as hot:
        hot.execute(sql.replace("{columns}", columns), params)
        rows = hot.fetchall()
    result = []
    for row in rows:
        start, items = 0, []
        for model, names, converters in models:
            values = list(row[start : start + len(names)])
            for index, column, found in converters:
                for convert in found:
                    values[index] = convert(values[index], column, connection)
            items.append(model.from_db(using, names, values))
            start += len(names)
        result.append((*items, *row[start:]))
    return result


_inserts: dict[tuple, tuple[str, list]] = {}


def insert(model: type[Model], values: dict, *, using: str = "default"):
    """Insert one row of ``model`` with ``values`` (attribute names → Python values, prepared by each
    field as the ORM prepares them) and return its primary key. No signals, no ``save()``."""
    connection = connections[using]
    key = (model, tuple(values), connection.alias, connection.vendor)
    plan = _inserts.get(key)
    if plan is None:
        quote = connection.ops.quote_name
        fields = [model._meta.get_field(name) for name in values]
        pk = model._meta.pk.column
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
            f" VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(pk)}"
        )
        plan = (sql, fields)
        _inserts[key] = plan
    sql, fields = plan
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    with cursor(using) as hot:
        hot.execute(sql, params)
        return hot.fetchone()[0]
