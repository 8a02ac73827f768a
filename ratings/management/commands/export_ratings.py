import json

from django.core.management.base import BaseCommand, CommandError

from ratings.comparisons_export import (
    COMPARISONS_HEADER,
    comparisons_csv_chunks,
    comparisons_export_queryset,
    comparisons_json_rows,
)
from ratings.export import ratings_csv_chunks, ratings_export_queryset, ratings_json_rows
from studies.models import Study


class Command(BaseCommand):
    help = (
        "Export a study's ratings: one row per rating with the columns rating, study, "
        "participant (pseudonym), sample (token), brief, group, criterion, score, guess, "
        "seconds, created_at. A pairwise study's comparisons instead: one row per "
        f"comparison with the columns {', '.join(COMPARISONS_HEADER)}. Attention checks "
        "are left out unless --attention-checks."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="the study's slug")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument("--criterion", help="only this criterion's ratings")
        parser.add_argument(
            "--group", action="append", dest="groups", help="only this group (repeatable)"
        )
        parser.add_argument(
            "--attention-checks",
            action="store_true",
            help="also export attention-check ratings, with two extra columns at the end: "
            "attention_expected_min, attention_expected_max",
        )

    def handle(self, *args, study: str, output: str | None, **options):
        found = Study.objects.filter(slug=study).first()
        if found is None:
            raise CommandError(f"no study '{study}'")
        checks = options["attention_checks"]
        if found.protocol == Study.Protocol.PAIRWISE:
            chunks = _comparisons(found, checks, options)
            what = "comparisons"
        else:
            chunks = _ratings(found, checks, options)
            what = "ratings"
        if output:
            with open(output, "w", encoding="utf-8", newline="") as target:
                lines = _write(chunks, target.write)
            rows = lines - 1 if options["format"] == "csv" else lines - 2
            self.stderr.write(f"{rows} {what} of {found.slug} written to {output}")
        else:
            _write(chunks, lambda chunk: self.stdout.write(chunk, ending=""))


def _comparisons(study, checks: bool, options):
    if options["criterion"] or options["groups"]:
        raise CommandError("--criterion and --group filter ratings; a pairwise study has none")
    comparisons = comparisons_export_queryset(study=study, include_attention_checks=checks)
    if options["format"] == "csv":
        return (
            chunk.decode()
            for chunk in comparisons_csv_chunks(
                study=study, comparisons=comparisons, include_attention_checks=checks
            )
        )
    return _json_array(
        comparisons_json_rows(study=study, comparisons=comparisons, include_attention_checks=checks)
    )


def _ratings(study, checks: bool, options):
    ratings = ratings_export_queryset(
        study=study,
        criterion=options["criterion"],
        groups=options["groups"],
        include_attention_checks=checks,
    )
    if options["format"] == "csv":
        return (
            chunk.decode()  # whole lines: no character is split
            for chunk in ratings_csv_chunks(
                study=study, ratings=ratings, include_attention_checks=checks
            )
        )
    return _json_array(
        ratings_json_rows(study=study, ratings=ratings, include_attention_checks=checks)
    )


def _write(chunks, write) -> int:
    """Write the chunks; the number of lines written (a CSV field with a line break, which
    only data written around the validators could hold, counts as two)."""
    count = 0
    for chunk in chunks:
        write(chunk)
        count += chunk.count("\n")
    return count


def _json_array(rows):
    """A JSON array written row by row, so memory stays flat."""
    yield "["
    separator = "\n"
    for row in rows:
        yield separator + json.dumps(row, ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"
