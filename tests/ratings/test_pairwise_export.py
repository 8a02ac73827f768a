"""The comparisons export of a pairwise study: the fixed header, one row per comparison,
through the export command, the API (`?format=csv` and JSON) and the rows function the
analysis reads."""

import csv
import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ratings.comparisons_export import (
    COMPARISONS_HEADER,
    comparisons_csv_lines,
    comparisons_export_rows,
)
from ratings.models import Comparison
from ratings.selectors import study_progress
from ratings.simulation import RaterModel, study_simulate_raters
from tests.api.conftest import client_for
from tests.ratings.raters import open_study

HEADER_LINE = (
    "comparison,study,participant,brief,sample_a,sample_b,group_a,group_b,criterion,choice,"
    "strength,seconds,created_at"
)
TRUTH = RaterModel(group_means={"collaboration": 7.0, "human": 6.5, "ai": 5.0})


@pytest.fixture
def study(researcher):
    study = open_study(
        researcher,
        slug="pair-export",
        per_group=4,
        checks=2,
        samples_per_rater=6,
        ratings_per_sample=8,
        attention_check_rate=0.2,
        protocol="pairwise",
        allow_ties=True,
        ask_strength=True,
    )
    assert study_simulate_raters(study=study, raters=6, seed=4, model=TRUTH) > 0
    return study


def expected_rows(study, checks=False):
    rows = []
    comparisons = (
        Comparison.objects.filter(assignment__participant__study=study)
        .select_related(
            "assignment__participant",
            "assignment__sample__group",
            "assignment__sample__brief",
            "assignment__sample_b__group",
        )
        .order_by("id")
    )
    for c in comparisons:
        a, b = c.assignment.sample, c.assignment.sample_b
        if not checks and (a.is_attention_check or b.is_attention_check):
            continue
        rows.append(
            [
                str(c.pk),
                study.slug,
                c.assignment.participant.pseudonym,
                a.brief.key,
                a.token,
                b.token,
                a.group.key,
                b.group.key,
                "quality",
                c.choice,
                c.strength,
            ]
        )
    return rows


def test_the_csv_has_the_fixed_header_and_a_row_per_comparison(study):
    text = "".join(comparisons_csv_lines(study=study))
    assert text.splitlines()[0] == HEADER_LINE == ",".join(COMPARISONS_HEADER)
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert [row[:11] for row in rows] == expected_rows(study)
    assert len(rows) > 20
    assert {row[9] for row in rows} <= {"a", "b", "tie"}
    assert all(row[10] == "" for row in rows if row[9] == "tie")
    assert all(float(row[11]) >= 0 and row[12].endswith("+00:00") for row in rows)
    # Both samples of every pair answer the same brief, from two different groups.
    assert all(row[6] != row[7] for row in rows)


def test_the_rows_function_yields_the_csv_rows_as_values(study):
    rows = list(comparisons_export_rows(study=study))
    text = "".join(comparisons_csv_lines(study=study))
    parsed = list(csv.reader(io.StringIO(text)))[1:]
    assert [[str(value) for value in row] for row in rows] == parsed
    assert all(isinstance(row[0], int) and isinstance(row[11], int | float) for row in rows)


def test_attention_pairs_only_when_asked_with_their_expected_choice(study):
    rows = list(comparisons_export_rows(study=study, include_attention_checks=True))
    checks = [row for row in rows if row[13]]
    assert checks, "the simulated raters met attention pairs"
    for row in checks:
        pk = row[0]
        assignment = Comparison.objects.get(pk=pk).assignment
        broken_on_a = assignment.sample.is_attention_check
        assert row[13] == ("b" if broken_on_a else "a")
    assert len(rows) == len(checks) + len(expected_rows(study))


def test_the_export_command_writes_the_comparisons_of_a_pairwise_study(study, tmp_path):
    target = tmp_path / "out.csv"
    call_command("export_ratings", study.slug, "-o", str(target))
    assert target.read_text() == "".join(comparisons_csv_lines(study=study))
    out = io.StringIO()
    call_command("export_ratings", study.slug, "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert [row["comparison"] for row in data] == [int(r[0]) for r in expected_rows(study)]
    assert set(data[0]) == set(COMPARISONS_HEADER)
    with pytest.raises(CommandError, match="pairwise"):
        call_command("export_ratings", study.slug, "--criterion", "quality")


def test_the_api_streams_the_csv_and_pages_json_rows(study, researcher):
    api = client_for(researcher)
    url = f"/api/studies/{study.slug}/ratings/"
    response = api.get(url + "?format=csv")
    assert response.status_code == 200
    assert 'filename="pair-export-comparisons.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    assert text == "".join(comparisons_csv_lines(study=study))
    page = api.get(url + "?page_size=5").json()
    assert len(page["results"]) == 5 and page["next"]
    assert list(page["results"][0]) == list(COMPARISONS_HEADER)
    first = expected_rows(study)[0]
    assert page["results"][0]["sample_a"] == first[4]
    human = b"".join(api.get(url + "?format=csv&group=human").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(human)))
    assert rows and all("human" in (row["group_a"], row["group_b"]) for row in rows)
    assert len(rows) < len(expected_rows(study))


def test_the_progress_panel_counts_both_samples_of_each_pair(study):
    progress = study_progress(study=study)
    regular = len(expected_rows(study))
    assert progress["rated_total"] == 2 * regular
    shown = Counter()
    for row in expected_rows(study):
        shown.update([row[6], row[7]])
    assert {row["key"]: row["rated"] for row in progress["groups"]} == dict(shown)
