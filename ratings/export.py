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

Rows come in the order of rating ids from `.iterator()` over `values_list` with one join
(rating -> assignment); pseudonyms, tokens, briefs and groups come from one query each and
a dict, so memory stays flat however many ratings there are.
"""

import csv
from collections.abc import Iterator

from django.db.models import QuerySet

from ratings.models import Participant, Rating
from studies.models import Sample, Study

HEADER = ("rating", "study", "participant", "sample", "brief", "group", "criterion", "score",
          "guess", "seconds", "created_at")  # fmt: skip
ATTENTION_HEADER = ("attention_expected_min", "attention_expected_max")
CHUNK_SIZE = 5000


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


def _number(value: float | None):
    if value is None:
        return ""
    value = float(value)
    return int(value) if value.is_integer() else value


def ratings_export_rows(
    *, study: Study, ratings: QuerySet[Rating] | None = None, include_attention_checks: bool = False
) -> Iterator[tuple]:
    """Tuples in the order of `HEADER` (plus `ATTENTION_HEADER` when attention checks are
    included); numbers as int or float, missing text as ""."""
    if ratings is None:
        ratings = ratings_export_queryset(
            study=study, include_attention_checks=include_attention_checks
        )
    pseudonyms = dict(Participant.objects.filter(study=study).values_list("id", "pseudonym"))
    samples = {
        pk: (token, brief or "", group, _number(low) if check else "",
             _number(high) if check else "")
        for pk, token, brief, group, check, low, high in Sample.objects.filter(study=study)
        .values_list("id", "token", "brief__key", "group__key", "is_attention_check",
                     "expected_min", "expected_max")
    }  # fmt: skip
    slug = study.slug
    rows = ratings.values_list(
        "id", "assignment__participant_id", "assignment__sample_id", "criterion", "score",
        "guess", "seconds", "created_at",
    ).iterator(chunk_size=CHUNK_SIZE)  # fmt: skip
    for rating, participant, sample, criterion, score, guess, seconds, created in rows:
        token, brief, group, low, high = samples[sample]
        row = (rating, slug, pseudonyms[participant], token, brief, group, criterion,
               _number(score), guess, _number(seconds), created.isoformat())  # fmt: skip
        yield (*row, low, high) if include_attention_checks else row


class _Line:
    """A file-like object whose `write` returns what it is given: `csv.writer.writerow`
    then returns the line it wrote."""

    def write(self, value: str) -> str:
        return value


def ratings_csv_lines(
    *, study: Study, ratings: QuerySet[Rating] | None = None, include_attention_checks: bool = False
) -> Iterator[str]:
    """The header, then one CSV line per rating (each ends with "\\n"), as a generator: stream
    it (`StreamingHttpResponse`) or write it out line by line."""
    writer = csv.writer(_Line(), lineterminator="\n")
    header = HEADER + ATTENTION_HEADER if include_attention_checks else HEADER
    yield writer.writerow(header)
    for row in ratings_export_rows(
        study=study, ratings=ratings, include_attention_checks=include_attention_checks
    ):
        yield writer.writerow(row)


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
