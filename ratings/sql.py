"""Plain SQL for the rater's hot path: the queries every rating makes.

Building a query with the ORM costs about a millisecond of Python each on a small server
(compiling the query, not running it); the same statement through the cursor costs a
tenth of that. A rating makes about ten queries, so the rating page writes them out here.
Rows come back as tuples, or as model instances with only the fields asked for (the rest
load on access, as with `.only()`), converted exactly as the ORM converts them.

The statements run on PostgreSQL and SQLite alike; where the two differ (row locks, the
seeded hash) the caller says what to use for `connection.vendor`.
"""

from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model


@contextmanager
def _cursor():
    """On PostgreSQL, a cursor of the connection's own psycopg connection, whose statements
    are prepared on the server (planned once per connection, not on every request: the
    plan of the assignment's claim costs more than running it); elsewhere Django's."""
    db = connections[DEFAULT_DB_ALIAS]  # one lookup of the thread's connection, not one per use
    if db.vendor == "postgresql":
        db.ensure_connection()
        # Django's own cursors bind parameters on the client, which cannot prepare.
        with db.wrap_database_errors, psycopg.Cursor(db.connection) as cursor:
            yield cursor, {"prepare": True}
    else:
        with db.cursor() as cursor:
            yield cursor, {}


def rows(sql: str, params: Sequence | Mapping = ()) -> list[tuple]:
    """The rows of a SELECT (or of an INSERT/UPDATE ... RETURNING)."""
    with _cursor() as (cursor, options):
        cursor.execute(sql, params, **options)
        return cursor.fetchall()


def first(sql: str, params: Sequence | Mapping = ()) -> tuple | None:
    with _cursor() as (cursor, options):
        cursor.execute(sql, params, **options)
        return cursor.fetchone()


def write(sql: str, params: Sequence = ()) -> int:
    """Run an INSERT, UPDATE or DELETE; the number of rows it touched."""
    with _cursor() as (cursor, options):
        cursor.execute(sql, params, **options)
        return cursor.rowcount


def when(value: datetime) -> datetime | str:
    """A timestamp as a query parameter (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def as_datetime(value) -> datetime | None:
    """A timestamp from a row, aware: PostgreSQL's are, SQLite's are naive UTC."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@cache
def _loader(model: type[Model], names: tuple[str, ...], vendor: str):
    wanted = {model._meta.get_field(name) for name in names}
    # `Model.from_db` takes the values in the order of the model's fields.
    fields = [field for field in model._meta.concrete_fields if field in wanted]
    attnames = [field.attname for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    return attnames, columns, converters


def load(model: type[Model], names: Sequence[str], where: str, params: Sequence = ()) -> list:
    """Instances of `model` with the fields `names` (the primary key among them), from
    `SELECT <names> FROM <table> WHERE <where>`."""
    attnames, columns, converters = _loader(model, tuple(names), connection.vendor)
    table = connection.ops.quote_name(model._meta.db_table)
    found = []
    for values in rows(f"SELECT {columns} FROM {table} WHERE {where}", params):
        if converters:
            values = list(values)
            for index, functions, column in converters:
                for function in functions:
                    values[index] = function(values[index], column, connection)
        found.append(model.from_db(connection.alias, attnames, values))
    return found


def load_one(model: type[Model], names: Sequence[str], where: str, params: Sequence = ()):
    found = load(model, names, where, params)
    return found[0] if found else None


def instance(model: type[Model], **values) -> Model:
    """A model instance as if loaded from the database with just these attributes."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])
