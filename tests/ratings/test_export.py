"""The ratings export (DESIGN §5): the fixed header, one row per rating, pseudonyms only."""

import csv
import io
import json
from datetime import datetime

import pytest
from django.core.management import call_command

from ratings.export import (
    ATTENTION_HEADER,
    HEADER,
    ratings_csv_lines,
    ratings_export_queryset,
    ratings_json_rows,
)
from ratings.models import Participant, Rating
from studies.models import Sample
from tests.analysis.test_runs import closed_study


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
