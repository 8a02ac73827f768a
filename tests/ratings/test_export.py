"""The ratings export (DESIGN §5): the fixed header, one row per rating, pseudonyms only."""

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.core.management import call_command
from django.db import connection

from ratings import export
from ratings.export import (
    ATTENTION_HEADER,
    HEADER,
    STREAM_CHUNK_BYTES,
    ratings_csv_chunks,
    ratings_csv_lines,
    ratings_export_queryset,
    ratings_json_rows,
)
from ratings.models import Participant, Rating
from studies.models import Brief, Group, Sample
from tests.conftest import needs_postgresql
from tests.factories import closed_study


@pytest.fixture
def study(researcher):
    study = closed_study(researcher, raters=12)
    # What the rater pages store for crowd workers: private ids that must never leave.
    for participant in Participant.objects.filter(study=study):
        Participant.objects.filter(pk=participant.pk).update(
            external_id=f"PROLIFIC{participant.pk:06d}",
            external_study_id="STUDY42",
            external_session_id=f"SESSION{participant.pk}",
        )
    return study


def parse(lines) -> list[dict]:
    return list(csv.DictReader(io.StringIO("".join(lines))))


@pytest.mark.django_db
def test_the_csv_has_the_fixed_header_and_one_row_per_rating_of_the_groups(study):
    lines = list(ratings_csv_lines(study=study))
    assert lines[0] == ",".join(HEADER) + "\n"
    rows = parse(lines)
    group_ratings = Rating.objects.filter(
        assignment__participant__study=study, assignment__sample__is_attention_check=False
    )
    assert len(rows) == group_ratings.count() > 0
    assert [int(row["rating"]) for row in rows] == list(
        group_ratings.order_by("id").values_list("id", flat=True)
    )
    first = group_ratings.select_related(
        "assignment__participant", "assignment__sample__group", "assignment__sample__brief"
    ).get(pk=rows[0]["rating"])
    sample = first.assignment.sample
    assert rows[0] == {
        "rating": str(first.pk),
        "study": "poems",
        "participant": first.assignment.participant.pseudonym,
        "sample": sample.token,
        "brief": sample.brief.key,
        "group": sample.group.key,
        "criterion": "quality",
        "score": str(int(first.score)),
        "guess": "",
        "seconds": repr(first.seconds),
        "created_at": rows[0]["created_at"],
    }
    # ISO 8601 in UTC (PostgreSQL drops trailing zeros of the fraction, SQLite keeps them).
    assert rows[0]["created_at"].endswith("+00:00")
    assert datetime.fromisoformat(rows[0]["created_at"]) == first.created_at


@pytest.mark.django_db
def test_participants_appear_only_as_pseudonyms_never_with_their_external_ids(study):
    text = "".join(ratings_csv_lines(study=study, include_attention_checks=True))
    text += json.dumps(list(ratings_json_rows(study=study, include_attention_checks=True)))
    assert "PROLIFIC" not in text and "STUDY42" not in text and "SESSION" not in text
    pseudonyms = set(Participant.objects.filter(study=study).values_list("pseudonym", flat=True))
    assert {row["participant"] for row in parse(ratings_csv_lines(study=study))} <= pseudonyms


@pytest.mark.django_db
def test_attention_checks_are_left_out_unless_asked_for_and_then_carry_their_range(study):
    checks = set(
        Sample.objects.filter(study=study, is_attention_check=True).values_list("token", flat=True)
    )
    plain = parse(ratings_csv_lines(study=study))
    assert not {row["sample"] for row in plain} & checks

    lines = list(ratings_csv_lines(study=study, include_attention_checks=True))
    assert lines[0] == ",".join(HEADER + ATTENTION_HEADER) + "\n"
    rows = parse(lines)
    checked = [row for row in rows if row["sample"] in checks]
    assert checked and len(rows) == len(plain) + len(checked)
    assert {(row["attention_expected_min"], row["attention_expected_max"]) for row in checked} == {
        ("1", "2")
    }
    assert {row["attention_expected_min"] for row in rows if row["sample"] not in checks} == {""}


@pytest.mark.django_db
def test_the_export_filters_by_criterion_and_group(study):
    by_group = parse(
        ratings_csv_lines(
            study=study, ratings=ratings_export_queryset(study=study, groups=["ai", "human"])
        )
    )
    assert {row["group"] for row in by_group} == {"ai", "human"}
    other = ratings_export_queryset(study=study, criterion="originality")
    assert parse(ratings_csv_lines(study=study, ratings=other)) == []


@pytest.mark.django_db
def test_json_rows_hold_the_same_values_as_numbers_and_nulls(study):
    rows = list(ratings_json_rows(study=study))
    csv_rows = parse(ratings_csv_lines(study=study))
    assert list(rows[0]) == list(HEADER)
    assert len(rows) == len(csv_rows)
    assert rows[0]["rating"] == int(csv_rows[0]["rating"])
    assert isinstance(rows[0]["score"], int | float) and rows[0]["guess"] is None
    assert [row["sample"] for row in rows] == [row["sample"] for row in csv_rows]


@pytest.mark.django_db
def test_the_export_reads_a_fixed_number_of_queries_however_many_ratings(
    study, django_assert_max_num_queries
):
    ratings = ratings_export_queryset(study=study).count()
    with django_assert_max_num_queries(4):
        assert len(list(ratings_csv_lines(study=study))) == ratings + 1
    assert ratings > 50


@pytest.mark.django_db
def test_export_ratings_writes_csv_or_json_to_a_file_or_standard_output(study, tmp_path, capsys):
    target = tmp_path / "ratings.csv"
    call_command("export_ratings", "poems", "--output", str(target))
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert list(rows[0]) == list(HEADER)
    assert f"{len(rows)} ratings of poems written to" in capsys.readouterr().err

    call_command("export_ratings", "poems", "--format", "json", "--group", "ai")
    document = json.loads(capsys.readouterr().out)
    assert {row["group"] for row in document} == {"ai"}
    assert "PROLIFIC" not in json.dumps(document)


# Values of every kind, written by the one writer: each test reads the CSV back and
# compares it with the stored values (and, where the bytes matter, the bytes).


@pytest.fixture
def varied(researcher):
    """A closed study on a scale in quarter points with two criteria, guesses on some
    ratings, samples without a brief, times from none at all to far more than a rater
    could take, and timestamps with and without a fraction of a second."""
    study = closed_study(
        researcher,
        slug="varied",
        raters=8,
        scale_step=0.25,
        criteria=[
            {"key": "quality", "label": "Overall quality"},
            {"key": "originality", "label": "Originality"},
        ],
    )
    first = Rating.objects.filter(assignment__participant__study=study, criterion="quality")
    # At least half of the assignments have a rating of the second criterion too (where
    # the simulated raters gave one already, it stays).
    Rating.objects.bulk_create(
        (
            Rating(
                assignment_id=rating.assignment_id,
                criterion="originality",
                score=rating.score,
                seconds=rating.seconds,
            )
            for rating in first.order_by("id")[::2]
        ),
        ignore_conflicts=True,
    )
    ratings = list(Rating.objects.filter(assignment__participant__study=study).order_by("id"))
    seconds = [0.0, 21.834, 1e-05, 0.0001, 3.0, 123456.789, 2.5e-07, 86400.0, 999999999999999.9]
    scores = [7.0, 7.5, 3.25, 1.0, 10.0, 9.75]
    exact = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # PostgreSQL writes no fraction
    for index, rating in enumerate(ratings):
        rating.seconds = seconds[index % len(seconds)] if index % 4 else rating.seconds
        rating.score = scores[index % len(scores)] if index % 3 else rating.score
        rating.guess = ["", "ai", "human", "collaboration", ""][index % 5]
        rating.created_at = exact + timedelta(microseconds=[0, 500_000, 1, 123_450][index % 4])
    Rating.objects.bulk_update(ratings, ["seconds", "score", "guess", "created_at"])
    Sample.objects.filter(study=study, group__key="ai").update(brief=None)
    return study


def csv_bytes(study, ratings=None, checks=False, size=STREAM_CHUNK_BYTES) -> bytes:
    chunks = list(
        ratings_csv_chunks(study=study, ratings=ratings, include_attention_checks=checks, size=size)
    )
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    return b"".join(chunks)


def stored(study, checks=False) -> list[list[str]]:
    """What the CSV must read back as: the stored values, fetched the slow way (model
    instances), numbers as Python writes them, times as instants."""
    ratings = (
        ratings_export_queryset(study=study, include_attention_checks=checks)
        .select_related(
            "assignment__participant", "assignment__sample__group", "assignment__sample__brief"
        )
        .order_by("id")
    )
    rows = []
    for rating in ratings:
        sample = rating.assignment.sample
        row = [
            str(rating.pk),
            study.slug,
            rating.assignment.participant.pseudonym,
            sample.token,
            sample.brief.key if sample.brief else "",
            sample.group.key,
            rating.criterion,
            rating.score,
            rating.guess,
            rating.seconds,
            rating.created_at,
        ]
        if checks:
            bounds = [sample.expected_min, sample.expected_max]
            row += bounds if sample.is_attention_check else ["", ""]
        rows.append(row)
    return rows


def read_back(data: bytes) -> list[list]:
    """The CSV's rows (header checked and dropped), numbers as floats, times as instants."""
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows[0] in (list(HEADER), list(HEADER + ATTENTION_HEADER))
    numbers = {index for index, name in enumerate(rows[0]) if name in NUMBERS}
    read = []
    for row in rows[1:]:
        values = [float(v) if i in numbers and v != "" else v for i, v in enumerate(row)]
        values[10] = datetime.fromisoformat(row[10])
        assert row[10].endswith("+00:00") and "T" in row[10]  # ISO 8601, in UTC
        read.append(values)
    return read


NUMBERS = {"score", "seconds", *ATTENTION_HEADER}

FILTERS = {
    "all": {},
    "a group": {"groups": ["ai"]},
    "a criterion": {"criterion": "originality"},
    "groups and a criterion": {"groups": ["human", "collaboration"], "criterion": "quality"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("checks", [False, True], ids=["group ratings", "with attention checks"])
@pytest.mark.parametrize("filters", FILTERS.values(), ids=FILTERS.keys())
def test_the_csv_reads_back_as_the_stored_values(varied, checks, filters):
    ratings = ratings_export_queryset(study=varied, include_attention_checks=checks, **filters)
    data = csv_bytes(varied, ratings, checks)
    assert data.count(b"\n") > 20 and b",ai," in data and b",0," in data

    ids = {int(row[0]) for row in read_back(data)}
    assert ids == set(ratings.values_list("id", flat=True))
    assert read_back(data) == [row for row in stored(varied, checks) if int(row[0]) in ids]


@pytest.mark.django_db
def test_the_csv_writes_numbers_briefs_and_times_as_the_contract_shows(varied):
    data = csv_bytes(varied)
    assert re.search(rb",(quality|originality),10,", data)  # integral: no ".0"
    assert re.search(rb",(quality|originality),7.5,", data)
    assert re.search(rb",,ai,(quality|originality),", data)  # no brief: nothing
    assert re.search(rb",(ai|human|collaboration|),21.834,", data)  # guess, or none
    assert b"T10:00:00+00:00\n" in data and b"T10:00:00.000001+00:00\n" in data


@pytest.mark.django_db
def test_numbers_are_written_in_full_and_read_back_exactly(varied):
    values = [
        0.0,
        -0.0,
        7.0,
        7.5,
        1e-05,
        2.5e-07,
        5e-324,
        1e15,
        2e15,
        1e15 - 0.125,
        123456.789,
        -3.25,
        1e300,
    ]
    ratings = list(Rating.objects.filter(assignment__participant__study=varied).order_by("id"))
    for index, rating in enumerate(ratings):
        rating.score = values[index % len(values)]
        rating.seconds = abs(values[(index + 5) % len(values)])
    Rating.objects.bulk_update(ratings, ["score", "seconds"])

    data = csv_bytes(varied, checks=True)
    assert read_back(data) == stored(varied, checks=True)
    # As `_number` writes them: an integral float as an integer, never `1e+15` or `-0`.
    assert b",1000000000000000," in data and b",2000000000000000," in data
    assert b"e+" not in data and b",-0," not in data and b",0," in data
    assert b",2.5e-07," in data


@pytest.mark.django_db
def test_created_at_is_utc_whatever_zone_the_time_was_given_in(varied):
    ratings = list(Rating.objects.filter(assignment__participant__study=varied).order_by("id"))
    zones = [timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)), UTC]
    given = datetime(2026, 3, 29, 1, 30, 15, 250_000)
    for index, rating in enumerate(ratings):
        rating.created_at = given.replace(tzinfo=zones[index % 3])
    Rating.objects.bulk_update(ratings, ["created_at"])

    rows = read_back(csv_bytes(varied, checks=True))
    assert [row[10] for row in rows] == [row[10] for row in stored(varied, checks=True)]
    assert {row[10].utcoffset() for row in rows} == {timedelta(0)}
    assert b"2026-03-28T20:00:15.25" in csv_bytes(varied)  # 01:30 at +05:30


# Keys are slugs, pseudonyms and tokens URL-safe: neither the services nor the admin store
# a value with a comma, a quote, a line break or a space around it. Data written around
# them (raw SQL, a dump restored from elsewhere) could hold one, and the export must stay
# exact: such a field is quoted (as csv.writer quotes, and also when spaces surround it, so
# a reader that strips unquoted fields keeps them); any other field is written as it is.
AWKWARD = {
    "pseudonym": (Participant, "pseudonym", 'rater "7", day 2', b'"rater ""7"", day 2"'),
    "token": (Sample, "token", "tok en ", b'"tok en "'),
    "brief": (Brief, "key", "b,0", b'"b,0"'),
    "group": (Group, "key", "ai\n", b'"ai\n"'),
    "carriage return": (Group, "key", "ai\r", b'"ai\r"'),
    "unicode": (Group, "key", "kü✓-人", "kü✓-人".encode()),
    "range": (Sample, "expected_max", 2e15, b",2000000000000000\n"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("model, field, value, written", AWKWARD.values(), ids=AWKWARD)
def test_awkward_text_in_study_wide_values_is_quoted_and_reads_back(
    varied, model, field, value, written
):
    rows = model.objects.filter(study=varied).order_by("id")
    if model is Sample:
        rows = rows.filter(is_attention_check=True)
    rows.filter(pk=rows.first().pk).update(**{field: value})

    data = csv_bytes(varied, checks=True)
    assert written in data
    assert read_back(data) == stored(varied, checks=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values, written",
    [
        ({"guess": " ai"}, b'," ai",'),
        ({"guess": 'the "AI", surely'}, b',"the ""AI"", surely",'),
        ({"criterion": "qualité"}, ",qualité,".encode()),
        ({"criterion": "dropped-criterion"}, b",dropped-criterion,"),
    ],
    ids=["guess with a space", "guess with quotes", "unicode criterion", "unknown criterion"],
)
def test_awkward_text_in_a_rating_is_quoted_and_reads_back(varied, values, written):
    rating = ratings_export_queryset(study=varied).order_by("id")[5]
    Rating.objects.filter(pk=rating.pk).update(**values)

    data = csv_bytes(varied)
    assert written in data
    assert read_back(data) == stored(varied)


@pytest.mark.django_db
def test_an_export_of_no_ratings_is_the_header_alone(study):
    header = (",".join(HEADER) + "\n").encode()
    none = ratings_export_queryset(study=study).none()  # compiles to no query at all
    assert csv_bytes(study, none) == header
    assert csv_bytes(study, ratings_export_queryset(study=study, groups=["nobody"])) == header


@pytest.mark.django_db
def test_the_stream_fetches_rows_a_chunk_at_a_time_as_it_is_read(study, monkeypatch):
    """Memory stays flat: the first chunk of bytes leaves after one chunk of rows was
    fetched, not all of them."""
    monkeypatch.setattr(export, "CHUNK_SIZE", 10)
    fetched = []
    fetch_chunks = export.fetch_chunks

    def counted(*args, **kwargs):
        for rows in fetch_chunks(*args, **kwargs):
            fetched.append(len(rows))
            yield rows

    monkeypatch.setattr(export, "fetch_chunks", counted)
    chunks = ratings_csv_chunks(study=study, size=500)
    next(chunks)
    assert fetched == [10]
    rest = list(chunks)

    total = ratings_export_queryset(study=study).count()
    assert total > 50 and sum(fetched) == total and max(fetched) == 10
    assert len(rest) > 5


@needs_postgresql
@pytest.mark.django_db
def test_on_postgresql_the_rows_come_through_a_server_side_cursor_without_hold(study):
    """Without HOLD, the rows leave as the plan yields them; with it (outside a
    transaction) PostgreSQL would first copy the whole result into a store of its own. The
    plan is for the whole result, as every row is read."""

    def cursors_and_plan():
        with connection.cursor() as cursor:
            cursor.execute("SELECT is_holdable FROM pg_cursors")
            cursors = [holdable for (holdable,) in cursor.fetchall()]
            cursor.execute("SHOW cursor_tuple_fraction")
            return cursors, cursor.fetchone()[0]

    default = cursors_and_plan()[1]
    chunks = ratings_csv_chunks(study=study, size=500)
    next(chunks)
    assert cursors_and_plan() == ([False], "1")
    chunks.close()
    assert cursors_and_plan() == ([], default)


@pytest.mark.django_db
def test_closing_the_stream_early_leaves_the_connection_usable(study):
    """As when the client goes away after the first chunk: the rest of the cursor is given
    up, and the connection serves the next query."""
    chunks = ratings_csv_chunks(study=study, size=500)
    first = next(chunks)
    chunks.close()

    whole = csv_bytes(study)
    assert first.startswith(b"rating,study,") and len(first) < len(whole)
    assert Rating.objects.filter(assignment__participant__study=study).count() > 0
    assert whole == "".join(ratings_csv_lines(study=study)).encode()


@pytest.mark.django_db
def test_the_chunks_end_at_line_ends_and_hold_about_the_size_asked(study):
    chunks = list(ratings_csv_chunks(study=study, size=1000))
    assert len(chunks) > 3
    assert all(chunk.endswith(b"\n") and len(chunk) < 1200 for chunk in chunks)
    assert all(len(chunk) >= 1000 for chunk in chunks[:-1])
    assert b"".join(chunks) == "".join(ratings_csv_lines(study=study)).encode()
