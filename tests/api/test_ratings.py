"""/api/studies/<slug>/ratings/: the ratings CSV streamed, JSON pages, filters."""

import csv
import io
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import exports
from ratings.export import (
    HEADER,
    ratings_csv_chunks,
    ratings_csv_lines,
    ratings_export_queryset,
)
from ratings.models import Rating
from tests.api.conftest import error_of
from tests.factories import closed_study

URL = "/api/studies/poems/ratings/"


@pytest.fixture
def study(researcher):
    return closed_study(researcher, raters=8)


def streamed(response) -> str:
    assert response.streaming, "the CSV is streamed, not built in memory"
    return b"".join(response.streaming_content).decode()


@pytest.mark.django_db
def test_the_csv_is_streamed_with_the_fixed_header_and_the_exports_rows(api, study):
    response = api.get(URL + "?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="poems-ratings.csv"' in response["Content-Disposition"]
    text = streamed(response)
    assert text.splitlines()[0] == ",".join(HEADER)
    assert text == "".join(ratings_csv_lines(study=study))
    rows = list(csv.DictReader(io.StringIO(text)))
    group_ratings = Rating.objects.filter(
        assignment__participant__study=study, assignment__sample__is_attention_check=False
    )
    assert len(rows) == group_ratings.count() > 0


@pytest.mark.django_db
def test_accept_text_csv_also_gives_the_csv(api, study):
    response = api.get(URL, HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert streamed(response).startswith("rating,study,participant")


@pytest.mark.django_db
def test_the_csv_is_filtered_by_group_and_participant(api, study):
    rows = list(csv.DictReader(io.StringIO(streamed(api.get(URL + "?format=csv&group=ai")))))
    assert rows and {row["group"] for row in rows} == {"ai"}

    pseudonym = rows[0]["participant"]
    mine = list(
        csv.DictReader(io.StringIO(streamed(api.get(URL + f"?format=csv&participant={pseudonym}"))))
    )
    assert mine and {row["participant"] for row in mine} == {pseudonym}


@pytest.mark.django_db
def test_attention_checks_are_included_on_request_with_their_columns(api, study):
    text = streamed(api.get(URL + "?format=csv&include_attention_checks=true"))

    header = text.splitlines()[0].split(",")
    assert header[-2:] == ["attention_expected_min", "attention_expected_max"]
    assert text == "".join(ratings_csv_lines(study=study, include_attention_checks=True))


@pytest.mark.django_db
def test_json_pages_hold_the_csvs_columns_and_follow_with_a_cursor(api, study):
    total = Rating.objects.filter(
        assignment__participant__study=study, assignment__sample__is_attention_check=False
    ).count()
    seen = []
    url = URL + "?page_size=40"
    while url:
        body = api.get(url).json()
        seen.extend(body["results"])
        url = body["next"]
    assert len(seen) == total
    assert [row["rating"] for row in seen] == sorted(row["rating"] for row in seen)
    assert set(seen[0]) == set(HEADER)
    assert seen[0]["study"] == "poems" and seen[0]["guess"] is None


@pytest.mark.django_db
def test_the_time_filters_bound_the_rows(api, study):
    ratings = Rating.objects.filter(assignment__participant__study=study).order_by("created_at")
    Rating.objects.filter(pk=ratings.first().pk).update(
        created_at=ratings.first().created_at - timedelta(days=30)
    )
    old = ratings.order_by("created_at").first()
    cut = (old.created_at + timedelta(days=1)).isoformat()

    after = api.get(URL, {"created_after": cut, "page_size": 1000}).json()["results"]
    before = api.get(URL, {"created_before": cut, "page_size": 1000}).json()["results"]

    assert [row["rating"] for row in before] == [old.pk]
    assert old.pk not in [row["rating"] for row in after] and after


@pytest.mark.django_db
def test_a_bad_filter_value_is_400_naming_it_in_json_even_for_csv(api, study):
    response = api.get(URL + "?format=csv&created_after=yesterday")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(error_of(response)["fields"]) == ["created_after"]


@pytest.mark.django_db
def test_another_researchers_ratings_are_404_and_no_token_is_401(other_api, anonymous, study):
    assert other_api.get(URL + "?format=csv").status_code == 404
    assert other_api.get(URL).status_code == 404
    response = anonymous.get(URL + "?format=csv")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def _queries(api) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(URL + "?page_size=500").status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_a_page_of_ratings_takes_the_same_number_of_queries_for_few_ratings_or_many(
    api, researcher
):
    closed_study(researcher, raters=2)
    few = _queries(api)

    study = closed_study(researcher, slug="poems2", raters=20)
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"/api/studies/{study.slug}/ratings/?page_size=500").status_code == 200
    assert len(queries) == few


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    [
        "0207-07-28T21:44:36+17:15",  # PostgreSQL refuses offsets of 16 hours or more
        "0001-01-01T00:00:00+05:00",  # year 0 in UTC
        "9999-12-31T23:59:59-05:00",  # year 10000 in UTC
        "2026-02-30T10:00:00Z",
    ],
)
def test_times_no_database_can_take_are_400_on_their_filter(api, study, value):
    for query in ({"created_before": value}, {"created_after": value, "format": "csv"}):
        response = api.get(URL, query)
        assert response.status_code == 400
        assert list(error_of(response)["fields"]) == [next(iter(query))]


@pytest.mark.django_db
def test_the_filtered_csv_is_the_export_of_the_same_ratings(api, study):
    ratings = ratings_export_queryset(study=study, groups=["ai"])
    pseudonym = ratings.values_list("assignment__participant__pseudonym", flat=True).first()
    cut = ratings.order_by("created_at").values_list("created_at", flat=True)[3]
    query = {"format": "csv", "group": "ai", "participant": pseudonym, "criterion": "quality"}

    text = streamed(api.get(URL, {**query, "created_after": cut.isoformat()}))

    mine = ratings.filter(assignment__participant__pseudonym=pseudonym, created_at__gte=cut)
    assert text.count("\n") - 1 == mine.count() > 0
    assert text == "".join(ratings_csv_lines(study=study, ratings=mine))


@pytest.mark.django_db
def test_a_client_that_leaves_early_leaves_the_connection_usable(api, study, monkeypatch):
    # Small chunks: the client leaves with most of the export still to come.
    monkeypatch.setattr(exports, "ratings_csv_chunks", partial(ratings_csv_chunks, size=200))
    # The end of a request closes the connection when it is in a transaction, as a test's
    # is: keep it open, as a persistent connection would be.
    monkeypatch.setattr(connection, "close_if_unusable_or_obsolete", lambda: None)
    response = api.get(URL + "?format=csv")
    first = next(iter(response.streaming_content))
    response.close()  # what the WSGI server does when the client goes away

    assert first.startswith(b"rating,study,") and first.endswith(b"\n")
    assert Rating.objects.filter(assignment__participant__study=study).count() > 0
    assert streamed(api.get(URL + "?format=csv")) == "".join(ratings_csv_lines(study=study))
