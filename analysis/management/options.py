"""The options the analysis commands share (`analyze_csv`, `plan`): the claims, the test
level, the equivalence margin and the scale, declared and read one way."""

from analysis.ratings_csv import claims_parse

CLAIM_HELP = "a claimed mean (GROUP=VALUE) or difference (A-B=VALUE); repeatable"


def add_claim_options(
    parser, *, alpha_default: float | None = 0.05, claim_help: str = CLAIM_HELP
) -> None:
    """`--claim` (repeatable), `--alpha`, `--margin`, `--scale-min`, `--scale-max`."""
    parser.add_argument(
        "--claim", action="append", default=[], metavar="GROUP=VALUE", help=claim_help
    )
    parser.add_argument("--alpha", type=float, default=alpha_default, help="test level (0.05)")
    parser.add_argument(
        "--margin",
        type=float,
        default=None,
        help="equivalence margin (default: 0.5 per 9 points of the scale)",
    )
    parser.add_argument("--scale-min", type=float, default=1.0, help="lowest score (1)")
    parser.add_argument("--scale-max", type=float, default=10.0, help="highest score (10)")


def claims_from_options(options: dict, *, groups: list[str] | None = None):
    """The `--claim` options as the engine's claims, and the groups they name (see
    `analysis.ratings_csv.claims_parse`); ValueError says which option is wrong."""
    return claims_parse(options["claim"], groups=groups)
