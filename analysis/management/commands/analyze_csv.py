"""`manage.py analyze_csv FILE`: the analysis engine on a ratings CSV, with no database. A
file with the comparisons header (a pairwise study's export) gets the pairwise document,
and claims become orderings (claimed means imply them; `A>B` states one).

It runs with DATABASE_URL pointing nowhere: no system checks (they would look at the
database) and no query anywhere on its path."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analysis.comparisons_csv import comparisons_rows_read, is_comparisons_header
from analysis.management.options import add_claim_options, claims_from_options
from analysis.presentation import decimals_for, pairwise_summary_lines, summary_lines
from analysis.ratings_csv import RatingsFileError, claim_parse, csv_file_open, ratings_file_read
from analysis.snapshot import comparisons_checksum, input_checksum, input_counts


class Command(BaseCommand):
    help = (
        "Analyze a ratings CSV in the export format (manage.py export_ratings), or a "
        "comparisons CSV of a pairwise study, with the same engine as the platform, without "
        "a database. Claims: --claim GROUP=VALUE for a claimed mean, --claim A-B=VALUE for a "
        "claimed difference A - B; for comparisons also --claim A>B (A preferred to B)."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="ratings CSV (header first)")
        add_claim_options(
            parser,
            claim_help="a claimed mean (GROUP=VALUE) or difference (A-B=VALUE), or for "
            "comparisons an ordering (A>B); repeatable",
        )
        parser.add_argument("--seed", type=int, default=0, help="resampling seed (0)")
        parser.add_argument("--criterion", help="the criterion to analyze, if the file has several")
        parser.add_argument(
            "--group-order",
            help="group keys in display order, comma-separated (default: as they first appear)",
        )
        parser.add_argument("--model-method", choices=["auto", "reml", "moments"], default="auto")
        parser.add_argument(
            "--reference", help="comparisons: the group whose ability is 0 (default: the first)"
        )
        parser.add_argument(
            "--samples",
            metavar="FILE",
            help="the samples' texts in the import format (CSV or JSONL with group, brief, "
            "text): adds the diversity section",
        )
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
            name, header, reader = csv_file_open(file)
            if is_comparisons_header(header):
                comparisons = comparisons_rows_read(
                    header, reader, name=name, criterion=options["criterion"]
                )
                return self.pairwise(comparisons, options)
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
        from analysis.engine import analyze

        try:
            claims, _ = claims_from_options(options, groups=ratings.groups)
        except ValueError as error:
            raise CommandError(str(error)) from error
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
        if options["samples"]:
            document["diversity"] = diversity_of_file(
                options["samples"], groups=ratings.groups, order=order, seed=options["seed"]
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

    def pairwise(self, comparisons, options) -> None:
        from analysis.engine import ClaimSpec, analyze_pairwise

        groups = comparisons.groups
        order = groups
        if options["group_order"]:
            order = [key.strip() for key in options["group_order"].split(",") if key.strip()]
        claims = []
        for text in options["claim"]:
            left, sep, right = text.partition(">")
            if sep and "=" not in text:
                pair = (left.strip(), right.strip())
                unknown = [key for key in pair if key not in groups]
                if unknown:
                    raise CommandError(
                        f"--claim {text!r}: unknown group (groups in the file: {', '.join(groups)})"
                    )
                claims.append(ClaimSpec(kind="ordering", groups=pair, value=0.0, source=text))
                continue
            try:
                kind, pair, value = claim_parse(text, groups)
            except ValueError as error:
                raise CommandError(str(error)) from error
            claims.append(ClaimSpec(kind=kind, groups=pair, value=value, source="--claim"))
        if options["reference"] and options["reference"] not in groups:
            raise CommandError(
                f"--reference {options['reference']!r}: unknown group (groups in the file: "
                f"{', '.join(groups)})"
            )
        document = analyze_pairwise(
            comparisons.frame,
            claims=claims,
            alpha=options["alpha"],
            seed=options["seed"],
            group_order=order,
            reference=options["reference"],
        )
        document["input"] = {
            "criterion": comparisons.criterion,
            "sha256": comparisons_checksum(comparisons.frame, comparisons.comparison_ids),
            **input_counts(document),
        }
        if options["json"]:
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
            return
        labels = {key: key for key in order}
        for line in pairwise_summary_lines(document, labels):
            self.stdout.write(line)


def diversity_of_file(path: str, *, groups: list[str], order: list[str], seed: int) -> dict:
    """The diversity section of a samples file (the import format), embedded here and now
    (no database, so no cache); attention checks are left out."""
    from studies.importing import ImportFailed, sample_records_read

    name = Path(path).name
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"{name}: cannot read the file ({error.strerror})") from error
    try:
        records = [r for r in sample_records_read(source=name, data=data) if not r.attention]
    except ImportFailed as error:
        raise CommandError("\n".join(error.errors)) from error
    unknown = [
        f"{name} line {r.line}, field group: unknown group '{r.group}' (known: {', '.join(groups)})"
        for r in records
        if r.group not in groups
    ]
    if unknown:
        raise CommandError("\n".join(unknown[:20]))
    from analysis import embeddings
    from analysis.engine.diversity import DiversitySamples, diversity_section

    samples = DiversitySamples(
        group=[r.group for r in records],
        brief=[r.brief for r in records],
        kind=[r.kind for r in records],
        text=[r.text if r.kind == "text" else "" for r in records],
    )
    index = samples.text_index.tolist()
    vectors = embeddings.embed([samples.text[i] for i in index]) if index else None
    return diversity_section(
        samples,
        embeddings=vectors,
        model=embeddings.model_id() if index else None,
        group_order=order,
        seed=seed,
    )
