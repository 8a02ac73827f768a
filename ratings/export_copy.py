"""The COPY path of `ratings.export.ratings_csv_chunks`, on PostgreSQL: the database
joins the rows and writes the CSV, Python passes the bytes on. It writes exactly the bytes
of `ratings.export.ratings_csv_lines` (see that module's docstring for when it is taken,
and the tests in tests/ratings/test_export.py, which compare the two byte for byte).
"""

import re
import selectors
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import Case, F, Q, QuerySet, TextField, Value, When
from django.db.models.functions import NullIf

from ratings import export
from ratings.models import Rating
from studies.models import Study

# The COPY path (see the module's docstring). The text of every field but created_at is
# plain: `[-0-9A-Za-z_]+`, which PostgreSQL's CSV and `_csv_field` both write as it is, or
# a number, or nothing; created_at is PostgreSQL's text, "2026-11-28 10:00:00.123456+00".
# So " " and "+" are only ever in created_at, once each, and `_iso_text` is two replaces
# over a whole chunk.
_PLAIN = re.compile(r"[-0-9A-Za-z_]+")
# PostgreSQL writes a float8 as the shortest text that reads back exactly, as Python's
# repr does, with the same digits and, up to here, the same notation (`21.834`, `7`,
# `1e-05`); from 1e15 PostgreSQL writes `1e+15` where `_number` writes
# `1000000000000000`, or `1000000000000000.5` where it is not integral.
_FLOAT_TEXT_LIMIT = 1e15
# What a rating whose fields could come out differently has as its criterion: no plain
# text, number or timestamp holds this byte.
_MARKER = b"\x01"


def _plain(text) -> bool:
    return isinstance(text, str) and _PLAIN.fullmatch(text) is not None


def _short_number(value) -> bool:
    return value == "" or abs(value) < _FLOAT_TEXT_LIMIT  # "": not an attention check


def copy_writes_alike(study: Study, *, using: str) -> bool:
    """Whether COPY writes the study-wide values as `ratings_csv_lines` does: the session
    writes timestamps in ISO style in UTC and floats in full, and the slug and every
    pseudonym, token and key are plain (or a missing brief), the expected ranges short."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('TimeZone'), current_setting('DateStyle'),"
            " current_setting('extra_float_digits')::int"
        )
        zone, style, float_digits = cursor.fetchone()
    if zone != "UTC" or not style.startswith("ISO,") or float_digits < 1:
        return False
    known = export._Lookups(study)
    return (
        _plain(known.slug)
        and all(_plain(pseudonym) for pseudonym in known.pseudonyms.values())
        and all(
            _plain(token)
            and (brief == "" or _plain(brief))
            and _plain(group)
            and _short_number(low)
            and _short_number(high)
            for token, brief, group, low, high in known.samples.values()
        )
    )


def _float(name: str):
    # -0.0 + 0.0 is 0.0: `_number` writes both zeros as "0", PostgreSQL one as "-0".
    return F(name) + Value(0.0)


def _copy_statement(
    *, study: Study, ratings: QuerySet[Rating], include_attention_checks: bool
) -> tuple[str, tuple]:
    """COPY of `ratings` with the columns of the CSV; raises EmptyResultSet when the query
    cannot match anything. A rating whose criterion or guess is not one of the study's
    plain keys, whose numbers are not short or whose timestamp is outside years 1-9999
    has `_MARKER` as its criterion."""
    criteria = [item.get("key") for item in study.criteria or [] if isinstance(item, dict)]
    guesses = [key for key in study.guess_labels or {} if _plain(key)]
    plain_row = (
        Q(criterion__in=[key for key in criteria if _plain(key)])
        & (Q(guess="") | Q(guess__in=guesses))
        & Q(score__gt=-_FLOAT_TEXT_LIMIT, score__lt=_FLOAT_TEXT_LIMIT)
        & Q(seconds__gt=-_FLOAT_TEXT_LIMIT, seconds__lt=_FLOAT_TEXT_LIMIT)
        & Q(created_at__range=(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)))
    )
    columns = [
        "id",
        Value(study.slug, output_field=TextField()),
        "assignment__participant__pseudonym",
        "assignment__sample__token",
        NullIf("assignment__sample__brief__key", Value("")),  # NULL: written as nothing
        "assignment__sample__group__key",
        Case(When(plain_row, then="criterion"), default=Value(_MARKER.decode())),
        _float("score"),
        NullIf("guess", Value("")),
        _float("seconds"),
        "created_at",
    ]
    if include_attention_checks:
        check = Q(assignment__sample__is_attention_check=True)
        columns += [
            Case(When(check, then=_float("assignment__sample__expected_min"))),
            Case(When(check, then=_float("assignment__sample__expected_max"))),
        ]
    query = ratings.values_list(*columns).query
    sql, params = query.get_compiler(using=ratings.db).as_sql()
    return f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params


class _NotPlain(Exception):
    def __init__(self, rating: int) -> None:
        self.rating = rating


def copied(
    *, study: Study, ratings: QuerySet[Rating], include_attention_checks: bool, size: int
) -> Iterator[bytes]:
    header = export.HEADER + export.ATTENTION_HEADER if include_attention_checks else export.HEADER
    first = (",".join(header) + "\n").encode()
    try:
        statement, params = _copy_statement(
            study=study, ratings=ratings, include_attention_checks=include_attention_checks
        )
    except EmptyResultSet:
        yield first
        return
    try:
        # In a savepoint: leaving a COPY early cancels it, which fails what it ran in.
        with (
            transaction.atomic(using=ratings.db),
            connections[ratings.db].cursor() as cursor,
            # psycopg binds the parameters in the client: COPY takes none.
            cursor.cursor.copy(statement, params) as copy,
        ):
            for chunk in _copy_chunks(copy, first, size):
                at = chunk.find(_MARKER)
                if at >= 0:
                    start = chunk.rfind(b"\n", 0, at) + 1
                    if start:
                        yield _iso_times(chunk[:start])
                    raise _NotPlain(int(chunk[start : chunk.index(b",", start)]))
                yield _iso_times(chunk)
    except _NotPlain as stop:
        lines = export.ratings_csv_lines(
            study=study,
            ratings=ratings.filter(pk__gte=stop.rating),
            include_attention_checks=include_attention_checks,
        )
        next(lines)  # the header, sent already
        yield from export.joined(lines, size)


def _iso_times(chunk: bytes) -> bytes:
    """`_iso_text` on every created_at of COPY lines (see `_PLAIN`): " " becomes "T", and
    "+", always the start of "+00", becomes "+00:" (a one-byte pattern is found eight times
    faster than "+00")."""
    return chunk.replace(b" ", b"T").replace(b"+", b"+00:")


def _copy_chunks(copy: psycopg.Copy, first: bytes, size: int) -> Iterator[bytes]:
    """`first`, then the rows of a COPY TO, in chunks of about `size` bytes; PostgreSQL
    sends a row a message, so each chunk ends at the end of a line.

    Rows are taken from libpq directly while it holds some (`get_copy_data(1)` does not
    wait), and through `Copy.read` only to wait for more: `Copy.read` goes through
    psycopg's generators in Python for every row, which cost about as much again as the
    rest of what the web worker does."""
    pgconn = copy.connection.pgconn
    parts = [first]
    length = len(first)
    while True:
        nbytes, data = pgconn.get_copy_data(1)
        if nbytes == 0:  # none buffered: wait for the socket
            data = copy.read()
            nbytes = len(data)
            if not nbytes:  # the end, and psycopg read the COPY's result
                break
        elif nbytes < 0:  # the end: read the result as `Copy.read` would have
            _copy_result(copy.connection)
            break
        parts.append(data)
        length += nbytes
        if length >= size:
            yield b"".join(parts)
            parts, length = [], 0
    if parts:
        yield b"".join(parts)


def _copy_result(connection: psycopg.Connection) -> None:
    """Read the results that follow the end of a COPY TO, raising its error if it failed."""
    pgconn = connection.pgconn
    if pgconn.is_busy():
        with selectors.DefaultSelector() as selector:
            selector.register(pgconn.socket, selectors.EVENT_READ)
            while pgconn.is_busy():
                selector.select()
                pgconn.consume_input()
    error = None
    while (result := pgconn.get_result()) is not None:
        if result.status != psycopg.pq.ExecStatus.COMMAND_OK:
            error = psycopg.errors.error_from_result(result, encoding=connection.info.encoding)
    if error is not None:
        raise error
