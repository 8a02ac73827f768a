"""The power and sample-size planner: before a study opens, how likely each claim is to
come out `supported`, `contradicted` or `inconclusive` in a crossed design (raters x
samples), and the smallest design that answers the question.

Pure NumPy/SciPy like `analysis.stats` and the engine: no Django, no clock, no I/O; the
same inputs and seed give the same document. The verdicts are the engine's: the analytic
method integrates over the regions of `analysis.stats.claims.verdict_regions`, the
simulation method runs `analysis.engine.claim_verdicts` on simulated studies.

In modules: `design` (the design, the variance components, the claims' contrasts and the
assumed true means), `analytic` (variances, degrees of freedom and verdict probabilities),
`simulation` (Monte Carlo through the engine), `search` (the recommendation and the grid
for the plot), and here `plan`, which assembles the plan document (DESIGN §7, Planning):

    method, engine_version, design{groups, samples_per_group, ratings_per_sample,
    samples_per_rater, raters, ratings}, variance{participant, sample, residual, source},
    parameters{alpha, equivalence_margin, scale, integer, target, off_by, ...},
    claims[{kind, groups, claimed, assumed, p_supported, p_contradicted, p_inconclusive,
            ci95_halfwidth, se, df, ...}],
    recommendation{samples_per_group, ratings_per_sample, raters, p_right_verdict,
                   limited_by, reason, ...}, grid{...}, notes[...]
"""

from collections.abc import Mapping, Sequence

from analysis.engine import ENGINE_VERSION, ClaimSpec
from analysis.planning.analytic import contrast_variance, verdict_probabilities
from analysis.planning.design import Design, Variance, assumed_means, contrast
from analysis.planning.search import Criterion, grid, recommend
from analysis.planning.simulation import Scale, simulate
from analysis.stats.claims import default_margin

PLAN_FORMAT = "blindrate-plan/1"
METHODS = ("analytic", "simulation")
DEFAULT_TARGET = 0.8
DEFAULT_SCALE = Scale(1.0, 10.0, 1.0)

__all__ = [
    "DEFAULT_TARGET",
    "METHODS",
    "PLAN_FORMAT",
    "Design",
    "PlanError",
    "Scale",
    "Variance",
    "plan",
]


class PlanError(ValueError):
    """The inputs cannot be planned; `problems` says why, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def plan(
    *,
    design: Design,
    variance: Variance,
    claims: Sequence[ClaimSpec],
    truth: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    margin: float | None = None,
    scale: Scale = DEFAULT_SCALE,
    integer: bool = False,
    method: str = "analytic",
    simulations: int = 1000,
    seed: int = 0,
    target: float = DEFAULT_TARGET,
    off_by: float | None = None,
    variance_source: str = "given",
    workers: int | None = None,
    progress=None,
) -> dict:
    """The plan document; PlanError lists what is wrong with the inputs. `progress(done,
    total)` follows a simulation run in this process (`workers=1`)."""
    margin = default_margin(scale.low, scale.high) if margin is None else float(margin)
    off_by = 2 * margin if off_by is None else float(off_by)
    truth = dict(truth or {})
    problems = design.problems() + variance.problems()
    if not 0 < alpha < 0.5:
        problems.append("alpha must be between 0 and 0.5")
    if not margin > 0:
        problems.append("the equivalence margin must be above 0")
    if not scale.low < scale.high or not scale.step > 0:
        problems.append("the scale's minimum must be below its maximum, with a positive step")
    if method not in METHODS:
        problems.append(f"method must be one of {', '.join(METHODS)}")
    if method == "simulation" and not 1 <= simulations <= 100_000:
        problems.append("simulations must be from 1 to 100000")
    if not 0 < target < 1:
        problems.append("the target probability must be between 0 and 1")
    if not off_by > 0:
        problems.append("the amount a false claim is off by must be above 0")
    if not claims:
        problems.append("a plan needs at least one claim")
    unknown = sorted(set(truth) - set(design.groups))
    if unknown:
        problems.append(f"truth for unknown group(s): {', '.join(unknown)}")
    weights = []
    for claim in claims:
        try:
            weights.append(contrast(claim, design.groups))
        except ValueError as error:
            problems.append(str(error))
    if problems:
        raise PlanError(problems)

    notes = []
    model_variance = variance
    if integer and method == "analytic":
        # Rounding to the scale's steps adds about step^2 / 12 of noise (Sheppard); the
        # clipping at the ends is left out here and simulated by method="simulation".
        model_variance = Variance(
            variance.participant, variance.sample, variance.residual + scale.step**2 / 12
        )
        notes.append(
            "integer scores: the analytic method adds the rounding's step^2/12 to the "
            "residual and ignores clipping at the scale's ends; method='simulation' rounds "
            "and clips each score"
        )
    centre = (scale.low + scale.high) / 2
    means = assumed_means(design.groups, claims, truth, centre)
    entries = []
    for claim, w in zip(claims, weights, strict=True):
        cv = contrast_variance(design, model_variance, w)
        analytic = verdict_probabilities(
            float(w @ means), claim.value, cv, alpha=alpha, margin=margin
        )
        entries.append(
            {
                "kind": claim.kind,
                "groups": list(claim.groups),
                "claimed": float(claim.value),
                "assumed": float(w @ means),
                **analytic,
            }
        )
    if method == "simulation":
        simulated = simulate(
            design,
            variance,
            means,
            list(claims),
            alpha=alpha,
            margin=margin,
            simulations=simulations,
            seed=seed,
            scale=scale if integer else None,
            workers=workers,
            progress=progress,
        )
        for entry, result in zip(entries, simulated, strict=True):
            entry["analytic"] = {
                key: entry[key]
                for key in ("p_supported", "p_contradicted", "p_inconclusive", "ci95_halfwidth")
            }
            entry.update(result)
    criterion = Criterion(alpha=alpha, margin=margin, target=target, off_by=off_by)
    recommendation = recommend(design, model_variance, weights, criterion)
    recommendation["sentence"] = _sentence(design, recommendation)
    up_to = max(
        2 * design.samples_per_group, int(1.25 * (recommendation["samples_per_group"] or 0))
    )
    parameters = {
        "alpha": alpha,
        "equivalence_margin": margin,
        "scale": {"min": scale.low, "max": scale.high, "step": scale.step},
        "integer": integer,
        "target": target,
        "off_by": off_by,
        "truth": {g: float(m) for g, m in zip(design.groups, means, strict=True)},
        "search_method": "analytic",
    }
    if method == "simulation":
        parameters.update(simulations=simulations, seed=seed)
    return {
        "format": PLAN_FORMAT,
        "method": method,
        "engine_version": ENGINE_VERSION,
        "design": design.as_dict(),
        "variance": {**variance.as_dict(), "source": variance_source},
        "parameters": parameters,
        "claims": entries,
        "recommendation": recommendation,
        "grid": grid(design, model_variance, weights, criterion, up_to=up_to),
        "notes": notes,
    }


def _sentence(design: Design, r: dict) -> str:
    """The recommendation in one sentence."""
    if r["samples_per_group"] is None:
        return f"No design within the search's bounds gives the right verdict: {r['reason']}."
    cheapest = (
        f"{r['samples_per_group']} samples per group rated {r['ratings_per_sample']} times "
        f"each ({r['raters']} raters of {design.samples_per_rater} samples, {r['ratings']} "
        f"ratings) gives every claim the right verdict with probability "
        f"{r['p_right_verdict']:.0%}"
    )
    if r["limited_by"] is None:
        return f"This design already reaches {r['target']:.0%}; the cheapest: {cheapest}."
    return f"{r['reason'][0].upper()}{r['reason'][1:]}; the cheapest design: {cheapest}."
