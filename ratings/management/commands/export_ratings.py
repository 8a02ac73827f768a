import json

from django.core.management.base import BaseCommand, CommandError

from ratings.export import ratings_csv_chunks, ratings_export_queryset, ratings_json_rows
from studies.models import Study


class Command(BaseCommand):
    help = (
        "Export a study's ratings: one row per rating with the columns rating, study, "
        "participant (pseudonym), sample (token), brief, group, criterion, score, guess, "
        "seconds, created_at. Attention checks are left out unless --attention-checks."
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
        ratings = ratings_export_queryset(
            study=found,
            criterion=options["criterion"],
            groups=options["groups"],
            include_attention_checks=checks,
        )
        if options["format"] == "csv":
            chunks = (
                chunk.decode()  # whole lines: no character is split
                for chunk in ratings_csv_chunks(
                    study=found, ratings=ratings, include_attention_checks=checks
                )
            )
        else:
            chunks = _json_array(
                ratings_json_rows(study=found, ratings=ratings, include_attention_checks=checks)
            )
        if output:
            with open(output, "w", encoding="utf-8", newline="") as target:
                lines = _write(chunks, target.write)
            rows = lines - 1 if options["format"] == "csv" else lines - 2
            self.stderr.write(f"{rows} ratings of {found.slug} written to {output}")
        else:
            _write(chunks, lambda chunk: self.stdout.write(chunk, ending=""))


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
