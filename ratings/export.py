"""The ratings export of DESIGN §5: one row per rating, as CSV lines or JSON rows.

Columns, in this order (the contract outside tools read):
`rating,study,participant,sample,brief,group,criterion,score,guess,seconds,created_at`

- `rating`: the rating's id; `study`: the study's slug.
- `participant`: the participant's pseudonym, never an external id (Prolific PID, study
  or session id): those stay in the database.
- `sample`: the sample's opaque token. Not the researcher's own id: that one is optional
  (so it could be empty) and may say where a sample came from ("gpt4-story-3"), while the
  token is always there, unique, and safe to publish with the data. The admin's sample
  list shows both and searches by token.
- `brief`: the brief's key, or empty; `group`, `criterion`: keys; `guess`: the rater's
  source guess, or empty.
- `score`, `seconds`: numbers as they are stored (`7`, `7.5`, `21.834`).
- `created_at`: ISO 8601 in UTC.

Attention checks are not group data, so they are left out by default. With
`include_attention_checks`, their ratings are exported too and two columns are added at
the end, `attention_expected_min,attention_expected_max`: the expected range on
attention-check rows, empty on the others. `analyze_csv` reads those columns and uses such
rows for rater quality only, as the analysis in the database does.

One writer, in Python, on every database (`ratings_csv_lines`; `ratings_csv_chunks` is
its bytes in chunks, what the API streams and `export_ratings` writes). Rows come in the
order of rating ids from a server-side cursor over `values_list` with one join (rating ->
assignment), a chunk of tuples at a time, with no model instance and no per-row
conversion by Django; pseudonyms, tokens, briefs and groups come from one query each and a
dict. Memory stays flat however many ratings there are, and bench/export.py measures the
rate (1M ratings through the API).

PostgreSQL could write the CSV itself (`COPY ... TO STDOUT`), but its CSV is not
this one's (it quotes an empty string, writes floats from 1e15 as `1e+15` and
timestamps in its own style), so a second writer would have to be proven byte-identical
to this one on every value, for a rate this one already meets.
"""

from collections.abc import Iterable, Iterator
from contextlib import closing

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast

from ratings.models import Participant, Rating
from studies.models import Sample, Study

HEADER = (
    "rating",
    "study",
    "participant",
    "sample",
    "brief",
    "group",
    "criterion",
    "score",
    "guess",
    "seconds",
    "created_at",
)
ATTENTION_HEADER = ("attention_expected_min", "attention_expected_max")
CHUNK_SIZE = 5000
STREAM_CHUNK_BYTES = 256 * 1024


def ratings_export_queryset(
    *,
    study: Study,
    criterion: str | None = None,
    groups: list[str] | None = None,
    include_attention_checks: bool = False,
) -> QuerySet[Rating]:
    """The study's stored ratings, optionally of one criterion and some groups, by id."""
    ratings = Rating.objects.filter(
        assignment__participant__study=study, assignment__submitted_at__isnull=False
    )
    if criterion:
        ratings = ratings.filter(criterion=criterion)
    if groups:
        ratings = ratings.filter(assignment__sample__group__key__in=groups)
    if not include_attention_checks:
        ratings = ratings.filter(assignment__sample__is_attention_check=False)
    return ratings.order_by("id")


def fetch_chunks(queryset: QuerySet, chunk_size: int = CHUNK_SIZE) -> Iterator[list[tuple]]:
    """The raw rows of a `values_list` queryset, a chunk at a time, from a server-side
    cursor where the database has one (PostgreSQL), as `.iterator()` would fetch them but
    without Django's per-row conversion, which costs more than writing the row."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # `.none()`, `__in=[]`: nothing to ask the database
        return
    connection = connections[queryset.db]
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            yield rows


def export_number(value: float | None):
    if value is None:
        return ""
    value = float(value)
    return int(value) if value.is_integer() else value


def csv_field(value) -> str:
    """One CSV field, quoted only when it must be: as `csv.writer`'s default dialect
    quotes (a comma, a quote, a line break), and also when spaces surround it, so a reader
    that strips unquoted fields still reads them."""
    text = str(value)
    if any(char in text for char in ',"\r\n') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


class _Lookups:
    """Per study: pseudonym by participant id; token, brief, group and expected range by
    sample id. One query each, whatever the number of ratings."""

    def __init__(self, study: Study) -> None:
        self.slug = study.slug
        self.pseudonyms = dict(
            Participant.objects.filter(study=study).values_list("id", "pseudonym")
        )
        self.samples = {
            pk: (
                token,
                brief or "",
                group,
                export_number(low) if check else "",
                export_number(high) if check else "",
            )
            for pk, token, brief, group, check, low, high in Sample.objects.filter(
                study=study
            ).values_list(
                "id",
                "token",
                "brief__key",
                "group__key",
                "is_attention_check",
                "expected_min",
                "expected_max",
            )
        }


def _raw_chunks(ratings: QuerySet[Rating]) -> Iterator[list[tuple]]:
    # created_at as the database's own text: parsing a datetime per row and formatting it
    # again would cost more than the rest of the row (see `iso_text`).
    return fetch_chunks(
        ratings.annotate(created_text=Cast("created_at", CharField())).values_list(
            "id",
            "assignment__participant_id",
            "assignment__sample_id",
            "criterion",
            "score",
            "guess",
            "seconds",
            "created_text",
        ),
        chunk_size=CHUNK_SIZE,  # read here, not when `fetch_chunks` was defined
    )


def iso_text(text: str) -> str:
    """ISO 8601 from a UTC timestamp cast to text: SQLite's "2026-11-28 10:00:00.123456"
    (naive, UTC), PostgreSQL's "2026-11-28 10:00:00.123456+00" (the connection is in UTC)."""
    text = text.replace(" ", "T", 1)
    if text.endswith("+00"):
        return text + ":00"
    if text.endswith(("Z", "+00:00")):
        return text.removesuffix("Z") + ("+00:00" if text.endswith("Z") else "")
    return text + "+00:00"


def ratings_export_rows(
    *, study: Study, ratings: QuerySet[Rating] | None = None, include_attention_checks: bool = False
) -> Iterator[tuple]:
    """Tuples in the order of `HEADER` (plus `ATTENTION_HEADER` when attention checks are
    included); numbers as int or float, missing text as ""."""
    if ratings is None:
        ratings = ratings_export_queryset(
            study=study, include_attention_checks=include_attention_checks
        )
    known = _Lookups(study)
    pseudonyms, samples, slug = known.pseudonyms, known.samples, known.slug
    for chunk in _raw_chunks(ratings):
        for rating, participant, sample, criterion, score, guess, seconds, created in chunk:
            token, brief, group, low, high = samples[sample]
            row = (
                rating,
                slug,
                pseudonyms[participant],
                token,
                brief,
                group,
                criterion,
                export_number(score),
                guess,
                export_number(seconds),
                iso_text(created),
            )
            yield (*row, low, high) if include_attention_checks else row


def ratings_csv_lines(
    *, study: Study, ratings: QuerySet[Rating] | None = None, include_attention_checks: bool = False
) -> Iterator[str]:
    """The header, then one CSV line per rating (each ends with "\\n"), as a generator: stream
    it (`StreamingHttpResponse`) or write it out line by line.

    The same rows as `ratings_export_rows`, written without a tuple per row: the text of
    every participant, sample (token, brief, group, and range) and key is quoted once
    (`csv_field`) and reused over the millions of rows that repeat it."""
    if ratings is None:
        ratings = ratings_export_queryset(
            study=study, include_attention_checks=include_attention_checks
        )
    header = HEADER + ATTENTION_HEADER if include_attention_checks else HEADER
    yield ",".join(header) + "\n"
    known = _Lookups(study)
    slug = csv_field(known.slug)
    pseudonyms = {pk: csv_field(name) for pk, name in known.pseudonyms.items()}
    samples = {
        pk: (
            f"{csv_field(token)},{csv_field(brief)},{csv_field(group)}",
            f",{low},{high}" if include_attention_checks else "",
        )
        for pk, (token, brief, group, low, high) in known.samples.items()
    }
    keys: dict[str, str] = {}
    scores: dict[float, str] = {}
    for chunk in _raw_chunks(ratings):
        for rating, participant, sample, criterion, score, guess, seconds, created in chunk:
            sample_text, check_text = samples[sample]
            criterion_text = keys.get(criterion) or keys.setdefault(criterion, csv_field(criterion))
            guess_text = keys.get(guess) if guess else ""
            if guess_text is None:
                guess_text = keys.setdefault(guess, csv_field(guess))
            score_text = scores.get(score)
            if score_text is None:
                score_text = scores.setdefault(score, str(export_number(score)))
            seconds_text = int(seconds) if seconds.is_integer() else seconds
            created_text = iso_text(created)
            yield (
                f"{rating},{slug},{pseudonyms[participant]},{sample_text},{criterion_text},"
                f"{score_text},{guess_text},{seconds_text},{created_text}{check_text}\n"
            )


def ratings_json_rows(
    *, study: Study, ratings: QuerySet[Rating] | None = None, include_attention_checks: bool = False
) -> Iterator[dict]:
    """The same rows as dicts keyed by the CSV's columns; an empty brief or guess (or
    expected bound) is None, numbers are numbers."""
    header = HEADER + ATTENTION_HEADER if include_attention_checks else HEADER
    for row in ratings_export_rows(
        study=study, ratings=ratings, include_attention_checks=include_attention_checks
    ):
        item = dict(zip(header, row, strict=True))
        for key in ("brief", "guess", *ATTENTION_HEADER):
            if item.get(key) == "":
                item[key] = None
        yield item


def ratings_csv_chunks(
    *,
    study: Study,
    ratings: QuerySet[Rating] | None = None,
    include_attention_checks: bool = False,
    size: int = STREAM_CHUNK_BYTES,
) -> Iterator[bytes]:
    """The bytes of `ratings_csv_lines` (UTF-8) in chunks of about `size` bytes, each
    ending at the end of a line: one write to a socket or file per chunk, memory bounded
    by the chunk.

    In a transaction: PostgreSQL's server-side cursor is then declared without HOLD and
    streams its rows as the plan yields them (outside one it would compute and store the
    whole result before the first row leaves), and a stream left early (the client went
    away and the generator was closed) closes its cursor, leaving the connection usable."""
    if ratings is None:
        ratings = ratings_export_queryset(
            study=study, include_attention_checks=include_attention_checks
        )
    lines = ratings_csv_lines(
        study=study, ratings=ratings, include_attention_checks=include_attention_checks
    )
    yield from csv_stream(lines, using=ratings.db, size=size)


def csv_stream(lines: Iterator[str], *, using: str, size: int = STREAM_CHUNK_BYTES):
    """CSV lines read from a server-side cursor (`fetch_chunks`) as chunks of bytes, in a
    transaction: see `ratings_csv_chunks`, and the comparisons export, which streams the
    same way."""
    # `closing`: a stream left early closes its cursor before the transaction ends.
    with transaction.atomic(using=using), closing(lines):
        connection = connections[using]
        if connection.vendor == "postgresql":
            # Every row is read, so plan for the whole result (hash joins, one sort), not
            # for the first tenth as for any cursor (nested loops over the indexes): about
            # 1.5 times the rows/s at 1M ratings. LOCAL: until the transaction ends.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield from joined(lines, size)


def joined(lines: Iterable[str], size: int) -> Iterator[bytes]:
    """Lines as UTF-8 chunks of about `size` characters, each ending at a line end."""
    parts: list[str] = []
    length = 0
    for line in lines:
        parts.append(line)
        length += len(line)
        if length >= size:
            yield "".join(parts).encode()
            parts, length = [], 0
    if parts:
        yield "".join(parts).encode()
