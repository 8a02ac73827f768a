"""`manage.py analyze_csv FILE`: the analysis engine on a ratings CSV, with no database.

It runs with DATABASE_URL pointing nowhere: no system checks (they would look at the
database) and no query anywhere on its path."""

import json

from django.core.management.base import BaseCommand, CommandError

from analysis.presentation import decimals_for, summary_lines
from analysis.ratings_csv import RatingsFileError, claim_parse, ratings_file_read
from analysis.snapshot import input_checksum, input_counts


class Command(BaseCommand):
    help = (
        "Analyze a ratings CSV in the export format (manage.py export_ratings) with the same "
        "engine as the platform, without a database. Claims: --claim GROUP=VALUE for a "
        "claimed mean, --claim A-B=VALUE for a claimed difference A - B."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="ratings CSV (header first)")
        parser.add_argument(
            "--claim",
            action="append",
            default=[],
            metavar="GROUP=VALUE",
            help="a claimed mean (GROUP=VALUE) or difference (A-B=VALUE); repeatable",
        )
        parser.add_argument("--seed", type=int, default=0, help="resampling seed (0)")
        parser.add_argument("--alpha", type=float, default=0.05, help="test level (0.05)")
        parser.add_argument(
            "--margin",
            type=float,
            default=None,
            help="equivalence margin (default: 0.5 per 9 points of the scale)",
        )
        parser.add_argument("--scale-min", type=float, default=1.0, help="lowest score (1)")
        parser.add_argument("--scale-max", type=float, default=10.0, help="highest score (10)")
        parser.add_argument("--criterion", help="the criterion to analyze, if the file has several")
        parser.add_argument(
            "--group-order",
            help="group keys in display order, comma-separated (default: as they first appear)",
        )
        parser.add_argument("--model-method", choices=["auto", "reml", "moments"], default="auto")
        parser.add_argument("--json", action="store_true", help="print the results document")

    def handle(self, *args, file: str, **options):
        if not 0 < options["alpha"] < 0.5:
            raise CommandError("--alpha must be between 0 and 0.5")
        if options["margin"] is not None and not options["margin"] > 0:
            raise CommandError("--margin must be above 0")
        low, high = options["scale_min"], options["scale_max"]
        if not low < high:
            raise CommandError("--scale-min must be below --scale-max")
        try:
            ratings = ratings_file_read(file, criterion=options["criterion"])
        except RatingsFileError as error:
            raise CommandError("\n".join(error.errors)) from error
        frame = ratings.frame
        outside = (frame.score < low) | (frame.score > high)
        if outside.any():
            raise CommandError(
                f"scores from {frame.score.min():g} to {frame.score.max():g} fall outside the "
                f"scale {low:g} to {high:g}; give the study's scale with --scale-min and "
                "--scale-max"
            )
        order = ratings.groups
        if options["group_order"]:
            order = [key.strip() for key in options["group_order"].split(",") if key.strip()]
        from analysis.engine import ClaimSpec, analyze

        claims = []
        for text in options["claim"]:
            try:
                kind, groups, value = claim_parse(text, ratings.groups)
            except ValueError as error:
                raise CommandError(str(error)) from error
            claims.append(ClaimSpec(kind=kind, groups=groups, value=value, source="--claim"))
        document = analyze(
            frame,
            claims=claims,
            scale_min=low,
            scale_max=high,
            alpha=options["alpha"],
            margin=options["margin"],
            seed=options["seed"],
            group_order=order,
            model_method=options["model_method"],
        )
        document["input"] = {
            "criterion": ratings.criterion,
            "sha256": input_checksum(frame, ratings.rating_ids),
            **input_counts(document),
        }
        if options["json"]:
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
            return
        labels = {key: key for key in order}
        for line in summary_lines(document, labels, decimals=decimals_for(low, high)):
            self.stdout.write(line)
