"""The comparisons export of a pairwise study: one row per comparison, as CSV lines, JSON
rows or tuples (what the analysis reads).

Columns, in this order (the contract outside tools and `analyze_csv` read):
`comparison,study,participant,brief,sample_a,sample_b,group_a,group_b,criterion,choice,strength,seconds,created_at`

- `comparison`: the comparison's id; `study`: the study's slug; `participant`: the
  pseudonym, never an external id.
- `brief`: the brief's key the two samples answer (or empty); `sample_a`, `sample_b`: the
  tokens of the samples shown as A and as B; `group_a`, `group_b`: their groups' keys.
- `criterion`: the criterion asked about (the study's first); `choice`: `a`, `b` or `tie`;
  `strength`: `slightly`, `clearly` or `much`, empty when not asked (and for a tie).
- `seconds`: server-measured; `created_at`: ISO 8601 in UTC.

Attention pairs are not group data and are left out unless `include_attention_checks`,
which adds the column `attention_expected`: the choice an attentive rater makes (the side
of the regular sample) on attention rows, empty on the others.

Rows come as the ratings export's do (`ratings.export`): by id, from a server-side cursor
in chunks (`fetch_chunks`), with pseudonyms and samples from one query each, streamed in
chunks of bytes in one transaction (`csv_stream`).
"""

from collections.abc import Iterator

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from ratings.export import (
    STREAM_CHUNK_BYTES,
    csv_field,
    csv_stream,
    export_number,
    fetch_chunks,
    iso_text,
)
from ratings.models import Comparison, Participant
from studies.models import Sample, Study

COMPARISONS_HEADER = (
    "comparison",
    "study",
    "participant",
    "brief",
    "sample_a",
    "sample_b",
    "group_a",
    "group_b",
    "criterion",
    "choice",
    "strength",
    "seconds",
    "created_at",
)
ATTENTION_HEADER = ("attention_expected",)
CHECK = Q(assignment__sample__is_attention_check=True) | Q(
    assignment__sample_b__is_attention_check=True
)


def comparisons_export_queryset(
    *, study: Study, include_attention_checks: bool = False
) -> QuerySet[Comparison]:
    """The study's stored comparisons, by id."""
    comparisons = Comparison.objects.filter(
        assignment__participant__study=study, assignment__submitted_at__isnull=False
    )
    if not include_attention_checks:
        comparisons = comparisons.exclude(CHECK)
    return comparisons.order_by("id")


def _samples(study: Study) -> dict[int, tuple]:
    """Token, brief, group and whether it is an attention check, by sample id."""
    return {
        pk: (token, brief or "", group, check)
        for pk, token, brief, group, check in Sample.objects.filter(study=study).values_list(
            "id", "token", "brief__key", "group__key", "is_attention_check"
        )
    }


def _raw_chunks(comparisons: QuerySet[Comparison]) -> Iterator[list[tuple]]:
    return fetch_chunks(
        comparisons.annotate(created_text=Cast("created_at", CharField())).values_list(
            "id",
            "assignment__participant_id",
            "assignment__sample_id",
            "assignment__sample_b_id",
            "criterion",
            "choice",
            "strength",
            "seconds",
            "created_text",
        )
    )


def comparisons_export_rows(
    *,
    study: Study,
    comparisons: QuerySet[Comparison] | None = None,
    include_attention_checks: bool = False,
) -> Iterator[tuple]:
    """Tuples in the order of `COMPARISONS_HEADER` (plus `attention_expected` when
    attention checks are included); seconds as int or float, missing text as ""."""
    if comparisons is None:
        comparisons = comparisons_export_queryset(
            study=study, include_attention_checks=include_attention_checks
        )
    pseudonyms = dict(Participant.objects.filter(study=study).values_list("id", "pseudonym"))
    samples = _samples(study)
    for chunk in _raw_chunks(comparisons):
        for pk, participant, first, second, criterion, choice, strength, seconds, created in chunk:
            token_a, brief, group_a, check_a = samples[first]
            token_b, _, group_b, check_b = samples[second]
            row = (
                pk,
                study.slug,
                pseudonyms[participant],
                brief,
                token_a,
                token_b,
                group_a,
                group_b,
                criterion,
                choice,
                strength,
                export_number(seconds),
                iso_text(created),
            )
            if include_attention_checks:
                expected = "b" if check_a else "a" if check_b else ""
                row = (*row, expected)
            yield row


def comparisons_csv_lines(
    *,
    study: Study,
    comparisons: QuerySet[Comparison] | None = None,
    include_attention_checks: bool = False,
) -> Iterator[str]:
    """The header, then one CSV line per comparison (each ends with "\\n")."""
    header = COMPARISONS_HEADER + (ATTENTION_HEADER if include_attention_checks else ())
    yield ",".join(header) + "\n"
    quoted: dict = {}
    for row in comparisons_export_rows(
        study=study, comparisons=comparisons, include_attention_checks=include_attention_checks
    ):
        yield (
            ",".join(
                quoted.get(value) or quoted.setdefault(value, csv_field(value))
                if isinstance(value, str) and value
                else str(value)
                for value in row
            )
            + "\n"
        )


def comparisons_json_rows(
    *,
    study: Study,
    comparisons: QuerySet[Comparison] | None = None,
    include_attention_checks: bool = False,
) -> Iterator[dict]:
    """The same rows as dicts keyed by the CSV's columns; an empty brief, strength or
    expected choice is None."""
    header = COMPARISONS_HEADER + (ATTENTION_HEADER if include_attention_checks else ())
    for row in comparisons_export_rows(
        study=study, comparisons=comparisons, include_attention_checks=include_attention_checks
    ):
        item = dict(zip(header, row, strict=True))
        for key in ("brief", "strength", *ATTENTION_HEADER):
            if item.get(key) == "":
                item[key] = None
        yield item


def comparisons_csv_chunks(
    *,
    study: Study,
    comparisons: QuerySet[Comparison] | None = None,
    include_attention_checks: bool = False,
    size: int = STREAM_CHUNK_BYTES,
) -> Iterator[bytes]:
    """The bytes of `comparisons_csv_lines` (UTF-8) in chunks of about `size` bytes, each
    ending at the end of a line, streamed as the ratings export streams."""
    if comparisons is None:
        comparisons = comparisons_export_queryset(
            study=study, include_attention_checks=include_attention_checks
        )
    lines = comparisons_csv_lines(
        study=study, comparisons=comparisons, include_attention_checks=include_attention_checks
    )
    yield from csv_stream(lines, using=comparisons.db, size=size)
