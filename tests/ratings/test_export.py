"""The ratings export (DESIGN §5): the fixed header, one row per rating, pseudonyms only."""

import csv
import io
import json
import math
import random
import struct
from datetime import UTC, datetime, timedelta

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
from tests.analysis.test_runs import closed_study
from tests.conftest import needs_postgresql


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
    with django_assert_max_num_queries(4):
        assert len(list(ratings_csv_lines(study=study))) > 100


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


# The two ways of writing the CSV (module docstring of ratings.export): COPY on
# PostgreSQL when it writes every value alike, Python otherwise. Each test below compares
# the bytes of `ratings_csv_chunks` with those of `ratings_csv_lines`, the reference.


@pytest.fixture
def varied(researcher):
    """A closed study on a scale in quarter points with two criteria, guesses on some
    ratings, and times from none at all to far more than a rater could take."""
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
    first = list(Rating.objects.filter(assignment__participant__study=study).order_by("id"))
    # The simulated raters rate the first criterion; half of the assignments get the second.
    Rating.objects.bulk_create(
        Rating(
            assignment_id=rating.assignment_id,
            criterion="originality",
            score=rating.score,
            seconds=rating.seconds,
        )
        for rating in first[::2]
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
    return study


@pytest.fixture
def python_path(monkeypatch):
    """The keyword arguments of every call `ratings_csv_chunks` makes to the Python path."""
    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return ratings_csv_lines(**kwargs)

    monkeypatch.setattr(export, "ratings_csv_lines", spy)
    return calls


def python_bytes(study, ratings=None, checks=False) -> bytes:
    lines = ratings_csv_lines(study=study, ratings=ratings, include_attention_checks=checks)
    return "".join(lines).encode()


def chunked_bytes(study, ratings=None, checks=False, size=STREAM_CHUNK_BYTES) -> bytes:
    chunks = list(
        ratings_csv_chunks(study=study, ratings=ratings, include_attention_checks=checks, size=size)
    )
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    return b"".join(chunks)


FILTERS = {
    "all": {},
    "a group": {"groups": ["ai"]},
    "a criterion": {"criterion": "originality"},
    "groups and a criterion": {"groups": ["human", "collaboration"], "criterion": "quality"},
}


@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("checks", [False, True], ids=["group ratings", "with attention checks"])
@pytest.mark.parametrize("filters", FILTERS.values(), ids=FILTERS.keys())
def test_copy_writes_the_bytes_python_writes(varied, python_path, checks, filters):
    ratings = ratings_export_queryset(study=varied, include_attention_checks=checks, **filters)
    expected = python_bytes(varied, ratings, checks)
    assert expected.count(b"\n") > 20 and b",ai," in expected and b",0," in expected

    assert chunked_bytes(varied, ratings, checks) == expected
    assert python_path == []  # all of it came from COPY


@needs_postgresql
@pytest.mark.django_db
def test_floats_of_every_magnitude_copy_writes_are_written_as_python_writes_them(
    varied, python_path
):
    rng = random.Random(7)
    ratings = list(Rating.objects.filter(assignment__participant__study=varied))
    for rating in ratings:
        # Any float8 under 1e15 in magnitude: random bits, then scaled into range.
        value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        while not math.isfinite(value) or abs(value) >= 1e15:
            value = value / 1e300 if math.isfinite(value) else rng.uniform(-1e15, 1e15)
        rating.score = rng.choice([value, -0.0, 5e-324, rng.uniform(0, 10), 1e15 - 0.125])
        rating.seconds = abs(rng.choice([value, rng.lognormvariate(3, 2), 1e-4 * rng.random()]))
    Rating.objects.bulk_update(ratings, ["score", "seconds"])
    with connection.cursor() as cursor:  # Django writes -0.0 as a numeric literal, so 0
        cursor.execute(
            "UPDATE ratings_rating SET score = '-0'::float8 WHERE id = %s RETURNING score::text",
            [ratings[0].pk],
        )
        assert cursor.fetchone() == ("-0",)

    assert chunked_bytes(varied, checks=True) == python_bytes(varied, checks=True)
    assert python_path == []


@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(
    "where, values",
    [
        # From 1e15 PostgreSQL writes `1e+15`, Python `1000000000000000`. Seconds have no
        # upper bound, and 2e15 is on the scale of a study from 0 to 1e16 in steps of 1e13,
        # which the design allows.
        ("first", {"seconds": 1e15}),
        ("last", {"score": 2e15}),
        # PostgreSQL writes NaN and Infinity, Python nan and inf.
        ("middle", {"score": math.nan}),
        ("middle", {"seconds": math.inf}),
    ],
    ids=["seconds 1e15 first", "score 2e15 last", "score nan", "seconds inf"],
)
def test_from_a_rating_copy_would_write_differently_on_python_writes_the_rest(
    varied, python_path, where, values
):
    ids = list(ratings_export_queryset(study=varied).values_list("id", flat=True))
    far = {"first": ids[0], "middle": ids[len(ids) // 2], "last": ids[-1]}[where]
    Rating.objects.filter(pk=far).update(**values)

    # Small chunks: the rating falls in a later one, after some have been sent.
    assert chunked_bytes(varied, size=2000) == python_bytes(varied)
    assert [call["ratings"].first().pk for call in python_path] == [far]


# Keys are slugs, pseudonyms and tokens URL-safe: neither the services nor the admin store
# a value with a comma, a quote or a space around it. Data written around them (raw SQL,
# a dump restored from elsewhere) could hold one, and the export must stay exact. An
# expected range from 1e15 is on the scale of a study that reaches that far.
STUDY_WIDE = {
    "pseudonym": (Participant, "pseudonym", 'rater "7", day 2', b'"rater ""7"", day 2"'),
    "token": (Sample, "token", "tok en ", b'"tok en "'),
    "brief": (Brief, "key", "b,0", b'"b,0"'),
    "group": (Group, "key", "ai\n", b'"ai\n"'),
    "range": (Sample, "expected_max", 2e15, b",2000000000000000\n"),
}


@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("model, field, value, written", STUDY_WIDE.values(), ids=STUDY_WIDE)
def test_study_wide_values_copy_would_write_differently_send_the_export_to_python(
    varied, python_path, model, field, value, written
):
    rows = model.objects.filter(study=varied).order_by("id")
    if model is Sample:
        rows = rows.filter(is_attention_check=True)
    rows.filter(pk=rows.first().pk).update(**{field: value})

    expected = python_bytes(varied, checks=True)
    assert written in expected
    assert chunked_bytes(varied, checks=True) == expected
    assert len(python_path) == 1  # the whole export, from its first rating


@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(
    "values, written",
    [
        ({"guess": " ai"}, b'," ai",'),
        # Plain, but not one of the study's criteria: COPY writes only the keys it knows.
        ({"criterion": "dropped-criterion"}, b",dropped-criterion,"),
    ],
    ids=["guess", "criterion"],
)
def test_from_a_rating_whose_key_copy_does_not_know_python_writes_the_rest(
    varied, python_path, values, written
):
    rating = ratings_export_queryset(study=varied).order_by("id")[5]
    Rating.objects.filter(pk=rating.pk).update(**values)

    expected = python_bytes(varied)
    assert written in expected
    assert chunked_bytes(varied) == expected
    assert [call["ratings"].first().pk for call in python_path] == [rating.pk]


@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(
    "setting",
    ["TimeZone = 'Europe/Paris'", "DateStyle = 'SQL, DMY'", "extra_float_digits = -3"],
)
def test_a_session_that_writes_times_or_floats_otherwise_sends_the_export_to_python(
    varied, python_path, setting
):
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL {setting}")  # until the end of the test's transaction

    assert chunked_bytes(varied) == python_bytes(varied)
    assert len(python_path) == 1


@pytest.mark.django_db
def test_an_export_of_no_ratings_is_the_header_alone(study):
    header = (",".join(HEADER) + "\n").encode()
    none = ratings_export_queryset(study=study).none()  # compiles to no query at all
    assert chunked_bytes(study, none) == header
    assert chunked_bytes(study, ratings_export_queryset(study=study, groups=["nobody"])) == header


@pytest.mark.django_db
def test_closing_the_stream_early_leaves_the_connection_usable(study):
    """As when the client goes away after the first chunk: the rest of the COPY (or the
    cursor) is given up, and the connection serves the next query."""
    chunks = ratings_csv_chunks(study=study, size=500)
    first = next(chunks)
    chunks.close()

    assert first.startswith(b"rating,study,") and len(first) < len(python_bytes(study))
    assert Rating.objects.filter(assignment__participant__study=study).count() > 0
    assert chunked_bytes(study) == python_bytes(study)


@pytest.mark.django_db
def test_the_chunks_end_at_line_ends_and_hold_about_the_size_asked(study):
    chunks = list(ratings_csv_chunks(study=study, size=1000))
    assert len(chunks) > 3
    assert all(chunk.endswith(b"\n") and len(chunk) < 1200 for chunk in chunks)
    assert all(len(chunk) >= 1000 for chunk in chunks[:-1])
    assert b"".join(chunks) == python_bytes(study)
