"""`manage.py plan`: the power and sample-size planner (analysis.planning) from the command
line. The explicit form needs no database (no system checks, no query on its path);
`--study SLUG` reads a draft study's own design and keeps the plan on it, and `--pilot
SLUG` takes the variance components of another study's finished analysis."""

import json

from django.core.management.base import BaseCommand, CommandError

from analysis import plan_inputs
from analysis.management.options import add_claim_options, claims_from_options
from analysis.presentation import decimals_for, plan_lines


class Command(BaseCommand):
    help = (
        "Plan a study before paying for it: the chance of each claim's verdict (supported, "
        "contradicted, inconclusive) in a crossed raters x samples design, and the smallest "
        "design that gets it right. Claims: --claim GROUP=VALUE (a mean) or --claim "
        "A-B=VALUE (a difference A - B). Or --study SLUG for a draft study's own design."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--study", help="plan this draft study's own design (and keep it)")
        add_claim_options(parser, alpha_default=None)
        parser.add_argument(
            "--truth",
            action="append",
            default=[],
            metavar="GROUP=VALUE",
            help="an assumed true group mean (default: as claimed)",
        )
        parser.add_argument("--groups", help="group keys, comma-separated (default: as claimed)")
        parser.add_argument(
            "--variance", metavar="P,S,R", help="participant, sample and residual variance"
        )
        parser.add_argument(
            "--pilot",
            metavar="SLUG",
            help="take the variances of this study's latest finished analysis",
        )
        parser.add_argument(
            "--variance-csv", metavar="FILE", help="estimate the variances from a ratings CSV"
        )
        parser.add_argument("--samples-per-group", type=int)
        parser.add_argument("--ratings-per-sample", type=int)
        parser.add_argument("--samples-per-rater", type=int)
        parser.add_argument("--scale-step", type=float, default=1.0)
        parser.add_argument(
            "--integer",
            action="store_true",
            help="scores rounded to the scale's steps and clipped to it",
        )
        parser.add_argument("--method", choices=["analytic", "simulation"], default="analytic")
        parser.add_argument("--simulations", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--target",
            type=float,
            default=None,
            help="probability of the right verdict to reach (0.8)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes for --method simulation (default: up to 2)",
        )
        parser.add_argument("--json", action="store_true", help="print the plan document")

    def handle(self, *args, **options):
        try:
            variance = self._variance(options)
            truth = plan_inputs.truth_parse(options["truth"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        from analysis.planning import PlanError

        try:
            if options["study"]:
                document, decimals = self._study_plan(options, variance, truth)
            else:
                document, decimals = self._explicit_plan(options, variance, truth)
        except PlanError as error:
            raise CommandError("\n".join(error.problems)) from error
        except ValueError as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
            return
        for line in plan_lines(document, decimals=decimals):
            self.stdout.write(line)

    def _variance(self, options):
        given = [options["variance"], options["pilot"], options["variance_csv"]]
        if sum(bool(x) for x in given) > 1:
            raise ValueError("give at most one of --variance, --pilot and --variance-csv")
        if options["variance"]:
            return plan_inputs.variance_parse(options["variance"]), "given"
        if options["variance_csv"]:
            return plan_inputs.variance_from_csv(options["variance_csv"])
        return None

    def _explicit_plan(self, options, variance, truth):
        from analysis.planning import Design, Scale, plan

        missing = [
            f"--{name.replace('_', '-')}"
            for name in ("samples_per_group", "ratings_per_sample", "samples_per_rater")
            if options[name] is None
        ]
        if missing or not options["claim"]:
            raise ValueError(
                "give --claim and " + ", ".join(missing or ["the design"]) + ", or --study SLUG"
            )
        if options["pilot"]:
            from analysis.selectors import analysis_pilot_variance

            variance = analysis_pilot_variance(user=None, slug=options["pilot"])
        if variance is None:
            variance = plan_inputs.default_variance()
        groups = options["groups"]
        groups = [g.strip() for g in groups.split(",") if g.strip()] if groups else None
        claims, known = claims_from_options(options, groups=groups)
        known += [g for g in truth if g not in known]
        low, high = options["scale_min"], options["scale_max"]
        document = plan(
            design=Design(
                groups=tuple(known),
                samples_per_group=options["samples_per_group"],
                ratings_per_sample=options["ratings_per_sample"],
                samples_per_rater=options["samples_per_rater"],
            ),
            variance=variance[0],
            variance_source=variance[1],
            claims=claims,
            truth=truth,
            alpha=0.05 if options["alpha"] is None else options["alpha"],
            margin=options["margin"],
            scale=Scale(low, high, options["scale_step"]),
            integer=options["integer"],
            method=options["method"],
            simulations=options["simulations"],
            seed=options["seed"],
            target=0.8 if options["target"] is None else options["target"],
            workers=options["workers"],
        )
        return document, decimals_for(low, high)

    def _study_plan(self, options, variance, truth):
        from analysis.plan_services import analysis_plan_compute
        from studies.models import Study
        from studies.services import StudyConflict

        ignored = [
            name for name in ("claim", "alpha", "margin", "samples_per_rater") if options[name]
        ]
        if ignored:
            raise ValueError(
                "--study takes the claims, alpha, margin and samples per rater from the study; "
                f"leave out --{', --'.join(n.replace('_', '-') for n in ignored)}"
            )
        study = Study.objects.filter(slug=options["study"]).first()
        if study is None:
            raise ValueError(f"no study {options['study']!r}")
        try:
            document = analysis_plan_compute(
                study=study,
                variance=variance[0] if variance else None,
                variance_source=variance[1] if variance else "given",
                pilot=options["pilot"],
                truth=truth,
                samples_per_group=options["samples_per_group"],
                ratings_per_sample=options["ratings_per_sample"],
                method=options["method"],
                simulations=options["simulations"],
                seed=options["seed"],
                integer=options["integer"],
                target=options["target"],
                workers=options["workers"] or 1,
            )
        except StudyConflict as error:
            raise ValueError(str(error)) from error
        return document, decimals_for(study.scale_min, study.scale_max)
